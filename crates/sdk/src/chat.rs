//! [`Chat`]: the SDK instance — login, messages, history, conversations.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use natter_proto::element::{validate_at_list, validate_body, Element};
use natter_proto::ids::SYSTEM_CONVERSATION;
use natter_proto::message::{status, GroupAtInfo as WireAtInfo};
use natter_proto::{types, wire, ConversationId, Message, MsgItem};
use rand::Rng;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::connection::{Connection, HeadAuth, Signal};
use crate::conversation::Conversation;
use crate::error::{Result, SdkError};
use crate::events::{Event, KickReason, NetState};

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

/// Options of [`Chat::send_message`] (the Web SDK's `sendMessage` options).
#[derive(Debug, Clone, Default)]
pub struct SendOptions {
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

/// The most recent message IDs, bounded. A resync returns only messages after
/// the last sync position, so a forgotten ID could come back only if more than
/// `CAPACITY` messages arrived between two syncs.
#[derive(Default)]
struct SeenIds {
    set: HashSet<String>,
    order: std::collections::VecDeque<String>,
}

impl SeenIds {
    /// Remembered IDs at most.
    const CAPACITY: usize = 50_000;

    /// Remembers `id`; false if it was already known.
    fn insert(&mut self, id: &str) -> bool {
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

struct Outgoing {
    elements: Vec<Element>,
    at_user_list: Vec<String>,
}

#[derive(Default)]
struct State {
    user: Option<String>,
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

    /// Logs in with a UserSig; resolves after `SdkReady`.
    pub async fn login(&self, user_id: &str, user_sig: &str) -> Result<()> {
        if let Some(u) = self.login_user() {
            return Err(SdkError::AlreadyLoggedIn(u));
        }
        natter_proto::UserId::new(user_id)?;
        let url = format!(
            "{}/binfo?sdkappid={}&instanceid={:032x}&random={}&platform=7&host=natter&version=-1&sdkversion=natter-sdk",
            websocket_base(&self.inner.options.server_url),
            self.inner.options.sdkappid,
            rand::rng().random::<u128>(),
            rand::rng().random::<u32>(),
        );
        let conn = Connection::new(url);
        *conn.auth.lock().unwrap_or_else(|p| p.into_inner()) = HeadAuth {
            identifier: Some(user_id.to_owned()),
            usersig: Some(user_sig.to_owned()),
            ..HeadAuth::default()
        };
        *self.inner.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        let (signals_tx, mut signals) = mpsc::unbounded_channel();
        tokio::spawn(conn.clone().run(signals_tx));

        // The first socket: log in, then keep handling signals in the background.
        let first_open = async {
            loop {
                match signals.recv().await {
                    Some(Signal::Opened) => return Ok(()),
                    Some(Signal::Closed | Signal::Push(_)) => continue,
                    None => return Err(SdkError::Network("connection task ended".into())),
                }
            }
        };
        let first = match tokio::time::timeout(self.inner.options.request_timeout, first_open).await
        {
            Ok(Ok(())) => self.wslogin(&conn, user_id).await,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SdkError::Network(format!(
                "cannot reach {}",
                self.inner.options.server_url
            ))),
        };
        if let Err(e) = first {
            conn.stop();
            *self.inner.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Err(e);
        }
        self.state().user = Some(user_id.to_owned());
        self.emit(Event::NetStateChange(NetState::Connected));
        if let Err(e) = self.initial_sync().await {
            self.shutdown();
            return Err(e);
        }
        self.state().ready = true;
        self.emit(Event::SdkReady);
        self.emit_conversations();
        let me = self.clone();
        tokio::spawn(async move { me.pump(signals).await });
        Ok(())
    }

    /// `im_open_status.wslogin`; stores A2Key/TinyId for later frames.
    async fn wslogin(&self, conn: &Connection, user_id: &str) -> Result<()> {
        let body = json!({"State": "Online", "is_web_uniapp": 0, "InstType": 0, "CustomInfo": ""});
        let reply = conn
            .request(
                "im_open_status.wslogin",
                body,
                self.inner.options.request_timeout,
                true,
            )
            .await?;
        let bad = |reason: &str| SdkError::BadReply {
            servcmd: "im_open_status.wslogin".into(),
            reason: reason.into(),
        };
        let a2 = reply
            .get("A2Key")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("A2Key missing"))?;
        let tiny = reply
            .get("TinyId")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("TinyId missing"))?;
        let server_time = reply
            .get("TimeStamp")
            .and_then(Value::as_i64)
            .unwrap_or_else(local_now);
        {
            let mut auth = conn.auth.lock().unwrap_or_else(|p| p.into_inner());
            auth.a2 = Some(a2.to_owned());
            auth.tinyid = Some(tiny.to_owned());
        }
        {
            let mut st = self.state();
            st.tiny_id = tiny.to_owned();
            st.time_offset = server_time - local_now();
        }
        conn.set_authenticated(true);
        tracing::debug!(user = user_id, "logged in");
        Ok(())
    }

    /// After the first login: the sync position and the conversation list.
    async fn initial_sync(&self) -> Result<()> {
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

    /// Handles connection signals until logout.
    async fn pump(self, mut signals: mpsc::UnboundedReceiver<Signal>) {
        while let Some(signal) = signals.recv().await {
            match signal {
                Signal::Push(frame) => self.on_push(*frame),
                Signal::Closed => self.emit(Event::NetStateChange(NetState::Connecting)),
                Signal::Opened => {
                    let Ok(conn) = self.conn() else { break };
                    let user = self.login_user().unwrap_or_default();
                    let mut relogin = self.wslogin(&conn, &user).await;
                    if matches!(&relogin, Err(e) if e.code() == natter_proto::codes::USERSIG_INVALID)
                    {
                        // The server no longer takes the session key (it was
                        // upgraded, or its secret changed): present the UserSig.
                        conn.forget_session_key();
                        relogin = self.wslogin(&conn, &user).await;
                    }
                    match relogin {
                        Ok(()) => {
                            self.emit(Event::NetStateChange(NetState::Connected));
                            let me = self.clone();
                            tokio::spawn(async move { me.resync().await });
                        }
                        Err(e) if e.code() == natter_proto::codes::USERSIG_EXPIRED => {
                            self.kicked(KickReason::UserSigExpired);
                            break;
                        }
                        // Kicked or deleted while away (or without the kick
                        // push reaching us): these credentials are done.
                        Err(e) if e.code() == natter_proto::codes::USERSIG_REVOKED => {
                            self.kicked(KickReason::RestApiKick);
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "re-login failed; will retry on the next connection")
                        }
                    }
                }
            }
        }
    }

    /// Fetches everything that arrived while the socket was down, in order, without duplicates.
    async fn resync(&self) {
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

    fn on_push(&self, frame: wire::Frame) {
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
    fn deliver(&self, items: Vec<MsgItem>) {
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

    /// Schedules `ConversationListUpdated` + `TotalUnreadMessageCountUpdated`.
    /// Like the Web SDK, bursts are coalesced into one snapshot per
    /// [`CONVERSATION_EVENT_DELAY`], so a flood of messages does not copy the
    /// whole list once per message.
    fn emit_conversations(&self) {
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

    fn emit_conversations_now(&self) {
        let list = self.conversation_snapshot();
        let total = list.iter().map(|c| c.unread_count).sum();
        self.emit(Event::ConversationListUpdated(list));
        self.emit(Event::TotalUnreadMessageCountUpdated(total));
    }

    fn conversation_snapshot(&self) -> Vec<Conversation> {
        let mut list: Vec<Conversation> = self.state().conversations.values().cloned().collect();
        list.sort_by(|a, b| {
            b.last_time()
                .cmp(&a.last_time())
                .then_with(|| a.conversation_id.cmp(&b.conversation_id))
        });
        list
    }

    fn kicked(&self, reason: KickReason) {
        self.emit(Event::KickedOut(reason));
        self.shutdown();
    }

    fn shutdown(&self) {
        let conn = self
            .inner
            .conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(c) = conn {
            c.stop();
        }
        let was_ready = {
            let mut st = self.state();
            let was = st.ready;
            *st = State {
                client_seq: st.client_seq,
                ..State::default()
            };
            was
        };
        if was_ready {
            self.emit(Event::SdkNotReady);
        }
        self.emit(Event::NetStateChange(NetState::Disconnected));
    }

    /// Logs out and closes the connection.
    pub async fn logout(&self) -> Result<()> {
        let conn = self.conn()?;
        // The answer does not matter: the session ends either way.
        let _ = conn
            .request(
                "im_open_status.wslogout",
                json!({"wslogout_type": 0}),
                Duration::from_secs(3),
                false,
            )
            .await;
        self.shutdown();
        Ok(())
    }

    /// Creates a text message (`createTextMessage`).
    pub fn create_text_message(
        &self,
        to: &str,
        conversation_type: &str,
        text: &str,
    ) -> Result<Message> {
        self.create_message(to, conversation_type, vec![Element::text(text)], Vec::new())
    }

    /// Creates a text message with @-mentions (`createTextAtMessage`), groups only.
    /// `at_user_list` may contain [`types::MSG_AT_ALL`] for @all.
    pub fn create_text_at_message(
        &self,
        to: &str,
        text: &str,
        at_user_list: &[String],
    ) -> Result<Message> {
        validate_at_list(at_user_list)?;
        self.create_message(
            to,
            types::CONV_GROUP,
            vec![Element::text(text)],
            at_user_list.to_vec(),
        )
    }

    /// Creates a message of any elements (custom, face, location … bodies).
    pub fn create_message(
        &self,
        to: &str,
        conversation_type: &str,
        elements: Vec<Element>,
        at_user_list: Vec<String>,
    ) -> Result<Message> {
        let conversation_id = match conversation_type {
            types::CONV_C2C if to == SYSTEM_CONVERSATION => {
                return Err(natter_proto::ProtoError::SystemConversation.into())
            }
            types::CONV_C2C => ConversationId::C2c(natter_proto::UserId::new(to)?),
            types::CONV_GROUP => ConversationId::Group(natter_proto::GroupId::new(to)?),
            _ => return Err(natter_proto::ProtoError::SystemConversation.into()),
        };
        if !at_user_list.is_empty() && conversation_type != types::CONV_GROUP {
            return Err(SdkError::AtOutsideGroup);
        }
        validate_body(&elements, "")?;
        let now = self.server_time();
        let mut st = self.state();
        let me = st.user.clone().ok_or(SdkError::NotLoggedIn)?;
        st.client_seq += 1;
        let client_seq = st.client_seq;
        let random = rand::rng().random_range(0..100_000_000u64);
        let item = MsgItem {
            from_account: me.clone(),
            to_account: (conversation_type == types::CONV_C2C).then(|| to.to_owned()),
            to_group_id: (conversation_type == types::CONV_GROUP).then(|| to.to_owned()),
            group_info: None,
            msg_seq: if conversation_type == types::CONV_C2C {
                client_seq
            } else {
                0
            },
            msg_random: random,
            msg_time_stamp: now,
            msg_client_time: now,
            tiny_id: st.tiny_id.clone(),
            msg_key: String::new(),
            client_seq,
            msg_priority: String::new(),
            from_account_nick: String::new(),
            from_account_headurl: String::new(),
            cloud_custom_data: String::new(),
            msg_body: elements.clone(),
            group_at_info: at_user_list
                .iter()
                .map(|u| WireAtInfo::from_user(u))
                .collect(),
            online_only_flag: 0,
            send_msg_control: Vec::new(),
            need_read_receipt: 0,
            support_message_extension: 0,
        };
        let mut m = Message::from_item(&item, &me);
        m.status = status::UNSEND.to_owned();
        m.conversation_id = conversation_id.to_string();
        st.outbox.insert(
            m.id.clone(),
            Outgoing {
                elements,
                at_user_list,
            },
        );
        Ok(m)
    }

    /// Sends a message created by this instance (`sendMessage`). On success
    /// `message` gets `status: success`, the server time and (groups) the
    /// group sequence; on failure `status: fail` and the error. Sending the
    /// same message again after a failure is safe: the server deduplicates.
    pub async fn send_message(&self, message: &mut Message, options: &SendOptions) -> Result<()> {
        let (elements, at_user_list) = {
            let st = self.state();
            let out = st
                .outbox
                .get(&message.id)
                .ok_or(SdkError::NotAnSdkMessage)?;
            (out.elements.clone(), out.at_user_list.clone())
        };
        validate_body(&elements, &message.cloud_custom_data)?;
        let mut control = Vec::new();
        if options.excluded_from_unread_count {
            control.push("NoUnread");
        }
        if options.excluded_from_last_message {
            control.push("NoLastMsg");
        }
        let result = if message.conversation_type == types::CONV_GROUP {
            let mut body = json!({
                "GroupId": message.to, "Random": message.random, "ClientSeq": message.client_sequence,
                "MsgPriority": message.priority, "MsgBody": elements, "CloudCustomData": message.cloud_custom_data,
                "MsgClientTime": message.client_time,
                "GroupAtInfo": at_user_list.iter().map(|u| WireAtInfo::from_user(u)).collect::<Vec<_>>(),
                "OnlineOnlyFlag": u32::from(options.online_user_only),
                "NeedReadReceipt": u32::from(message.need_read_receipt),
            });
            if !options.online_user_only {
                body["SendMsgControl"] = json!(control);
            }
            self.request("group_open_http_svc.send_group_msg", body)
                .await
        } else {
            let mut body = json!({
                "To_Account": message.to, "MsgSeq": message.client_sequence, "MsgRandom": message.random,
                "MsgBody": elements, "CloudCustomData": message.cloud_custom_data, "MsgClientTime": message.client_time,
                "IsNeedReadReceipt": u32::from(message.need_read_receipt),
            });
            if options.online_user_only {
                body["MsgLifeTime"] = json!(0);
            } else {
                body["SendMsgControl"] = json!(control);
            }
            self.request("openim.sendmsg", body).await
        };
        match result {
            Ok(reply) => {
                message.status = status::SUCCESS.to_owned();
                if let Some(t) = reply.get("MsgTime").and_then(Value::as_u64) {
                    message.time = t;
                }
                if message.conversation_type == types::CONV_GROUP {
                    if let Some(seq) = reply.get("MsgSeq").and_then(Value::as_u64) {
                        message.sequence = seq;
                    }
                }
                message.online_only_flag = options.online_user_only;
                message.is_excluded_from_unread_count = options.excluded_from_unread_count;
                message.is_excluded_from_last_message = options.excluded_from_last_message;
                {
                    let mut st = self.state();
                    st.outbox.remove(&message.id);
                    st.seen.insert(&message.id);
                    let me = st.user.clone().unwrap_or_default();
                    st.conversations
                        .entry(message.conversation_id.clone())
                        .or_insert_with(|| Conversation::new(&message.conversation_id))
                        .apply(message, &me);
                }
                self.emit_conversations();
                Ok(())
            }
            Err(e) => {
                message.status = status::FAIL.to_owned();
                Err(e)
            }
        }
    }

    /// A page of history (`getMessageList`): newest page first, 15 a page,
    /// each page oldest first. Pass `next_req_message_id` from the previous page.
    pub async fn get_message_list(
        &self,
        conversation_id: &str,
        next_req_message_id: Option<&str>,
    ) -> Result<MessageListPage> {
        self.get_message_list_with_count(conversation_id, next_req_message_id, PAGE_SIZE)
            .await
    }

    /// [`Self::get_message_list`] in pages of `count` messages, in one
    /// request each: beyond Tencent's 15, up to
    /// [`limits::HISTORY_REQUEST_MAX`](natter_proto::limits::HISTORY_REQUEST_MAX)
    /// (a larger `count` is taken as that, 0 as 1), for a client that shows
    /// many messages at once.
    pub async fn get_message_list_with_count(
        &self,
        conversation_id: &str,
        next_req_message_id: Option<&str>,
        count: usize,
    ) -> Result<MessageListPage> {
        let count = count.clamp(1, natter_proto::limits::HISTORY_REQUEST_MAX);
        let me = self.login_user().ok_or(SdkError::NotLoggedIn)?;
        let cursor = next_req_message_id
            .filter(|c| !c.is_empty())
            .map(|id| self.state().cursors.get(id).cloned().unwrap_or_default());
        match ConversationId::parse(conversation_id)? {
            ConversationId::C2c(peer) => {
                let reply = self
                    .request("openim.getroammsg", json!({"Peer_Account": peer.as_str(), "MaxCnt": count,
                        "LastMsgTime": 0, "MsgKey": cursor.unwrap_or_default(), "WithRecalledMsg": 1, "GetDirection": 0}))
                    .await?;
                let items: Vec<MsgItem> = parse_list(&reply, "MsgList", "openim.getroammsg")?;
                let complete = reply.get("Complete").and_then(Value::as_u64) == Some(1);
                let list: Vec<Message> = items.iter().map(|i| Message::from_item(i, &me)).collect();
                let next = if complete {
                    String::new()
                } else {
                    list.first().map(|m| m.id.clone()).unwrap_or_default()
                };
                if !next.is_empty() {
                    let key = reply
                        .get("MsgKey")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    self.state().cursors.insert(next.clone(), key);
                }
                Ok(MessageListPage {
                    message_list: list,
                    is_completed: next.is_empty(),
                    next_req_message_id: next,
                })
            }
            ConversationId::Group(group) => {
                let req_seq: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
                let reply = self
                    .request(
                        "group_open_http_svc.group_msg_get",
                        json!({"GroupId": group.as_str(),
                        "ReqMsgNumber": count, "ReqMsgSeq": req_seq, "WithRecalledMsg": 1}),
                    )
                    .await?;
                let mut items: Vec<MsgItem> =
                    parse_list(&reply, "RspMsgList", "group_open_http_svc.group_msg_get")?;
                items.reverse();
                let next_seq = reply
                    .get("NextReqMsgSeq")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let finished =
                    reply.get("IsFinished").and_then(Value::as_u64) == Some(2) || next_seq < 1;
                let list: Vec<Message> = items.iter().map(|i| Message::from_item(i, &me)).collect();
                let next = if finished {
                    String::new()
                } else {
                    next_seq.to_string()
                };
                if !next.is_empty() {
                    self.state().cursors.insert(next.clone(), next.clone());
                }
                Ok(MessageListPage {
                    message_list: list,
                    is_completed: finished,
                    next_req_message_id: next,
                })
            }
            ConversationId::System => Ok(MessageListPage {
                message_list: Vec::new(),
                next_req_message_id: String::new(),
                is_completed: true,
            }),
        }
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

    /// Calls any server command as the logged-in user (groups, profiles …),
    /// returning the reply body. For commands this SDK has no method for yet.
    pub async fn call(&self, servcmd: &str, body: Value) -> Result<Value> {
        self.request(servcmd, body).await
    }
}

fn parse_list(reply: &Value, key: &str, servcmd: &str) -> Result<Vec<MsgItem>> {
    match reply.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| SdkError::BadReply {
            servcmd: servcmd.to_owned(),
            reason: e.to_string(),
        }),
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

    #[test]
    fn client_sequence_starts_like_the_web_sdk() {
        let seq = first_client_seq();
        assert!(seq < u64::from(u32::MAX));
        let s = seq.to_string();
        assert_eq!(s.len(), 10);
        assert!(s.starts_with('3') && s.ends_with("0001"));
    }
}
