//! `im_open_login_svc.account_import`: create or update one account (admin).

use natter_proto::limits::{MAX_FACE_URL_BYTES, MAX_NICK_BYTES};
use natter_proto::{codes, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{check_lengths, parse};
use crate::error::Result;
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

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let a: Account = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    check_lengths(
        &[
            ("Nick", &a.nick, MAX_NICK_BYTES),
            ("FaceUrl", &a.face_url, MAX_FACE_URL_BYTES),
        ],
        codes::ACCOUNT_INVALID_PARAMETER,
    )?;
    let id = UserId::new(a.user_id)?;
    state
        .store
        .import_account(id.as_str(), &a.nick, &a.face_url)
        .await?;
    state.users_changed(&[id.to_string()]);
    Ok(json!({}))
}
