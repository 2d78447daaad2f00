//! Helpers shared by handlers: body parsing with Tencent's codes, and the
//! push and conversation shapes several commands use.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use natter_proto::limits::{MAX_SEND_MSG_CONTROL, MAX_U32_FIELD};
use natter_proto::wire::{EVENT_C2C, EVENT_GROUP};
use natter_proto::MsgItem;

use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};
use crate::store::GroupRecord;

pub use crate::auth::unix_now as now;

/// `{"UserID": …}`, the item of account lists (`CheckItem`, `DeleteItem`).
#[derive(Debug, serde::Deserialize)]
pub struct UserItem {
    #[serde(rename = "UserID")]
    pub user_id: String,
}

/// Deserialises a request body; a shape error gets `code`.
pub fn parse<T: DeserializeOwned>(body: Value, code: u32) -> Result<T> {
    serde_json::from_value(body)
        .map_err(|e| ServerError::bad_request(code, format!("invalid request: {e}")))
}

/// Messages as they leave the server: media URLs signed for their
/// conversation (`media::urls`); a message without media is passed on as
/// it is, not copied. Every handler that returns stored messages goes
/// through this.
pub fn outgoing<'a, I>(state: &AppState, items: I) -> Vec<Cow<'a, MsgItem>>
where
    I: IntoIterator<Item = &'a MsgItem>,
{
    let now = now();
    items
        .into_iter()
        .map(|i| state.media.urls.signed(i, now))
        .collect()
}

/// The push body for new C2C messages.
pub fn c2c_push(state: &AppState, items: &[&MsgItem]) -> Value {
    let items = outgoing(state, items.iter().copied());
    json!({"EventArray": [{"Event": EVENT_C2C, "C2cMsgArray": items}]})
}

/// The push body for new group messages.
pub fn group_push(state: &AppState, items: &[&MsgItem]) -> Value {
    let items = outgoing(state, items.iter().copied());
    json!({"EventArray": [{"Event": EVENT_GROUP, "GroupMsgArray": items}]})
}

/// Loads a group or fails with 10010.
pub async fn load_group(state: &AppState, group_id: &str) -> Result<GroupRecord> {
    state
        .store
        .group(group_id)
        .await?
        .ok_or_else(|| ServerError::GroupNotFound(group_id.to_owned()))
}

/// Fails with 10007 unless the caller is the admin or a member of the group.
pub async fn require_member(state: &AppState, caller: &Caller, group_id: &str) -> Result<()> {
    if caller.is_admin {
        return Ok(());
    }
    let members = state.member_ids(group_id).await?;
    if members.contains(&caller.user) {
        Ok(())
    } else {
        Err(ServerError::NotGroupMember(
            caller.user.clone(),
            group_id.to_owned(),
        ))
    }
}

/// The caller's role in a group (`None` when not a member).
pub async fn role_of(state: &AppState, group_id: &str, user: &str) -> Result<Option<String>> {
    Ok(state
        .store
        .members(group_id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user)
        .map(|m| m.role))
}

/// A group's profile in the shape of `get_joined_group_list` / `get_group_info` items.
pub fn group_json(g: &GroupRecord) -> Value {
    json!({
        "GroupId": g.group_id, "Type": g.group_type, "Name": g.name, "Owner_Account": g.owner,
        "Introduction": g.introduction, "Notification": g.notification, "FaceUrl": g.face_url,
        "CreateTime": g.created_at, "InfoSeq": 1, "LastInfoTime": g.created_at, "LastMsgTime": g.last_msg_time,
        "MemberNum": g.member_count, "MaxMemberNum": g.max_members, "ApplyJoinOption": "FreeAccess",
        "InviteJoinOption": "FreeAccess", "NextMsgSeq": g.last_seq + 1, "ShutUpAllMember": "Off",
    })
}

/// The strings of an array field (`[]` when absent; non-strings skipped).
pub fn string_list(body: &Value, name: &str) -> Vec<String> {
    body.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads an optional string-or-number field (Tencent clients send both)
/// that must fit the protocol's 32-bit unsigned range; anything else there
/// fails with `code`.
pub fn u32_field(v: &Value, name: &str, code: u32) -> Result<Option<u64>> {
    let value = match v.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    };
    match value {
        Some(n) if n <= MAX_U32_FIELD => Ok(Some(n)),
        _ => Err(ServerError::bad_request(
            code,
            format!("{name} must be an integer from 0 to {MAX_U32_FIELD}"),
        )),
    }
}

/// Fails with `code` when a field is longer than its limit in bytes; the
/// fields are `(name, value, limit)`.
pub fn check_lengths(fields: &[(&str, &str, usize)], code: u32) -> Result<()> {
    match fields.iter().find(|(_, value, limit)| value.len() > *limit) {
        Some((name, _, limit)) => Err(ServerError::bad_request(
            code,
            format!("{name} is longer than {limit} bytes"),
        )),
        None => Ok(()),
    }
}

/// Fails with `code` unless the number `name` fits the protocol's 32-bit unsigned range.
pub fn check_u32(name: &str, value: Option<u64>, code: u32) -> Result<()> {
    match value {
        Some(n) if n > MAX_U32_FIELD => Err(ServerError::bad_request(
            code,
            format!("{name} must be an integer from 0 to {MAX_U32_FIELD}"),
        )),
        _ => Ok(()),
    }
}

/// Fails with `code` unless `SendMsgControl` has at most four entries, each one Tencent defines.
pub fn check_send_msg_control(control: &[String], code: u32) -> Result<()> {
    const KNOWN: [&str; 4] = [
        "NoUnread",
        "NoLastMsg",
        "WithMuteNotifications",
        "NoMsgCheck",
    ];
    if control.len() > MAX_SEND_MSG_CONTROL {
        return Err(ServerError::bad_request(
            code,
            format!("SendMsgControl has more than {MAX_SEND_MSG_CONTROL} entries"),
        ));
    }
    if let Some(unknown) = control.iter().find(|c| !KNOWN.contains(&c.as_str())) {
        return Err(ServerError::bad_request(
            code,
            format!("SendMsgControl has an unknown entry {unknown:?}"),
        ));
    }
    Ok(())
}
