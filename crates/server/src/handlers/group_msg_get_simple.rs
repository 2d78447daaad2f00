//! `group_open_http_svc.group_msg_get_simple`: group history (admin), at
//! most 20 messages newest first from `ReqMsgSeq`. `IsFinished` is 1 when
//! the page reaches the group's first message, else 0.

use natter_proto::{codes, types};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{check_u32, load_group, outgoing, parse};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "ReqMsgNumber")]
    req_msg_number: usize,
    #[serde(rename = "ReqMsgSeq", default)]
    req_msg_seq: Option<u64>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    check_u32("ReqMsgSeq", req.req_msg_seq, codes::GROUP_INVALID_PARAMETER)?;
    load_group(state, &req.group_id).await?;
    let limit = req.req_msg_number.clamp(1, 20);
    let items = state
        .store
        .group_history(&req.group_id, req.req_msg_seq.filter(|s| *s > 0), limit)
        .await?;
    let finished = items.last().is_none_or(|i| i.msg_seq <= 1);
    let list: Vec<Value> = outgoing(state, &items)
        .iter()
        .map(|i| {
            json!({
                "From_Account": i.from_account, "MsgSeq": i.msg_seq, "MsgRandom": i.msg_random,
                "MsgTimeStamp": i.msg_time_stamp, "MsgPriority": types::priority_number(&i.msg_priority),
                "IsPlaceMsg": 0, "IsSystemMsg": 0, "MsgBody": i.msg_body, "CloudCustomData": i.cloud_custom_data,
            })
        })
        .collect();
    Ok(
        json!({"GroupId": req.group_id, "IsFinished": if finished { 1 } else { 0 }, "RspMsgList": list}),
    )
}
