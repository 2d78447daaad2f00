//! `im_open_login_svc.kick`: log a user out everywhere (admin). Each session
//! gets the kick notification (`KickType` 3, REST API kick) and is closed,
//! and every UserSig and A2Key issued to the user until now stops working
//! (70052): logging in again takes a UserSig made after the kick.

use std::sync::Arc;

use natter_proto::{codes, wire, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
use crate::error::Result;
use crate::state::{AppState, Caller};
use crate::transport::ws::CLOSE_LOGGED_OUT;

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "UserID", alias = "Identifier")]
    user_id: String,
}

/// `KickType` of a kick through the REST API.
pub const KICK_TYPE_REST_API: u32 = 3;

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    UserId::new(req.user_id.as_str())?;
    let users: Arc<[String]> = Arc::from(vec![req.user_id]);
    let notice = json!({"EventArray": [{"Event": wire::EVENT_KICK,
        "C2cNotifyMsgArray": [{"KickoutMsgNotify": {"KickType": KICK_TYPE_REST_API, "NewInstInfo": {}}}]}]});
    state.push(users.clone(), None, wire::PUSH_MSG, notice);
    state.revoke_and_close(&users, CLOSE_LOGGED_OUT).await?;
    Ok(json!({}))
}
