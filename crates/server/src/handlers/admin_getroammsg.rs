//! `openim.admin_getroammsg`: C2C history between two users in a time range
//! (admin). Pages run from newest to oldest; continue with `LastMsgKey`.
//! Both spellings are accepted: `From_Account/To_Account` and
//! `Operator_Account/Peer_Account`.

use natter_proto::limits::HISTORY_REQUEST_MAX;
use natter_proto::{codes, MsgItem};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{outgoing, parse};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "Operator_Account", alias = "From_Account")]
    operator: String,
    #[serde(rename = "Peer_Account", alias = "To_Account")]
    peer: String,
    #[serde(rename = "MaxCnt")]
    max_cnt: usize,
    #[serde(rename = "MinTime", default)]
    min_time: u64,
    #[serde(rename = "MaxTime", default = "max_time")]
    max_time: u64,
    #[serde(rename = "LastMsgKey", default)]
    last_msg_key: String,
}

fn max_time() -> u64 {
    u64::MAX
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::MSG_FORMAT_MISMATCH)?;
    if !req.last_msg_key.is_empty() && MsgItem::parse_c2c_msg_key(&req.last_msg_key).is_none() {
        return Err(ServerError::bad_request(
            codes::JSON_PARSE_FAILED,
            "LastMsgKey must be a key from an earlier page",
        ));
    }
    let limit = req.max_cnt.clamp(1, HISTORY_REQUEST_MAX);
    let mut cursor = (!req.last_msg_key.is_empty()).then(|| req.last_msg_key.clone());
    let mut picked = Vec::new();
    let mut complete = false;
    // Walk back page by page until enough messages in range are found.
    while picked.len() < limit {
        let page = state
            .store
            .c2c_history(&req.operator, &req.peer, cursor.as_deref(), limit)
            .await?;
        let Some(oldest) = page.items.first() else {
            complete = true;
            break;
        };
        cursor = Some(oldest.c2c_msg_key());
        let reached_min = oldest.msg_time_stamp < req.min_time;
        for item in page.items.into_iter().rev() {
            if item.msg_time_stamp >= req.min_time
                && item.msg_time_stamp <= req.max_time
                && picked.len() < limit
            {
                picked.push(item);
            }
        }
        if page.complete || reached_min {
            complete = true;
            break;
        }
    }
    let last = picked.last();
    let (last_key, last_time) = last
        .map(|i| (i.c2c_msg_key(), i.msg_time_stamp))
        .unwrap_or_default();
    picked.reverse();
    Ok(json!({
        "Complete": if complete { 1 } else { 0 },
        "MsgCnt": picked.len(),
        "LastMsgTime": last_time,
        "LastMsgKey": last_key,
        "MsgList": outgoing(state, &picked),
    }))
}
