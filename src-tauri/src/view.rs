//! What the page is sent. Messages reach it in a slim shape: the fields of
//! the Web SDK `Message` that the UI reads, under the same names
//! (`ui/src/lib/types.ts`; a test keeps the two in step). The full object
//! has ~35 fields plus `_elements`, and the page keeps every message of an
//! open conversation, so the difference is most of the web process's memory
//! in a long conversation.

use natter_sdk::{Event, Message, MessageListPage};
use serde::Serialize;
use serde_json::{json, Value};

use crate::desktop::{AppEvent, FileDrag, SequencedEvent};

/// A message as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    #[serde(rename = "ID")]
    pub id: String,
    /// `TIMTextElem`, `TIMImageElem`, ... (the first element's type).
    #[serde(rename = "type")]
    pub kind: String,
    /// The first element, in the Web SDK's payload shape for its type.
    pub payload: Value,
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    pub from: String,
    pub nick: String,
    /// `in` or `out`, as seen by the signed-in user.
    pub flow: String,
    /// Seconds since the epoch (server time).
    pub time: u64,
    /// `unSend`, `success` or `fail`.
    pub status: String,
    pub at_user_list: Vec<String>,
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        MessageView {
            id: m.id.clone(),
            kind: m.kind.clone(),
            payload: m.payload.clone(),
            conversation_id: m.conversation_id.clone(),
            from: m.from.clone(),
            nick: m.nick.clone(),
            flow: m.flow.clone(),
            time: m.time,
            status: m.status.clone(),
            at_user_list: m.at_user_list.clone(),
        }
    }
}

/// A page of a conversation's history, oldest first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub message_list: Vec<MessageView>,
    /// Where the next (older) page starts; empty when there is none.
    #[serde(rename = "nextReqMessageID")]
    pub next_req_message_id: String,
    pub is_completed: bool,
}

impl From<MessageListPage> for HistoryPage {
    fn from(p: MessageListPage) -> Self {
        HistoryPage {
            message_list: p.message_list.iter().map(MessageView::from).collect(),
            next_req_message_id: p.next_req_message_id,
            is_completed: p.is_completed,
        }
    }
}

/// An event as the UI's `ChatEvent`.
pub fn event_json(e: &SequencedEvent) -> Value {
    let mut json = event_body(&e.event);
    json["seq"] = e.seq.into();
    json
}

fn event_body(e: &AppEvent) -> Value {
    match e {
        AppEvent::Chat(e) => match e {
            Event::SdkReady => json!({"kind": "ready"}),
            Event::SdkNotReady => json!({"kind": "notReady"}),
            Event::MessageReceived(m) => json!({
                "kind": "messageReceived",
                "messages": m.iter().map(MessageView::from).collect::<Vec<_>>(),
            }),
            Event::ConversationListUpdated(c) => {
                json!({"kind": "conversationListUpdated", "conversations": c})
            }
            Event::TotalUnreadMessageCountUpdated(n) => {
                json!({"kind": "totalUnread", "total": n})
            }
            Event::NetStateChange(s) => json!({"kind": "netState", "state": s.as_str()}),
            Event::KickedOut(r) => json!({"kind": "kickedOut", "reason": r.as_str()}),
        },
        AppEvent::MessageStatus { message, error } => json!({
            "kind": "messageStatus",
            "message": MessageView::from(message.as_ref()),
            "error": error.as_ref().map(|(code, message)| json!({"code": code, "message": message})),
        }),
        AppEvent::MessageQueued(message) => {
            json!({"kind": "messageQueued", "message": MessageView::from(message.as_ref())})
        }
        AppEvent::UploadProgress {
            message_id,
            bytes,
            total,
        } => {
            json!({"kind": "uploadProgress", "messageId": message_id, "bytes": bytes, "total": total})
        }
        AppEvent::DownloadProgress { id, bytes, total } => {
            json!({"kind": "downloadProgress", "id": id, "bytes": bytes, "total": total})
        }
        AppEvent::FileDrag(drag) => match drag {
            FileDrag::Over { x, y } => {
                json!({"kind": "fileDrag", "state": "over", "paths": [], "x": x, "y": y})
            }
            FileDrag::Left => {
                json!({"kind": "fileDrag", "state": "left", "paths": [], "x": 0, "y": 0})
            }
            FileDrag::Dropped { paths, x, y } => json!({"kind": "fileDrag", "state": "dropped",
                "paths": paths.iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>(), "x": x, "y": y}),
        },
        AppEvent::RecordingLevel { id, level, at_ms } => {
            json!({"kind": "recordingLevel", "id": id, "level": level, "atMs": at_ms})
        }
        AppEvent::RecordingEnded { id, reason } => {
            json!({"kind": "recordingEnded", "id": id, "reason": reason})
        }
        AppEvent::OpenConversation(id) => json!({"kind": "openConversation", "conversationID": id}),
        AppEvent::Resync => json!({"kind": "resync"}),
        AppEvent::SignedOut => json!({"kind": "signedOut"}),
    }
}
