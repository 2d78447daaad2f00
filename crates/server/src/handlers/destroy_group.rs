//! `group_open_http_svc.destroy_group`: dismiss a group (admin or owner).

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{load_group, parse};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    let group = load_group(state, &req.group_id).await?;
    if !caller.is_admin && group.owner != caller.user {
        return Err(ServerError::NoPermission(
            "only the owner can dismiss a group".into(),
        ));
    }
    state.store.destroy_group(&group.group_id).await?;
    state.members_changed(&group.group_id);
    Ok(json!({}))
}
