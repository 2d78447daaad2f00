//! Groups: creating one, inviting members, listing its members.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Chat;
use crate::error::{Result, SdkError};

/// Members asked for per `get_group_member_info` request.
const MEMBER_PAGE: usize = 500;

/// A member of a group (the fields of the Web SDK's `GroupMember` Natter fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    #[serde(rename = "userID")]
    pub user_id: String,
    /// `Owner`, `Admin` or `Member`.
    pub role: String,
}

/// The `MemberList` of group requests, from user IDs.
fn member_list(user_ids: &[String]) -> Vec<Value> {
    user_ids
        .iter()
        .map(|m| json!({"Member_Account": m.trim()}))
        .collect()
}

impl Chat {
    /// Creates a group owned by the logged-in user (`createGroup`):
    /// `group_type` is `Work`, `Public` or `Meeting`. Returns its group ID.
    pub async fn create_group(
        &self,
        name: &str,
        group_type: &str,
        member_ids: &[String],
    ) -> Result<String> {
        const SERVCMD: &str = "group_open_http_svc.create_group";
        let reply = self
            .request(
                SERVCMD,
                json!({"Type": group_type, "Name": name.trim(), "MemberList": member_list(member_ids)}),
            )
            .await?;
        reply
            .get("GroupId")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| SdkError::BadReply {
                servcmd: SERVCMD.into(),
                reason: "no GroupId".into(),
            })
    }

    /// Invites users to a group (`addGroupMember`); returns those that were
    /// added (not those already in it, nor unknown accounts).
    pub async fn add_group_member(
        &self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>> {
        let reply = self
            .request(
                "group_open_http_svc.add_group_member",
                json!({"GroupId": group_id, "MemberList": member_list(user_ids)}),
            )
            .await?;
        Ok(reply
            .get("MemberList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m.get("Result").and_then(Value::as_u64) == Some(1))
            .filter_map(|m| m.get("Member_Account").and_then(Value::as_str))
            .map(str::to_owned)
            .collect())
    }

    /// Every member of a group the user belongs to (`getGroupMemberList`,
    /// all of its pages).
    pub async fn get_group_member_list(&self, group_id: &str) -> Result<Vec<GroupMember>> {
        let mut members = Vec::new();
        loop {
            let reply = self
                .request(
                    "group_open_http_svc.get_group_member_info",
                    json!({"GroupId": group_id, "Limit": MEMBER_PAGE, "Offset": members.len()}),
                )
                .await?;
            let page: Vec<GroupMember> = reply
                .get("MemberList")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| {
                    Some(GroupMember {
                        user_id: m.get("Member_Account")?.as_str()?.to_owned(),
                        role: m
                            .get("Role")
                            .and_then(Value::as_str)
                            .unwrap_or("Member")
                            .to_owned(),
                    })
                })
                .collect();
            let total = reply.get("MemberNum").and_then(Value::as_u64).unwrap_or(0);
            let last = page.is_empty();
            members.extend(page);
            if last || members.len() as u64 >= total {
                return Ok(members);
            }
        }
    }
}
