//! `group_open_http_svc.get_joined_group_list`: the groups a user is in, with
//! profile and `SelfInfo` (the shape the Web SDK reads, wire protocol §8.1).
//! Users may ask only about themselves; the admin about anyone.

use natter_proto::{codes, types};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{group_json, parse};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "Member_Account", default)]
    member_account: Option<String>,
    #[serde(rename = "Limit", default)]
    limit: Option<usize>,
    #[serde(rename = "Offset", default)]
    offset: usize,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    let user = match (req.member_account, caller.is_admin) {
        (Some(m), true) if !m.is_empty() => m,
        _ => caller.user.clone(),
    };
    let joined = state.store.joined_groups(&user).await?;
    let total = joined.len();
    let limit = req.limit.unwrap_or(usize::MAX).max(1);
    let list: Vec<Value> = joined
        .iter()
        .skip(req.offset)
        .take(limit)
        .map(|(g, m)| {
            let mut v = group_json(g);
            v["SelfInfo"] = json!({"Role": m.role, "JoinTime": m.join_time,
                                   "MsgFlag": types::MSG_REMIND_ACPT_AND_NOTE, "MsgSeq": m.read_seq});
            v
        })
        .collect();
    Ok(json!({"TotalCount": total, "GroupIdList": list}))
}
