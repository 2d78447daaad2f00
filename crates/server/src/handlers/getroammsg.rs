//! `openim.getroammsg`: a user's C2C history with one peer, newest page
//! first, each page oldest-first. The cursor is the `MsgKey` of the oldest
//! message of the previous page (wire protocol §9.1).

use natter_proto::limits::{HISTORY_PAGE, HISTORY_REQUEST_MAX};
use natter_proto::{codes, MsgItem};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{outgoing, parse};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "Peer_Account")]
    peer_account: String,
    #[serde(rename = "MaxCnt", default)]
    max_cnt: Option<usize>,
    #[serde(rename = "MsgKey", default)]
    msg_key: String,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::REQUEST_INVALID)?;
    let limit = req
        .max_cnt
        .unwrap_or(HISTORY_PAGE)
        .clamp(1, HISTORY_REQUEST_MAX);
    if !req.msg_key.is_empty() && MsgItem::parse_c2c_msg_key(&req.msg_key).is_none() {
        return Err(ServerError::bad_request(
            codes::REQUEST_INVALID,
            "MsgKey must be a key from an earlier page",
        ));
    }
    let before = (!req.msg_key.is_empty()).then_some(req.msg_key.as_str());
    let page = state
        .store
        .c2c_history(&caller.user, &req.peer_account, before, limit)
        .await?;
    let oldest = page.items.first();
    Ok(json!({
        "Complete": if page.complete { 1 } else { 0 },
        "MsgCnt": page.items.len(),
        "MsgKey": oldest.map(|i| i.c2c_msg_key()).unwrap_or_default(),
        "LastMsgTime": oldest.map(|i| i.msg_time_stamp).unwrap_or(0),
        "MsgList": outgoing(state, &page.items),
    }))
}
