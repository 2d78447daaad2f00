//! [`Chat`]: the SDK instance. This file holds its state and the plumbing
//! every part shares; each concern is a file of its own, adding to `impl Chat`:
//!
//! * [`session`] — login, re-login after a reconnect, kicks, logout;
//! * [`sync`] — the sync position, pushes and resyncs, delivering messages once;
//! * [`conversations`] — the conversation list, unread counts, read reports;
//! * [`send`] — creating messages and sending them;
//! * [`media`] — image, file, video and audio messages: made from files, uploaded on send;
//! * [`history`] — paged message history;
//! * [`groups`] and [`profiles`] — groups and their members, users' profiles.

mod conversations;
mod groups;
mod history;
mod media;
mod profiles;
mod send;
mod session;
mod sync;

pub use groups::GroupMember;
pub use media::{LocalPreview, AUDIO_MAX_BYTES, FILE_MAX_BYTES, IMAGE_MAX_BYTES, VIDEO_MAX_BYTES};
pub use profiles::Profile;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use natter_proto::element::Element;
use natter_proto::Message;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::connection::Connection;
use crate::conversation::Conversation;
use crate::error::{Result, SdkError};
use crate::events::Event;
use sync::SeenIds;

/// Messages per history page (the Web SDK's maximum).
pub const PAGE_SIZE: usize = natter_proto::limits::HISTORY_PAGE;
/// Conversation-list events are coalesced over this window.
pub const CONVERSATION_EVENT_DELAY: Duration = Duration::from_millis(50);

/// Options of [`Chat::create`].
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// The server: `ws://host:port`, `wss://…`, or its `http(s)://` form.
    pub server_url: String,
    pub sdkappid: u64,
    /// Timeout of every request (the Web SDK's is 15 s).
    pub request_timeout: Duration,
}

impl ChatOptions {
    pub fn new(server_url: impl Into<String>, sdkappid: u64) -> Self {
        ChatOptions {
            server_url: server_url.into(),
            sdkappid,
            request_timeout: Duration::from_secs(15),
        }
    }
}

/// How far an upload (or download) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub bytes: u64,
    pub total: u64,
}

impl Progress {
    /// Done, from 0.0 to 1.0.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.bytes as f64 / self.total as f64
        }
    }
}

/// A progress callback (the Web SDK's `onProgress`). Called at most about
/// 30 times a second with growing values, and always last with 1.0.
#[derive(Clone)]
pub struct OnProgress(pub Arc<dyn Fn(Progress) + Send + Sync>);

impl OnProgress {
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> OnProgress {
        OnProgress(Arc::new(f))
    }
}

impl std::fmt::Debug for OnProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnProgress")
    }
}

/// Options of [`Chat::send_message`] (the Web SDK's `sendMessage` options).
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
    /// Upload progress of an image, file or video message.
    pub on_progress: Option<OnProgress>,
    /// Deliver only to online receivers; not stored, no unread, no lastMessage.
    pub online_user_only: bool,
    /// `SendMsgControl: NoUnread`.
    pub excluded_from_unread_count: bool,
    /// `SendMsgControl: NoLastMsg`.
    pub excluded_from_last_message: bool,
}

/// One page of [`Chat::get_message_list`].
#[derive(Debug, Clone)]
pub struct MessageListPage {
    /// Oldest first.
    pub message_list: Vec<Message>,
    /// Pass back to get the next (older) page; empty when completed.
    pub next_req_message_id: String,
    pub is_completed: bool,
}

struct Outgoing {
    elements: Vec<Element>,
    at_user_list: Vec<String>,
    /// The file still to upload, for media messages.
    media: Option<media::PendingMedia>,
}

#[derive(Default)]
struct State {
    user: Option<String>,
    /// The UserSig of the login: it authorises uploads and downloads.
    user_sig: String,
    tiny_id: String,
    /// Server time minus local time, seconds.
    time_offset: i64,
    ready: bool,
    cookie: String,
    conversations: HashMap<String, Conversation>,
    /// IDs of messages already delivered or sent here (dedupe of pushes and syncs).
    seen: SeenIds,
    /// History cursors by the ID handed out as `next_req_message_id`.
    cursors: HashMap<String, String>,
    /// Bodies of messages created here and not yet sent successfully.
    outbox: HashMap<String, Outgoing>,
    client_seq: u64,
}

struct Inner {
    options: ChatOptions,
    events: broadcast::Sender<Event>,
    state: Mutex<State>,
    conn: Mutex<Option<Arc<Connection>>>,
    /// A conversation-list event is scheduled (they are coalesced).
    conversations_dirty: std::sync::atomic::AtomicBool,
}

/// A Natter client. Cheap to clone; all clones share one connection.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Inner>,
}

fn local_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `ws(s)://host[:port]` from any accepted server URL.
pub fn websocket_base(server_url: &str) -> String {
    let trimmed = server_url.trim_end_matches('/');
    if let Some(rest) = trimmed.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = trimmed.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if trimmed.starts_with("ws://") || trimmed.starts_with("wss://") {
        trimmed.to_owned()
    } else {
        format!("ws://{trimmed}")
    }
}

/// The first client sequence, from the wall clock like the Web SDK:
/// `3` + last digit of the hour + `MMSS` + `0001` (e.g. 3417210001 at
/// 04:17:21). Ten digits, so it stays a valid `uint32` `MsgSeq`.
fn first_client_seq() -> u64 {
    let secs = local_now().rem_euclid(86_400) as u64;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    (((30 + h % 10) * 100 + m) * 100 + s) * 10_000 + 1
}

impl Chat {
    /// A new, logged-out instance.
    pub fn create(options: ChatOptions) -> Chat {
        let (events, _) = broadcast::channel(4096);
        Chat {
            inner: Arc::new(Inner {
                options,
                events,
                state: Mutex::new(State {
                    client_seq: first_client_seq(),
                    ..State::default()
                }),
                conn: Mutex::new(None),
                conversations_dirty: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Subscribes to events (each subscriber gets every event from now on).
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, e: Event) {
        let _ = self.inner.events.send(e);
    }

    fn conn(&self) -> Result<Arc<Connection>> {
        self.inner
            .conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(SdkError::NotLoggedIn)
    }

    /// The logged-in user ID, if any.
    pub fn login_user(&self) -> Option<String> {
        self.state().user.clone()
    }

    pub fn is_ready(&self) -> bool {
        self.state().ready
    }

    /// Server time (seconds), corrected by the offset learnt at login.
    pub fn server_time(&self) -> u64 {
        (local_now() + self.state().time_offset).max(0) as u64
    }

    async fn request(&self, servcmd: &str, body: Value) -> Result<Value> {
        self.conn()?
            .request(servcmd, body, self.inner.options.request_timeout, false)
            .await
    }

    /// Calls any server command as the logged-in user (groups, profiles …),
    /// returning the reply body. For commands this SDK has no method for yet.
    pub async fn call(&self, servcmd: &str, body: Value) -> Result<Value> {
        self.request(servcmd, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_become_websocket_urls() {
        assert_eq!(
            websocket_base("http://127.0.0.1:8080/"),
            "ws://127.0.0.1:8080"
        );
        assert_eq!(websocket_base("https://chat.example"), "wss://chat.example");
        assert_eq!(websocket_base("ws://h:1"), "ws://h:1");
        assert_eq!(websocket_base("h:1"), "ws://h:1");
    }

    #[test]
    fn client_sequence_starts_like_the_web_sdk() {
        let seq = first_client_seq();
        assert!(seq < u64::from(u32::MAX));
        let s = seq.to_string();
        assert_eq!(s.len(), 10);
        assert!(s.starts_with('3') && s.ends_with("0001"));
    }
}
