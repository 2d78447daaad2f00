//! `group_open_http_svc.group_msg_get`: group history for a member, newest
//! first from `ReqMsgSeq`. `NextReqMsgSeq` is the oldest returned minus one;
//! the Web SDK stops when it drops below 1 (wire protocol §9.2).

use natter_proto::codes;
use natter_proto::limits::HISTORY_REQUEST_MAX;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{check_u32, load_group, outgoing, parse, require_member};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "ReqMsgNumber", default)]
    req_msg_number: Option<usize>,
    #[serde(rename = "ReqMsgSeq", default)]
    req_msg_seq: Option<u64>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    check_u32("ReqMsgSeq", req.req_msg_seq, codes::GROUP_INVALID_PARAMETER)?;
    load_group(state, &req.group_id).await?;
    require_member(state, caller, &req.group_id).await?;
    let limit = req
        .req_msg_number
        .unwrap_or(20)
        .clamp(1, HISTORY_REQUEST_MAX);
    let max_seq = req.req_msg_seq.filter(|s| *s > 0);
    let items = state
        .store
        .group_history(&req.group_id, max_seq, limit)
        .await?;
    let next = items
        .last()
        .map(|i| i.msg_seq.saturating_sub(1))
        .unwrap_or(0);
    Ok(json!({
        "GroupId": req.group_id,
        "IsFinished": if next < 1 { 2 } else { 1 },
        "NextReqMsgSeq": next,
        "RspMsgList": outgoing(state, &items),
    }))
}
