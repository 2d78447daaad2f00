//! `group_open_http_svc.get_group_member_info`: a page of a group's members.

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{load_group, parse, require_member};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "Limit", default)]
    limit: Option<usize>,
    #[serde(rename = "Offset", default)]
    offset: usize,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    let group = load_group(state, &req.group_id).await?;
    require_member(state, caller, &req.group_id).await?;
    let members = state.store.members(&req.group_id).await?;
    let limit = req.limit.unwrap_or(6000).max(1);
    let page: Vec<Value> = members
        .iter()
        .skip(req.offset)
        .take(limit)
        .map(|m| {
            json!({"Member_Account": m.user_id, "Role": m.role, "JoinTime": m.join_time, "MsgSeq": m.read_seq,
                   "MsgFlag": "AcceptAndNotify", "LastSendMsgTime": 0, "ShutUpUntil": 0, "NameCard": ""})
        })
        .collect();
    let next = req.offset + page.len();
    Ok(
        json!({"GroupId": group.group_id, "MemberNum": members.len(), "MemberList": page,
              "Next": if next < members.len() { next } else { 0 }}),
    )
}
