//! The WebSocket transport: Tencent Web SDK's protocol
//! (`web-sdk-wire-protocol.md`). `/binfo` carries binary frames, `/info`
//! text frames; the server answers in the same kind (the SDK silently drops
//! the other kind).
//!
//! Per connection: a reader loop that handles frames in order, and a writer
//! task that drains the session's outbound queue (replies and pushes share
//! it, so a reply never overtakes an earlier push). A frame is
//! authenticated by the session's login or, before it, by the `a2`/`tinyid`
//! of its head: after a reconnect the SDK re-sends pending requests before
//! it logs in again.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use natter_proto::codes;
use natter_proto::wire::{fail_body, ok_body, Frame, Head};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use crate::auth::unix_now;
use crate::error::{Result, ServerError};
use crate::handlers::dispatch;
use crate::sessions::{ConnId, Outbound, OUTBOUND_QUEUE};
use crate::state::{AppState, Caller};

/// Seconds between `wshello` frames the SDK is asked to send.
const HELLO_INTERVAL: u64 = 120;
/// How long a closing connection may take to flush its queue.
const WRITER_DRAIN: std::time::Duration = std::time::Duration::from_secs(5);
/// Largest accepted frame (a 12 KB body plus envelope, with room to spare).
const MAX_FRAME_BYTES: usize = 256 * 1024;

pub async fn binary_socket(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, socket, true))
}

pub async fn text_socket(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, socket, false))
}

/// The logged-in user of a connection.
struct Login {
    user: String,
}

async fn run(state: Arc<AppState>, socket: WebSocket, binary: bool) {
    let conn = state.sessions.next_conn_id();
    let (tx, mut rx) = mpsc::channel::<Outbound>(OUTBOUND_QUEUE);
    let (mut sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(async move {
        // Write everything queued, then flush once: under fan-out load a
        // session often has several frames waiting, and one flush (one
        // syscall) for all of them is much cheaper than one per frame.
        let mut batch = Vec::with_capacity(64);
        while rx.recv_many(&mut batch, 64).await > 0 {
            let mut close = None;
            for out in batch.drain(..) {
                let msg = match out {
                    Outbound::Frame(bytes) if binary => Message::Binary(bytes),
                    Outbound::Frame(bytes) => match Utf8Bytes::try_from(bytes) {
                        Ok(text) => Message::Text(text),
                        Err(_) => continue,
                    },
                    Outbound::Close(code) => {
                        close = Some(code);
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

    let mut shutdown = state.shutdown_signal();
    let too_slow = Arc::new(Notify::new());
    let mut login: Option<Login> = None;
    loop {
        let msg = tokio::select! {
            m = stream.next() => m,
            // The writer ends on a server-side close (kick, slow session) or a dead socket.
            _ = &mut writer => break,
            _ = too_slow.notified() => {
                tracing::debug!(conn, "closing a session that fell behind");
                break;
            }
            _ = shutdown.changed() => {
                let _ = tx.send(Outbound::Close(1001)).await;
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
        let Some(reply) = handle_frame(&state, conn, &tx, &too_slow, &mut login, &data).await
        else {
            continue;
        };
        if tx
            .send(Outbound::Frame(Bytes::from(reply.to_bytes())))
            .await
            .is_err()
        {
            break;
        }
    }
    if let Some(l) = login {
        state.sessions.unregister(&l.user, conn);
    }
    drop(tx);
    // Let the writer flush what is queued, but never wait on a client that stopped reading.
    if !writer.is_finished()
        && tokio::time::timeout(WRITER_DRAIN, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
}

/// Handles one frame; returns the reply to send, if any.
async fn handle_frame(
    state: &AppState,
    conn: ConnId,
    tx: &mpsc::Sender<Outbound>,
    too_slow: &Arc<Notify>,
    login: &mut Option<Login>,
    data: &[u8],
) -> Option<Frame> {
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
        "im_open_status.wslogin" => wslogin(state, conn, tx, too_slow, login, &head)
            .await
            .map(Some),
        "im_open_status.wslogout" => {
            if let Some(l) = login.take() {
                state.sessions.unregister(&l.user, conn);
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
        _ => match caller_of(state, conn, login, &head) {
            Ok(caller) => dispatch(state, &caller, servcmd, frame.body).await,
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

fn caller_of(state: &AppState, conn: ConnId, login: &Option<Login>, head: &Head) -> Result<Caller> {
    if let Some(l) = login {
        return Ok(Caller::user(&l.user, Some(conn)));
    }
    match &head.a2 {
        Some(a2) => {
            let claims = state.auth.verify_a2(a2, head.tinyid.as_deref())?;
            Ok(Caller::user(&claims.user, Some(conn)))
        }
        None => Err(ServerError::NotLoggedIn),
    }
}

/// `im_open_status.wslogin`: first login with identifier + UserSig, or
/// re-login with a2 + tinyid. Registers the session for pushes.
async fn wslogin(
    state: &AppState,
    conn: ConnId,
    tx: &mpsc::Sender<Outbound>,
    too_slow: &Arc<Notify>,
    login: &mut Option<Login>,
    head: &Head,
) -> Result<Value> {
    let (user, tiny_id, expires_at) = match (&head.a2, &head.identifier, &head.usersig) {
        (Some(a2), _, _) if !a2.is_empty() => {
            let c = state.auth.verify_a2(a2, head.tinyid.as_deref())?;
            (c.user, c.tiny_id, c.expires_at)
        }
        (_, Some(identifier), Some(sig)) => {
            natter_proto::UserId::new(identifier.clone())?;
            let claims = state.auth.verify_user_sig(identifier, sig)?;
            let record = state.store.ensure_user(identifier).await?;
            (record.user_id, record.tiny_id, claims.expires_at())
        }
        (_, _, None) => return Err(natter_proto::ProtoError::UserSigEmpty.into()),
        _ => {
            return Err(ServerError::bad_request(
                codes::REST_BAD_IDENTIFIER,
                "identifier is missing",
            ))
        }
    };
    if let Some(previous) = login.take() {
        state.sessions.unregister(&previous.user, conn);
    }
    state
        .sessions
        .register(&user, conn, tx.clone(), too_slow.clone());
    let a2 = state.auth.issue_a2(&user, tiny_id, expires_at);
    tracing::debug!(%user, conn, "logged in");
    *login = Some(Login { user });
    Ok(json!({
        "A2Key": a2,
        "TinyId": tiny_id.to_string(),
        "InstId": state.next_inst_id(),
        "HelloInterval": HELLO_INTERVAL,
        "TimeStamp": unix_now(),
    }))
}
