//! The sync position, pushes, and resyncs after a reconnect: every message
//! is delivered to the application once.

use std::collections::HashSet;

use natter_proto::{wire, Message, MsgItem};
use serde_json::{json, Value};

use super::Chat;
use crate::conversation::Conversation;
use crate::error::Result;
use crate::events::{Event, KickReason};

/// The most recent message IDs, bounded. A resync returns only messages after
/// the last sync position, so a forgotten ID could come back only if more than
/// `CAPACITY` messages arrived between two syncs.
#[derive(Default)]
pub(super) struct SeenIds {
    set: HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl SeenIds {
    /// Remembered IDs at most.
    const CAPACITY: usize = 50_000;

    /// Remembers `id`; false if it was already known.
    pub(super) fn insert(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

impl Chat {
    /// After the first login: the sync position and the conversation list.
    pub(super) async fn initial_sync(&self) -> Result<()> {
        let reply = self
            .request(
                "openim.getmsg",
                json!({"Cookie": "", "SyncFlag": 0, "IsOnlineSync": 0}),
            )
            .await?;
        let cookie = reply
            .get("Cookie")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        self.state().cookie = cookie;
        self.refresh_conversations().await
    }

    /// Fetches everything that arrived while the socket was down, in order, without duplicates.
    pub(super) async fn resync(&self) {
        loop {
            let cookie = self.state().cookie.clone();
            let reply = match self
                .request(
                    "openim.getmsg",
                    json!({"Cookie": cookie, "SyncFlag": 0, "IsOnlineSync": 1}),
                )
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "sync after reconnect failed");
                    return;
                }
            };
            let items: Vec<MsgItem> = reply
                .get("MsgList")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            if let Some(c) = reply
                .get("Cookie")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
            {
                self.state().cookie = c.to_owned();
            }
            self.deliver(items);
            if reply.get("SyncFlag").and_then(Value::as_u64) != Some(0) {
                return;
            }
        }
    }

    pub(super) fn on_push(&self, frame: wire::Frame) {
        match frame.head.servcmd.as_str() {
            wire::PUSH_MSG => {
                let events = frame
                    .body
                    .get("EventArray")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for ev in events {
                    for key in ["C2cMsgArray", "GroupMsgArray"] {
                        if let Some(arr) = ev.get(key) {
                            match serde_json::from_value::<Vec<MsgItem>>(arr.clone()) {
                                Ok(items) => self.deliver(items),
                                Err(e) => {
                                    tracing::warn!(error = %e, "dropping an unreadable message push")
                                }
                            }
                        }
                    }
                    if let Some(kicks) = ev.get("C2cNotifyMsgArray").and_then(Value::as_array) {
                        for k in kicks {
                            if let Some(t) = k
                                .pointer("/KickoutMsgNotify/KickType")
                                .and_then(Value::as_u64)
                            {
                                self.kicked(KickReason::from_kick_type(t));
                                return;
                            }
                        }
                    }
                }
            }
            "natter.conversation_read" => {
                if let Some(id) = frame.body.get("ConversationID").and_then(Value::as_str) {
                    if let Some(c) = self.state().conversations.get_mut(id) {
                        c.unread_count = 0;
                        c.group_at_info_list.clear();
                    }
                    self.emit_conversations();
                }
            }
            other => tracing::debug!(servcmd = other, "ignoring push"),
        }
    }

    /// Applies new messages: dedupe, conversations, then `MessageReceived`.
    pub(super) fn deliver(&self, items: Vec<MsgItem>) {
        let fresh: Vec<Message> = {
            let mut st = self.state();
            let me = st.user.clone().unwrap_or_default();
            let mut fresh = Vec::new();
            for item in &items {
                let m = Message::from_item(item, &me);
                if !st.seen.insert(&m.id) {
                    continue;
                }
                let conv = st
                    .conversations
                    .entry(m.conversation_id.clone())
                    .or_insert_with(|| Conversation::new(&m.conversation_id));
                if let (Some(g), Some(info)) =
                    (conv.group_profile.as_mut(), item.group_info.as_ref())
                {
                    g.kind = info.group_type.clone();
                }
                conv.apply(&m, &me);
                fresh.push(m);
            }
            fresh
        };
        if !fresh.is_empty() {
            self.emit(Event::MessageReceived(fresh));
            self.emit_conversations();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SeenIds;

    #[test]
    fn seen_ids_dedupe_and_stay_bounded() {
        let mut seen = SeenIds::default();
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        for i in 0..SeenIds::CAPACITY {
            seen.insert(&i.to_string());
        }
        assert_eq!(seen.set.len(), SeenIds::CAPACITY);
        assert!(seen.insert("a"), "the oldest ID was forgotten");
    }
}
