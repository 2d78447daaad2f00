//! `im_open_login_svc.account_import`: create or update one account (admin).

use natter_proto::limits::{MAX_FACE_URL_BYTES, MAX_NICK_BYTES};
use natter_proto::{codes, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
pub struct Account {
    #[serde(rename = "UserID", alias = "Identifier")]
    pub user_id: String,
    #[serde(rename = "Nick", default)]
    pub nick: String,
    #[serde(rename = "FaceUrl", default)]
    pub face_url: String,
}

impl Account {
    /// Fails with 70402 when the nickname or avatar URL is longer than Tencent allows.
    pub fn check_profile(&self) -> Result<()> {
        for (field, value, limit) in [
            ("Nick", &self.nick, MAX_NICK_BYTES),
            ("FaceUrl", &self.face_url, MAX_FACE_URL_BYTES),
        ] {
            if value.len() > limit {
                return Err(ServerError::bad_request(
                    codes::ACCOUNT_INVALID_PARAMETER,
                    format!("{field} is longer than {limit} bytes"),
                ));
            }
        }
        Ok(())
    }
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let a: Account = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    a.check_profile()?;
    let id = UserId::new(a.user_id)?;
    state
        .store
        .import_account(id.as_str(), &a.nick, &a.face_url)
        .await?;
    state.users_changed(&[id.to_string()]);
    Ok(json!({}))
}
