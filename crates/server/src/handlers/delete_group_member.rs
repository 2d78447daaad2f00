//! `group_open_http_svc.delete_group_member`: remove members (admin, owner
//! or group admins). The owner cannot be removed.

use natter_proto::{codes, types};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{load_group, parse, role_of};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "MemberToDel_Account")]
    member_to_del_account: Vec<String>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    if req.member_to_del_account.is_empty() || req.member_to_del_account.len() > 100 {
        return Err(ServerError::bad_request(
            codes::GROUP_INVALID_PARAMETER,
            "MemberToDel_Account takes 1 to 100 accounts",
        ));
    }
    let group = load_group(state, &req.group_id).await?;
    if !caller.is_admin {
        let role = role_of(state, &group.group_id, &caller.user).await?;
        if !matches!(
            role.as_deref(),
            Some(types::GRP_MBR_ROLE_OWNER | types::GRP_MBR_ROLE_ADMIN)
        ) {
            return Err(ServerError::NoPermission(format!(
                "{} cannot remove members of {}",
                caller.user, group.group_id
            )));
        }
    }
    if req.member_to_del_account.contains(&group.owner) {
        return Err(ServerError::NoPermission(
            "the owner cannot be removed".into(),
        ));
    }
    state
        .store
        .remove_members(&group.group_id, &req.member_to_del_account)
        .await?;
    state.members_changed(&group.group_id);
    Ok(json!({}))
}
