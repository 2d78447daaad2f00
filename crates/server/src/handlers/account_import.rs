//! `im_open_login_svc.account_import`: create or update one account (admin).

use natter_proto::{codes, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
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
    let id = UserId::new(a.user_id)?;
    state
        .store
        .import_account(id.as_str(), &a.nick, &a.face_url)
        .await?;
    state.users_changed(&[id.to_string()]);
    Ok(json!({}))
}
