//! The conversation list, unread counts and read reports.

use std::collections::HashMap;

use natter_proto::{ConversationId, Message, MsgItem};
use serde_json::{json, Value};

use super::{Chat, CONVERSATION_EVENT_DELAY};
use crate::conversation::Conversation;
use crate::error::{Result, SdkError};
use crate::events::Event;

impl Chat {
    /// Reloads the conversation list from the server.
    pub async fn refresh_conversations(&self) -> Result<()> {
        let reply = self
            .request(
                "recentcontact.page_get",
                json!({"StartIndex": 0, "OrderType": 1}),
            )
            .await?;
        let me = self.login_user().unwrap_or_default();
        let items = reply
            .get("SessionItem")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut conversations = HashMap::new();
        for it in items {
            let kind = it.get("Type").and_then(Value::as_u64).unwrap_or(0);
            let id = match kind {
                1 => format!(
                    "C2C{}",
                    it.get("To_Account")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
                2 => format!(
                    "GROUP{}",
                    it.get("ToAccount")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
                _ => continue,
            };
            let mut c = Conversation::new(&id);
            if let Some(last) = it.get("NatterLastMsg").filter(|v| !v.is_null()) {
                if let Ok(item) = serde_json::from_value::<MsgItem>(last.clone()) {
                    c.last_message = Some(crate::conversation::LastMessage::from_message(
                        &Message::from_item(&item, &me),
                    ));
                }
            }
            c.unread_count = it
                .get("UnreadMsgCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            c.peer_read_time = it
                .get("C2cPeerReadTime")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            if let Some(g) = c.group_profile.as_mut() {
                g.name = it
                    .get("GroupName")
                    .and_then(Value::as_str)
                    .unwrap_or(&g.group_id)
                    .to_owned();
                g.kind = it
                    .get("GroupType")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
            }
            conversations.insert(id, c);
        }
        self.state().conversations = conversations;
        Ok(())
    }

    /// Schedules `ConversationListUpdated` + `TotalUnreadMessageCountUpdated`.
    /// Like the Web SDK, bursts are coalesced into one snapshot per
    /// [`CONVERSATION_EVENT_DELAY`], so a flood of messages does not copy the
    /// whole list once per message.
    pub(super) fn emit_conversations(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.conversations_dirty.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(CONVERSATION_EVENT_DELAY).await;
            me.inner.conversations_dirty.store(false, Ordering::Release);
            me.emit_conversations_now();
        });
    }

    pub(super) fn emit_conversations_now(&self) {
        let list = self.conversation_snapshot();
        let total = list.iter().map(|c| c.unread_count).sum();
        self.emit(Event::ConversationListUpdated(list));
        self.emit(Event::TotalUnreadMessageCountUpdated(total));
    }

    pub(super) fn conversation_snapshot(&self) -> Vec<Conversation> {
        let mut list: Vec<Conversation> = self.state().conversations.values().cloned().collect();
        list.sort_by(|a, b| {
            b.last_time()
                .cmp(&a.last_time())
                .then_with(|| a.conversation_id.cmp(&b.conversation_id))
        });
        list
    }

    /// The conversation list, newest first (`getConversationList`).
    pub fn get_conversation_list(&self) -> Result<Vec<Conversation>> {
        if self.login_user().is_none() {
            return Err(SdkError::NotLoggedIn);
        }
        Ok(self.conversation_snapshot())
    }

    /// Sum of unread counts (`getTotalUnreadMessageCount`).
    pub fn get_total_unread_message_count(&self) -> u64 {
        self.state()
            .conversations
            .values()
            .map(|c| c.unread_count)
            .sum()
    }

    /// Marks a whole conversation read (`setMessageRead`).
    pub async fn set_message_read(&self, conversation_id: &str) -> Result<()> {
        let now = self.server_time();
        let (last_time, last_seq) = {
            let st = self.state();
            let c = st.conversations.get(conversation_id);
            let last = c.and_then(|c| c.last_message.as_ref());
            (
                last.map_or(now, |l| l.last_time),
                last.map_or(0, |l| l.last_sequence),
            )
        };
        match ConversationId::parse(conversation_id)? {
            ConversationId::C2c(peer) => {
                self.request(
                    "openim.set_c2c_msg_read",
                    json!({"Peer_Account": peer.as_str(), "MsgReadTime": last_time}),
                )
                .await?;
            }
            ConversationId::Group(group) => {
                let mut body = json!({"GroupId": group.as_str()});
                if last_seq > 0 {
                    body["MsgReadedSeq"] = json!(last_seq);
                }
                self.request("group_open_http_svc.msg_read_report", body)
                    .await?;
            }
            ConversationId::System => return Ok(()),
        }
        if let Some(c) = self.state().conversations.get_mut(conversation_id) {
            c.unread_count = 0;
            c.group_at_info_list.clear();
        }
        self.emit_conversations();
        Ok(())
    }
}
