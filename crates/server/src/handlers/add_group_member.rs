//! `group_open_http_svc.add_group_member`: invite members. The admin may
//! always add; in Work groups any member may invite; elsewhere only the
//! owner and admins. `Result` per member: 1 added, 2 already a member.

use natter_proto::{codes, types, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{load_group, now, parse, role_of};
use super::create_group::MemberItem;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};
use crate::store::MemberRecord;

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "MemberList")]
    member_list: Vec<MemberItem>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    if req.member_list.is_empty() || req.member_list.len() > 500 {
        return Err(ServerError::bad_request(
            codes::GROUP_INVALID_PARAMETER,
            "MemberList must have 1..=500 entries",
        ));
    }
    let group = load_group(state, &req.group_id).await?;
    if !caller.is_admin {
        let role = role_of(state, &group.group_id, &caller.user).await?;
        let allowed = match role.as_deref() {
            None => false,
            Some(types::GRP_MBR_ROLE_OWNER | types::GRP_MBR_ROLE_ADMIN) => true,
            Some(_) => group.group_type == types::GRP_WORK,
        };
        if !allowed {
            return Err(ServerError::NoPermission(format!(
                "{} cannot add members to {}",
                caller.user, group.group_id
            )));
        }
    }
    let ids: Vec<String> = req
        .member_list
        .iter()
        .map(|m| UserId::new(m.member_account.clone()).map(String::from))
        .collect::<std::result::Result<_, _>>()?;
    if u64::from(group.member_count) + ids.len() as u64 > u64::from(group.max_members) {
        return Err(ServerError::GroupFull(group.group_id));
    }
    let existing = state.store.get_users(&ids).await?;
    let time = now();
    let (known, unknown): (Vec<String>, Vec<String>) = ids
        .into_iter()
        .partition(|id| existing.iter().any(|u| &u.user_id == id));
    let records = known
        .iter()
        .map(|id| MemberRecord {
            user_id: id.clone(),
            role: types::GRP_MBR_ROLE_MEMBER.into(),
            join_time: time,
            read_seq: 0,
        })
        .collect();
    let already = state.store.add_members(&group.group_id, records).await?;
    state.members_changed(&group.group_id);
    let mut results: Vec<Value> = known
        .iter()
        .map(|id| json!({"Member_Account": id, "Result": if already.contains(id) { 2 } else { 1 }}))
        .collect();
    results.extend(
        unknown
            .iter()
            .map(|id| json!({"Member_Account": id, "Result": 0})),
    );
    Ok(json!({"MemberList": results}))
}
