//! `openim.get_c2c_unread_msg_num`: a user's C2C unread counts (admin, or the user).

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "To_Account")]
    to_account: String,
    #[serde(rename = "Peer_Account", default)]
    peer_account: Vec<String>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::TO_ACCOUNT_INVALID)?;
    if !caller.is_admin && req.to_account != caller.user {
        return Err(ServerError::NotAdmin);
    }
    if req.peer_account.len() > 10 {
        return Err(ServerError::bad_request(
            codes::REQUEST_INVALID,
            "at most 10 Peer_Account entries",
        ));
    }
    let convs = state.store.c2c_conversations(&req.to_account).await?;
    let total: u64 = convs.iter().map(|c| c.unread).sum();
    let mut reply = json!({"To_Account": req.to_account, "AllC2CUnreadMsgNum": total});
    if !req.peer_account.is_empty() {
        let list: Vec<Value> = req
            .peer_account
            .iter()
            .map(|p| {
                let n = convs.iter().find(|c| &c.peer == p).map_or(0, |c| c.unread);
                json!({"Peer_Account": p, "C2CUnreadMsgNum": n})
            })
            .collect();
        reply["C2CUnreadMsgNumList"] = json!(list);
    }
    Ok(reply)
}
