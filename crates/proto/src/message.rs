//! Messages: the wire item the server stores and pushes ([`MsgItem`]) and
//! the Web SDK `Message` shape that natter-sdk hands to UIs ([`Message`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::element::Element;
use crate::types;

/// `GroupAtInfo` entry: `{GroupAtAllFlag: 1}` for @all, else `{GroupAtAllFlag: 0, GroupAt_Account}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAtInfo {
    #[serde(rename = "GroupAtAllFlag", default)]
    pub at_all_flag: u32,
    #[serde(
        rename = "GroupAt_Account",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub account: String,
}

impl GroupAtInfo {
    /// Converts a Web SDK `atUserList` entry.
    pub fn from_user(user: &str) -> Self {
        if user == types::MSG_AT_ALL {
            GroupAtInfo {
                at_all_flag: 1,
                account: String::new(),
            }
        } else {
            GroupAtInfo {
                at_all_flag: 0,
                account: user.to_owned(),
            }
        }
    }
    /// The Web SDK `atUserList` entry.
    pub fn to_user(&self) -> String {
        if self.at_all_flag == 1 {
            types::MSG_AT_ALL.to_owned()
        } else {
            self.account.clone()
        }
    }
}

/// `GroupInfo` of a group message item. `GroupId` is required by the Web SDK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfoOfItem {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "GroupType", default)]
    pub group_type: String,
    #[serde(rename = "From_AccountNick", default)]
    pub from_account_nick: String,
    #[serde(rename = "From_AccountHeadurl", default)]
    pub from_account_headurl: String,
}

/// A message as it travels in pushes, sync and history (wire protocol §6, §8.3).
///
/// C2C items carry `To_Account`; group items carry `ToGroupId` and `GroupInfo`.
/// The receiver's message ID is `TinyId-MsgClientTime-MsgRandom`, so all three
/// are always forwarded exactly as the sender's client chose them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MsgItem {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(
        rename = "To_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_account: Option<String>,
    #[serde(rename = "ToGroupId", default, skip_serializing_if = "Option::is_none")]
    pub to_group_id: Option<String>,
    #[serde(rename = "GroupInfo", default, skip_serializing_if = "Option::is_none")]
    pub group_info: Option<GroupInfoOfItem>,
    /// C2C: the client's sequence; group: the group sequence (from 1).
    #[serde(rename = "MsgSeq")]
    pub msg_seq: u64,
    #[serde(rename = "MsgRandom")]
    pub msg_random: u64,
    /// Server time, seconds.
    #[serde(rename = "MsgTimeStamp")]
    pub msg_time_stamp: u64,
    #[serde(rename = "MsgClientTime", default)]
    pub msg_client_time: u64,
    /// The sender's TinyId, as a string (64-bit).
    #[serde(rename = "TinyId", default)]
    pub tiny_id: String,
    #[serde(rename = "MsgKey", default, skip_serializing_if = "String::is_empty")]
    pub msg_key: String,
    #[serde(rename = "ClientSeq", default, skip_serializing_if = "is_zero")]
    pub client_seq: u64,
    #[serde(
        rename = "MsgPriority",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub msg_priority: String,
    #[serde(rename = "From_AccountNick", default)]
    pub from_account_nick: String,
    #[serde(rename = "From_AccountHeadurl", default)]
    pub from_account_headurl: String,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<Element>,
    #[serde(rename = "GroupAtInfo", default, skip_serializing_if = "Vec::is_empty")]
    pub group_at_info: Vec<GroupAtInfo>,
    #[serde(
        rename = "OnlineOnlyFlag",
        default,
        skip_serializing_if = "is_zero_u32"
    )]
    pub online_only_flag: u32,
    #[serde(
        rename = "SendMsgControl",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub send_msg_control: Vec<String>,
    #[serde(
        rename = "IsNeedReadReceipt",
        default,
        skip_serializing_if = "is_zero_u32"
    )]
    pub need_read_receipt: u32,
    #[serde(
        rename = "SupportMessageExtension",
        default,
        skip_serializing_if = "is_zero_u32"
    )]
    pub support_message_extension: u32,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

impl MsgItem {
    /// The Web SDK message ID: `<TinyId>-<MsgClientTime>-<MsgRandom>`.
    pub fn web_id(&self) -> String {
        format!(
            "{}-{}-{}",
            self.tiny_id, self.msg_client_time, self.msg_random
        )
    }

    /// The REST C2C message key: `<MsgSeq>_<MsgRandom>_<MsgTimeStamp>`.
    pub fn c2c_msg_key(&self) -> String {
        format!(
            "{}_{}_{}",
            self.msg_seq, self.msg_random, self.msg_time_stamp
        )
    }

    /// Reads a REST C2C message key back: `(MsgSeq, MsgRandom, MsgTimeStamp)`,
    /// each within the protocol's 32-bit unsigned range; `None` if it is not one.
    pub fn parse_c2c_msg_key(key: &str) -> Option<(u64, u64, u64)> {
        let mut parts = key.split('_').map(|p| {
            p.parse::<u64>()
                .ok()
                .filter(|n| *n <= crate::limits::MAX_U32_FIELD)
        });
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(Some(seq)), Some(Some(random)), Some(Some(time)), None) => {
                Some((seq, random, time))
            }
            _ => None,
        }
    }

    pub fn is_group(&self) -> bool {
        self.to_group_id.is_some()
    }

    pub fn has_control(&self, flag: &str) -> bool {
        self.send_msg_control.iter().any(|c| c == flag)
    }
}

/// The Web SDK `Message` object (reference §1.4), field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: Value,
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    pub conversation_type: String,
    pub to: String,
    pub from: String,
    pub flow: String,
    pub time: u64,
    pub client_time: u64,
    pub status: String,
    pub priority: String,
    pub sequence: u64,
    pub client_sequence: u64,
    pub random: u64,
    pub nick: String,
    pub avatar: String,
    pub is_peer_read: bool,
    pub is_read: bool,
    pub is_revoked: bool,
    pub is_deleted: bool,
    pub is_modified: bool,
    pub at_user_list: Vec<String>,
    pub cloud_custom_data: String,
    pub need_read_receipt: bool,
    pub is_support_extension: bool,
    pub is_system_message: bool,
    pub is_broadcast_message: bool,
    pub has_risk_content: bool,
    pub is_place_message: u32,
    pub protocol: String,
    #[serde(rename = "senderTinyID")]
    pub sender_tiny_id: String,
    #[serde(rename = "_elements")]
    pub elements: Vec<WebElement>,
    #[serde(rename = "_onlineOnlyFlag")]
    pub online_only_flag: bool,
    #[serde(rename = "_isExcludedFromUnreadCount")]
    pub is_excluded_from_unread_count: bool,
    #[serde(rename = "_isExcludedFromLastMessage")]
    pub is_excluded_from_last_message: bool,
}

/// One entry of `Message._elements`: `{type, content}` (content in Web camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebElement {
    #[serde(rename = "type")]
    pub kind: String,
    pub content: Value,
}

/// `Message.status` values.
pub mod status {
    pub const UNSEND: &str = "unSend";
    pub const SUCCESS: &str = "success";
    pub const FAIL: &str = "fail";
}

impl Message {
    /// A stored or received message as seen by `me`.
    pub fn from_item(item: &MsgItem, me: &str) -> Message {
        let flow = if item.from_account == me { "out" } else { "in" };
        let (conversation_type, to, conversation_id) = match &item.to_group_id {
            Some(g) => (types::CONV_GROUP, g.clone(), format!("GROUP{g}")),
            None => {
                let to = item.to_account.clone().unwrap_or_default();
                let peer = if flow == "out" {
                    to.clone()
                } else {
                    item.from_account.clone()
                };
                (types::CONV_C2C, to, format!("C2C{peer}"))
            }
        };
        let first = item.msg_body.first();
        Message {
            id: item.web_id(),
            kind: first.map(|e| e.msg_type().to_owned()).unwrap_or_default(),
            payload: first.map(Element::web_payload).unwrap_or(Value::Null),
            conversation_id,
            conversation_type: conversation_type.to_owned(),
            to,
            from: item.from_account.clone(),
            flow: flow.to_owned(),
            time: item.msg_time_stamp,
            client_time: item.msg_client_time,
            status: status::SUCCESS.to_owned(),
            priority: if item.msg_priority.is_empty() {
                types::MSG_PRIORITY_NORMAL.to_owned()
            } else {
                item.msg_priority.clone()
            },
            sequence: item.msg_seq,
            client_sequence: if item.client_seq != 0 {
                item.client_seq
            } else {
                item.msg_seq
            },
            random: item.msg_random,
            nick: item.from_account_nick.clone(),
            avatar: item.from_account_headurl.clone(),
            is_peer_read: false,
            is_read: flow == "out",
            is_revoked: false,
            is_deleted: false,
            is_modified: false,
            at_user_list: item
                .group_at_info
                .iter()
                .map(GroupAtInfo::to_user)
                .collect(),
            cloud_custom_data: item.cloud_custom_data.clone(),
            need_read_receipt: item.need_read_receipt != 0,
            is_support_extension: item.support_message_extension != 0,
            is_system_message: false,
            is_broadcast_message: false,
            has_risk_content: false,
            is_place_message: 0,
            protocol: "JSON".to_owned(),
            sender_tiny_id: item.tiny_id.clone(),
            elements: item
                .msg_body
                .iter()
                .map(|e| WebElement {
                    kind: e.msg_type().to_owned(),
                    content: e.web_payload(),
                })
                .collect(),
            online_only_flag: item.online_only_flag != 0,
            is_excluded_from_unread_count: item.has_control("NoUnread"),
            is_excluded_from_last_message: item.has_control("NoLastMsg"),
        }
    }

    /// The text shown in a conversation list for this message: the text
    /// itself, or Tencent's placeholder for other types.
    pub fn message_for_show(&self) -> String {
        match self.kind.as_str() {
            types::MSG_TEXT => self.payload["text"].as_str().unwrap_or_default().to_owned(),
            other => placeholder(other).to_owned(),
        }
    }
}

/// Tencent's (international build) placeholder for a non-text message type.
pub fn placeholder(msg_type: &str) -> &'static str {
    match msg_type {
        types::MSG_IMAGE => "[Image]",
        types::MSG_LOCATION => "[Location]",
        types::MSG_AUDIO => "[Voice]",
        types::MSG_VIDEO => "[Video]",
        types::MSG_FILE => "[File]",
        types::MSG_CUSTOM => "[Custom Messages]",
        types::MSG_GRP_TIP => "[Group Notification]",
        types::MSG_GRP_SYS_NOTICE => "[Group System Message]",
        types::MSG_FACE => "[Animated Sticker]",
        types::MSG_MERGER => "[Chat Record]",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> MsgItem {
        serde_json::from_value(json!({
            "From_Account": "alice", "To_Account": "bob", "MsgSeq": 3417210001u64,
            "MsgRandom": 56589646, "MsgTimeStamp": 1795753041, "MsgClientTime": 1795753041,
            "TinyId": "144115200000000002",
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello-bob"}}]
        }))
        .unwrap()
    }

    #[test]
    fn web_id_and_key_follow_tencent() {
        let i = item();
        assert_eq!(i.web_id(), "144115200000000002-1795753041-56589646");
        assert_eq!(i.c2c_msg_key(), "3417210001_56589646_1795753041");
    }

    #[test]
    fn message_shape_uses_web_sdk_names() {
        let m = Message::from_item(&item(), "bob");
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["ID"], "144115200000000002-1795753041-56589646");
        assert_eq!(v["type"], "TIMTextElem");
        assert_eq!(v["payload"]["text"], "hello-bob");
        assert_eq!(v["conversationID"], "C2Calice");
        assert_eq!(v["flow"], "in");
        assert_eq!(v["sequence"], 3417210001u64);
        assert!(v.get("atUserList").is_some());
        assert!(v.get("needReadReceipt").is_some());
        let mine = Message::from_item(&item(), "alice");
        assert_eq!(mine.conversation_id, "C2Cbob");
        assert_eq!(mine.flow, "out");
    }

    #[test]
    fn at_info_round_trips_at_all() {
        let all = GroupAtInfo::from_user(types::MSG_AT_ALL);
        assert_eq!(
            serde_json::to_value(&all).unwrap(),
            json!({"GroupAtAllFlag": 1})
        );
        assert_eq!(all.to_user(), "__kImSDK_MesssageAtALL__");
        assert_eq!(GroupAtInfo::from_user("bob").to_user(), "bob");
    }
}
