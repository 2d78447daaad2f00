//! Conversations as the Web SDK shapes them (reference §1.9).

use natter_proto::{types, Message};
use serde::{Deserialize, Serialize};

/// `lastMessage` of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastMessage {
    pub last_time: u64,
    pub last_sequence: u64,
    pub from_account: String,
    /// The text, or Tencent's placeholder such as `[Image]`.
    pub message_for_show: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: serde_json::Value,
    pub cloud_custom_data: String,
    pub nick: String,
    #[serde(rename = "messageID")]
    pub message_id: String,
}

impl LastMessage {
    pub fn from_message(m: &Message) -> Self {
        LastMessage {
            last_time: m.time,
            last_sequence: m.sequence,
            from_account: m.from.clone(),
            message_for_show: m.message_for_show(),
            kind: m.kind.clone(),
            payload: m.payload.clone(),
            cloud_custom_data: m.cloud_custom_data.clone(),
            nick: m.nick.clone(),
            message_id: m.id.clone(),
        }
    }
}

/// `groupAtInfoList` entry: who mentioned me where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupAtInfo {
    pub from: String,
    #[serde(rename = "groupID")]
    pub group_id: String,
    pub message_sequence: u64,
    /// `CONV_AT_ME` 1, `CONV_AT_ALL` 2, `CONV_AT_ALL_AT_ME` 3.
    pub at_type_array: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupProfile {
    #[serde(rename = "groupID")]
    pub group_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[serde(rename = "userID")]
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// `C2C`, `GROUP` or `@TIM#SYSTEM`.
    #[serde(rename = "type")]
    pub kind: String,
    pub unread_count: u64,
    pub last_message: Option<LastMessage>,
    pub group_profile: Option<GroupProfile>,
    pub user_profile: Option<UserProfile>,
    pub group_at_info_list: Vec<GroupAtInfo>,
    pub peer_read_time: u64,
}

impl Conversation {
    pub fn new(conversation_id: &str) -> Self {
        let (kind, group_profile, user_profile) =
            if let Some(g) = conversation_id.strip_prefix("GROUP") {
                (
                    types::CONV_GROUP,
                    Some(GroupProfile {
                        group_id: g.to_owned(),
                        name: g.to_owned(),
                        kind: String::new(),
                    }),
                    None,
                )
            } else if let Some(u) = conversation_id.strip_prefix("C2C") {
                (
                    types::CONV_C2C,
                    None,
                    Some(UserProfile {
                        user_id: u.to_owned(),
                    }),
                )
            } else {
                (types::CONV_SYSTEM, None, None)
            };
        Conversation {
            conversation_id: conversation_id.to_owned(),
            kind: kind.to_owned(),
            unread_count: 0,
            last_message: None,
            group_profile,
            user_profile,
            group_at_info_list: Vec::new(),
            peer_read_time: 0,
        }
    }

    /// Time of the last message (0 when none), for sorting newest first.
    pub fn last_time(&self) -> u64 {
        self.last_message.as_ref().map_or(0, |m| m.last_time)
    }

    /// Applies a new message `me` sent or received (reference §1.9.2).
    pub fn apply(&mut self, m: &Message, me: &str) {
        if m.online_only_flag {
            return;
        }
        if !m.is_excluded_from_last_message {
            let newer = self
                .last_message
                .as_ref()
                .is_none_or(|l| (m.time, m.sequence) >= (l.last_time, l.last_sequence));
            if newer {
                self.last_message = Some(LastMessage::from_message(m));
            }
        }
        if m.flow == "out" {
            self.unread_count = 0;
            self.group_at_info_list.clear();
            return;
        }
        if !m.is_excluded_from_unread_count {
            self.unread_count += 1;
        }
        if self.kind == types::CONV_GROUP {
            let at_me = m.at_user_list.iter().any(|u| u == me);
            let at_all = m.at_user_list.iter().any(|u| u == types::MSG_AT_ALL);
            let at_type = match (at_me, at_all) {
                (true, true) => Some(types::CONV_AT_ALL_AT_ME),
                (true, false) => Some(types::CONV_AT_ME),
                (false, true) => Some(types::CONV_AT_ALL),
                _ => None,
            };
            if let Some(t) = at_type {
                self.group_at_info_list.push(GroupAtInfo {
                    from: m.from.clone(),
                    group_id: m.to.clone(),
                    message_sequence: m.sequence,
                    at_type_array: vec![t],
                });
            }
        }
    }
}
