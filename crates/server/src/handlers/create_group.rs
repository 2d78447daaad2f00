//! `group_open_http_svc.create_group`: Work (`Private`), Public and Meeting
//! (`ChatRoom`) groups. A user creating a group becomes its owner; the admin
//! names the owner in `Owner_Account` (or owns none). Without `GroupId` the
//! server generates one starting with `@TGS#`.

use natter_proto::limits::{
    MAX_GROUP_FACE_URL_BYTES, MAX_GROUP_INTRODUCTION_BYTES, MAX_GROUP_NAME_BYTES,
    MAX_GROUP_NOTIFICATION_BYTES, MAX_INITIAL_MEMBERS,
};
use natter_proto::{codes, types, GroupId, UserId};
use rand::distr::Alphanumeric;
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{check_lengths, now, parse};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};
use crate::store::{GroupRecord, MemberRecord};

#[derive(Debug, Deserialize)]
pub struct MemberItem {
    #[serde(rename = "Member_Account")]
    pub member_account: String,
    #[serde(rename = "Role", default)]
    pub role: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "Owner_Account", default)]
    owner_account: Option<String>,
    #[serde(rename = "Type")]
    group_type: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "GroupId", default)]
    group_id: Option<String>,
    #[serde(rename = "Introduction", default)]
    introduction: String,
    #[serde(rename = "Notification", default)]
    notification: String,
    #[serde(rename = "FaceUrl", default)]
    face_url: String,
    #[serde(rename = "MaxMemberCount", alias = "MaxMemberNum", default)]
    max_member_count: Option<u32>,
    #[serde(rename = "MemberList", default)]
    member_list: Vec<MemberItem>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    let bad = |reason: &str| ServerError::bad_request(codes::GROUP_INVALID_PARAMETER, reason);
    let group_type =
        types::normalize_group_type(&req.group_type).ok_or_else(|| bad("unknown group Type"))?;
    if !matches!(
        group_type,
        types::GRP_WORK | types::GRP_PUBLIC | types::GRP_MEETING
    ) {
        return Err(bad(
            "only Work (Private), Public and Meeting (ChatRoom) groups are supported",
        ));
    }
    if req.name.is_empty() || req.name.len() > MAX_GROUP_NAME_BYTES {
        return Err(bad("Name must be 1..=30 bytes"));
    }
    check_lengths(
        &[
            (
                "Introduction",
                &req.introduction,
                MAX_GROUP_INTRODUCTION_BYTES,
            ),
            (
                "Notification",
                &req.notification,
                MAX_GROUP_NOTIFICATION_BYTES,
            ),
            ("FaceUrl", &req.face_url, MAX_GROUP_FACE_URL_BYTES),
        ],
        codes::GROUP_INVALID_PARAMETER,
    )?;
    if req.member_list.len() > MAX_INITIAL_MEMBERS {
        return Err(ServerError::bad_request(
            codes::GROUP_TOO_MANY_ACCOUNTS,
            "at most 500 initial members",
        ));
    }
    let owner = match (req.owner_account.filter(|o| !o.is_empty()), caller.is_admin) {
        (Some(o), true) => Some(o),
        (None, true) => None,
        (_, false) => Some(caller.user.clone()),
    };
    let group_id = match req.group_id.filter(|g| !g.is_empty()) {
        Some(custom) => GroupId::new_custom(custom)?,
        None => GroupId::new(generate_group_id())?,
    };
    let max_members = req
        .max_member_count
        .unwrap_or_else(|| types::default_max_members(group_type));
    let time = now();
    let mut members = Vec::new();
    if let Some(o) = &owner {
        UserId::new(o.clone())?;
        members.push(MemberRecord {
            user_id: o.clone(),
            role: types::GRP_MBR_ROLE_OWNER.into(),
            join_time: time,
            read_seq: 0,
        });
    }
    for m in req.member_list {
        let id = UserId::new(m.member_account)?;
        if members.iter().any(|x| x.user_id == id.as_str()) {
            continue;
        }
        let role = match m.role.as_deref() {
            Some(types::GRP_MBR_ROLE_ADMIN) => types::GRP_MBR_ROLE_ADMIN,
            _ => types::GRP_MBR_ROLE_MEMBER,
        };
        members.push(MemberRecord {
            user_id: id.to_string(),
            role: role.into(),
            join_time: time,
            read_seq: 0,
        });
    }
    if members.len() as u64 > u64::from(max_members) {
        return Err(ServerError::GroupFull(group_id.to_string()));
    }
    let existing = state
        .store
        .get_users(
            &members
                .iter()
                .map(|m| m.user_id.clone())
                .collect::<Vec<_>>(),
        )
        .await?;
    if let Some(missing) = members
        .iter()
        .find(|m| !existing.iter().any(|u| u.user_id == m.user_id))
    {
        return Err(ServerError::bad_request(
            codes::GROUP_ACCOUNT_NOT_FOUND,
            format!("account {} does not exist", missing.user_id),
        ));
    }
    let record = GroupRecord {
        group_id: group_id.to_string(),
        group_type: group_type.to_owned(),
        name: req.name,
        owner: owner.unwrap_or_default(),
        introduction: req.introduction,
        notification: req.notification,
        face_url: req.face_url,
        max_members,
        created_at: time,
        last_seq: 0,
        last_msg_time: 0,
        member_count: members.len() as u32,
    };
    state.store.create_group(record, members).await?;
    state.members_changed(group_id.as_str());
    Ok(json!({"GroupId": group_id.as_str()}))
}

/// `@TGS#` followed by 10 random alphanumerics.
fn generate_group_id() -> String {
    let suffix: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(10)
        .map(char::from)
        .collect();
    format!("@TGS#{}", suffix.to_uppercase())
}
