//! The WebSocket transport: Tencent Web SDK's protocol
//! (`web-sdk-wire-protocol.md`). `/binfo` carries binary frames, `/info`
//! text frames; the server answers in the same kind (the SDK silently drops
//! the other kind).
//!
//! Per connection: a reader loop that handles frames one at a time, in
//! order (so a connection never has more than one request in progress),
//! and a writer task that drains the connection's [`Outbox`] (replies and
//! pushes share it, so a reply never overtakes an earlier push). A frame is
//! authenticated by the session's login or, before it, by the `a2`/`tinyid`
//! of its head: after a reconnect the SDK re-sends pending requests before
//! it logs in again.
//!
//! A socket that has not logged in within `login_timeout_secs` of opening
//! (or of logging out) is closed, and so is a logged-in one with no frame
//! either way for `idle_timeout_secs` (a client that only listens sends
//! nothing while pushes keep coming; a dead one stops taking them, and its
//! outbox fills).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use natter_proto::codes;
use natter_proto::wire::{self, fail_body, ok_body, Frame, Head};
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

use crate::auth::unix_now;
use crate::error::{Result, ServerError};
use crate::handlers::dispatch;
use crate::sessions::{ConnId, Outbound, Outbox, Session};
use crate::state::{AppState, Caller};

/// Seconds between `wshello` frames the SDK is asked to send.
const HELLO_INTERVAL: u64 = 120;
/// How long a closing connection may take to flush its queue.
const WRITER_DRAIN: Duration = Duration::from_secs(5);
/// Largest accepted frame (a 12 KB body plus envelope, with room to spare).
const MAX_FRAME_BYTES: usize = 256 * 1024;
/// WebSocket close code for a server-side logout (kick, eviction, revocation).
pub const CLOSE_LOGGED_OUT: u16 = 4000;
/// `KickType` telling the Web SDK that a newer login of the account took this session's place.
pub const KICK_TYPE_MULTIPLE_DEVICE: u32 = 2;

pub async fn binary_socket(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, socket, true))
}

pub async fn text_socket(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, socket, false))
}

/// The logged-in user of a connection.
struct Login {
    user: String,
}

/// What the reader loop of one connection works with.
struct Connection<'a> {
    state: &'a AppState,
    conn: ConnId,
    outbox: Outbox,
    /// Notified when the connection must close (it fell behind, or a newer login evicted it).
    close: Arc<Notify>,
    login: Option<Login>,
}

async fn run(state: Arc<AppState>, socket: WebSocket, binary: bool) {
    let conn = state.sessions.next_conn_id();
    let (outbox, mut rx) = Outbox::new(state.config.limits.outbound_queue_bytes);
    let (mut sink, mut stream) = socket.split();
    // When the writer last flushed, in milliseconds since `opened`.
    let opened = Instant::now();
    let last_write = Arc::new(AtomicU64::new(0));
    let wrote = last_write.clone();
    let mut writer = tokio::spawn(async move {
        // Write everything queued, then flush once: under fan-out load a
        // session often has several frames waiting, and one flush (one
        // syscall) for all of them is much cheaper than one per frame.
        // Items keep their share of the budget until flushed.
        let mut batch = Vec::with_capacity(64);
        while rx.recv_many(&mut batch, 64).await > 0 {
            let mut close = None;
            for queued in &batch {
                let msg = match &queued.out {
                    Outbound::Frame(bytes) if binary => Message::Binary(bytes.clone()),
                    Outbound::Frame(bytes) => match Utf8Bytes::try_from(bytes.clone()) {
                        Ok(text) => Message::Text(text),
                        Err(_) => continue,
                    },
                    Outbound::Close(code) => {
                        close = Some(*code);
                        break;
                    }
                };
                if sink.feed(msg).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
            let since_open = u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX);
            wrote.store(since_open, Ordering::Relaxed);
            batch.clear();
            if let Some(code) = close {
                let frame = CloseFrame {
                    code,
                    reason: Utf8Bytes::from_static(""),
                };
                let _ = sink.send(Message::Close(Some(frame))).await;
                return;
            }
        }
    });

    let limits = &state.config.limits;
    let login_timeout = Duration::from_secs(limits.login_timeout_secs);
    let idle_timeout = Duration::from_secs(limits.idle_timeout_secs);
    let mut shutdown = state.shutdown_signal();
    let mut c = Connection {
        state: &state,
        conn,
        outbox: outbox.clone(),
        close: Arc::new(Notify::new()),
        login: None,
    };
    // Until a login, the deadline runs from the socket's opening and frames
    // do not move it: a client cannot keep an anonymous socket alive.
    let mut deadline = Instant::now() + login_timeout;
    loop {
        let msg = tokio::select! {
            m = stream.next() => m,
            // The writer ends on a server-side close (kick, slow session) or a dead socket.
            _ = &mut writer => break,
            _ = c.close.notified() => {
                tracing::debug!(conn, "closing a session that fell behind or was replaced");
                break;
            }
            _ = shutdown.changed() => {
                let _ = outbox.try_push(Outbound::Close(1001));
                break;
            }
            _ = tokio::time::sleep_until(deadline) => {
                let written = opened + Duration::from_millis(last_write.load(Ordering::Relaxed));
                if c.login.is_some() && written + idle_timeout > Instant::now() {
                    deadline = written + idle_timeout;
                    continue;
                }
                tracing::debug!(conn, logged_in = c.login.is_some(), "closing an idle socket");
                let _ = outbox.try_push(Outbound::Close(1000));
                break;
            }
        };
        let data: Bytes = match msg {
            Some(Ok(Message::Binary(b))) if binary => b,
            Some(Ok(Message::Text(t))) if !binary => Bytes::from(t),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            // Pings are answered by the library; frames of the wrong kind are ignored, like the SDK does.
            Some(Ok(_)) => continue,
        };
        let was_logged_in = c.login.is_some();
        let reply = c.handle_frame(&data).await;
        match (was_logged_in, c.login.is_some()) {
            (_, true) => deadline = Instant::now() + idle_timeout,
            (true, false) => deadline = Instant::now() + login_timeout,
            (false, false) => {}
        }
        let Some(reply) = reply else { continue };
        // Waits while the outbox is full: this connection reads no more
        // requests until its client has taken some of what it was sent.
        let queued = tokio::select! {
            r = outbox.push(Outbound::Frame(Bytes::from(reply.to_bytes()))) => r.is_ok(),
            _ = c.close.notified() => false,
            _ = shutdown.changed() => false,
            _ = tokio::time::sleep_until(deadline) => false,
        };
        if !queued {
            break;
        }
    }
    if let Some(l) = c.login.take() {
        state.sessions.unregister(&l.user, conn);
    }
    drop(c);
    drop(outbox);
    // Let the writer flush what is queued, but never wait on a client that stopped reading.
    if !writer.is_finished()
        && tokio::time::timeout(WRITER_DRAIN, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
}

impl Connection<'_> {
    /// Handles one frame; returns the reply to send, if any.
    async fn handle_frame(&mut self, data: &[u8]) -> Option<Frame> {
        let frame: Frame = match serde_json::from_slice(data) {
            Ok(f) => f,
            Err(e) => {
                // No seq to echo: tell the client in a push it can log.
                let body = fail_body(codes::JSON_PARSE_FAILED, &format!("malformed frame: {e}"));
                return Some(Frame::push("natter.error", body));
            }
        };
        let head = frame.head;
        let servcmd = head.servcmd.as_str();
        let result: Result<Option<Value>> = match servcmd {
            "im_open_status.wslogin" => self.wslogin(&head).await.map(Some),
            "im_open_status.wslogout" => {
                if let Some(l) = self.login.take() {
                    self.state.sessions.unregister(&l.user, self.conn);
                }
                Ok(Some(json!({})))
            }
            "heartbeat.alive" => Ok(Some(json!({"ServerTime": unix_now()}))),
            // Fire-and-forget: the SDK expects no reply.
            "openim.ws_msg_push_ack" => return None,
            "" => Err(ServerError::bad_request(
                codes::REQUEST_INVALID,
                "head.servcmd is missing",
            )),
            _ => match self.caller(&head).await {
                Ok(caller) => dispatch(self.state, &caller, servcmd, frame.body).await,
                Err(e) => Err(e),
            },
        };
        let body = match result {
            Ok(Some(v)) => ok_body(v),
            Ok(None) => {
                tracing::debug!(%servcmd, "unknown command answered with a bare success");
                ok_body(json!({}))
            }
            Err(e) => {
                tracing::debug!(%servcmd, code = e.code(), error = %e, "command failed");
                fail_body(e.code(), &e.to_string())
            }
        };
        Some(Frame::reply_to(&head, body))
    }

    /// Who sends a frame: the logged-in user, or the holder of the frame's A2Key.
    async fn caller(&self, head: &Head) -> Result<Caller> {
        if let Some(l) = &self.login {
            return Ok(Caller::user(&l.user, Some(self.conn)));
        }
        match &head.a2 {
            Some(a2) => {
                let claims = self.state.auth.verify_a2(a2, head.tinyid.as_deref())?;
                self.state
                    .check_not_revoked(&claims.user, claims.issued_at)
                    .await?;
                Ok(Caller::user(&claims.user, Some(self.conn)))
            }
            None => Err(ServerError::NotLoggedIn),
        }
    }

    /// `im_open_status.wslogin`: first login with identifier + UserSig, or
    /// re-login with a2 + tinyid. Registers the session for pushes; a login
    /// beyond the account's session limit ends its oldest session.
    async fn wslogin(&mut self, head: &Head) -> Result<Value> {
        let state = self.state;
        let (user, tiny_id, issued_at, expires_at) =
            match (&head.a2, &head.identifier, &head.usersig) {
                (Some(a2), _, _) if !a2.is_empty() => {
                    let c = state.auth.verify_a2(a2, head.tinyid.as_deref())?;
                    state.check_not_revoked(&c.user, c.issued_at).await?;
                    (c.user, c.tiny_id, c.issued_at, c.expires_at)
                }
                (_, Some(identifier), Some(sig)) => {
                    natter_proto::UserId::new(identifier.clone())?;
                    let claims = state.auth.verify_user_sig(identifier, sig)?;
                    // Before the account is looked up: a revoked UserSig of a
                    // deleted account must not bring the account back.
                    state.check_not_revoked(identifier, claims.time).await?;
                    let record = state.store.ensure_user(identifier).await?;
                    (
                        record.user_id,
                        record.tiny_id,
                        claims.time,
                        claims.expires_at(),
                    )
                }
                (_, _, None) => return Err(natter_proto::ProtoError::UserSigEmpty.into()),
                _ => {
                    return Err(ServerError::bad_request(
                        codes::REST_BAD_IDENTIFIER,
                        "identifier is missing",
                    ))
                }
            };
        if let Some(previous) = self.login.take() {
            state.sessions.unregister(&previous.user, self.conn);
        }
        let evicted = state.sessions.register(
            &user,
            Session {
                conn: self.conn,
                outbox: self.outbox.clone(),
                close: self.close.clone(),
            },
        );
        for old in evicted {
            tracing::debug!(%user, conn = old.conn, "a newer login takes this session's place");
            let notice = json!({"EventArray": [{"Event": wire::EVENT_KICK,
                "C2cNotifyMsgArray": [{"KickoutMsgNotify": {"KickType": KICK_TYPE_MULTIPLE_DEVICE, "NewInstInfo": {}}}]}]});
            let kick = Bytes::from(Frame::push(wire::PUSH_MSG, notice).to_bytes());
            let told = old.outbox.try_push(Outbound::Frame(kick)).is_ok()
                && old
                    .outbox
                    .try_push(Outbound::Close(CLOSE_LOGGED_OUT))
                    .is_ok();
            if !told {
                old.close.notify_one();
            }
        }
        // A revocation that landed while this login was being checked has
        // either been seen above or finds this session registered when it
        // closes the account's sessions; checking once more closes the gap
        // between the two.
        if let Err(e) = state.check_not_revoked(&user, issued_at).await {
            state.sessions.unregister(&user, self.conn);
            return Err(e);
        }
        let a2 = state.auth.issue_a2(&user, tiny_id, issued_at, expires_at);
        tracing::debug!(%user, conn = self.conn, "logged in");
        self.login = Some(Login { user });
        Ok(json!({
            "A2Key": a2,
            "TinyId": tiny_id.to_string(),
            "InstId": state.next_inst_id(),
            "HelloInterval": HELLO_INTERVAL,
            "TimeStamp": unix_now(),
        }))
    }
}
