//! `group_open_http_svc.get_appid_group_list`: every group of the app (admin),
//! in creation order; continue with `Next` until it is 0.

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{check_u32, parse};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "Limit", default)]
    limit: Option<usize>,
    #[serde(rename = "Next", default)]
    next: u64,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    let limit = req.limit.unwrap_or(10000).clamp(1, 10000);
    check_u32("Next", Some(req.next), codes::GROUP_INVALID_PARAMETER)?;
    let (ids, last) = state.store.list_groups(req.next, limit + 1).await?;
    let more = ids.len() > limit;
    let page: Vec<Value> = ids
        .iter()
        .take(limit)
        .map(|g| json!({"GroupId": g}))
        .collect();
    let next = if more { last.saturating_sub(1) } else { 0 };
    Ok(json!({"TotalCount": page.len(), "GroupIdList": page, "Next": next}))
}
