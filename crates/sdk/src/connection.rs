//! The WebSocket connection: requests matched to replies by `seq`,
//! heartbeats, and automatic reconnection with backoff.
//!
//! Requests are kept in `pending` until answered or timed out. They are
//! written at once while the socket is authenticated; otherwise they wait
//! and are written, with their original `seq`, right after the next
//! successful (re-)login — like the Web SDK does.
//!
//! Lock discipline: the std mutexes here are never held across an `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use natter_proto::wire::{Frame, Head};
use rand::Rng;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::error::{Result, SdkError};

/// Heartbeat after this much silence from the server.
pub const HEARTBEAT_IDLE: Duration = Duration::from_secs(10);
/// A heartbeat must be answered (by any frame) within this.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);
/// First reconnect delay; doubles up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_millis(200);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

struct Pending {
    frame: Vec<u8>,
    /// Sent before authentication (login itself, heartbeats).
    before_login: bool,
    reply: oneshot::Sender<Result<Value>>,
}

/// Credentials put in every frame head.
#[derive(Debug, Clone, Default)]
pub struct HeadAuth {
    pub identifier: Option<String>,
    pub usersig: Option<String>,
    pub a2: Option<String>,
    pub tinyid: Option<String>,
}

pub struct Connection {
    url: String,
    seq: AtomicU64,
    pending: Mutex<HashMap<u64, Pending>>,
    writer: Mutex<Option<mpsc::UnboundedSender<Vec<u8>>>>,
    authenticated: Mutex<bool>,
    pub auth: Mutex<HeadAuth>,
    stop: Notify,
    stopped: Mutex<bool>,
}

/// What the connection reports to its owner.
pub enum Signal {
    /// A socket opened: the owner must (re-)login, then call `set_authenticated(true)`.
    Opened,
    /// The socket closed; reconnecting.
    Closed,
    /// A frame that answers no request.
    Push(Box<Frame>),
}

impl Connection {
    pub fn new(url: String) -> Arc<Self> {
        Arc::new(Connection {
            url,
            seq: AtomicU64::new(rand::rng().random_range(0..100_000_000)),
            pending: Mutex::new(HashMap::new()),
            writer: Mutex::new(None),
            authenticated: Mutex::new(false),
            auth: Mutex::new(HeadAuth::default()),
            stop: Notify::new(),
            stopped: Mutex::new(false),
        })
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a request and waits for its reply body (with `ErrorCode` 0), or an error.
    ///
    /// `before_login` requests go out on any open socket; others wait for authentication.
    pub async fn request(
        &self,
        servcmd: &str,
        body: Value,
        timeout: Duration,
        before_login: bool,
    ) -> Result<Value> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut frame = Frame::request(servcmd, seq, body);
        {
            let auth = Self::lock(&self.auth);
            frame.head.identifier = auth.identifier.clone();
            frame.head.usersig = auth.usersig.clone();
            frame.head.a2 = auth.a2.clone();
            frame.head.tinyid = auth.tinyid.clone();
            if frame.head.a2.is_some() {
                frame.head.identifier = None;
                frame.head.usersig = None;
            }
        }
        let bytes = frame.to_bytes();
        let (tx, rx) = oneshot::channel();
        Self::lock(&self.pending).insert(
            seq,
            Pending {
                frame: bytes.clone(),
                before_login,
                reply: tx,
            },
        );
        if before_login || *Self::lock(&self.authenticated) {
            if let Some(w) = Self::lock(&self.writer).as_ref() {
                let _ = w.send(bytes);
            }
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(SdkError::LoggedOut),
            Err(_) => {
                Self::lock(&self.pending).remove(&seq);
                Err(SdkError::Timeout {
                    servcmd: servcmd.to_owned(),
                })
            }
        }
    }

    /// Forgets the session key, so the next login presents the UserSig again.
    pub fn forget_session_key(&self) {
        let mut auth = Self::lock(&self.auth);
        auth.a2 = None;
        auth.tinyid = None;
    }

    /// Marks the socket as logged in (or not); on login, writes every waiting request.
    pub fn set_authenticated(&self, yes: bool) {
        *Self::lock(&self.authenticated) = yes;
        if !yes {
            return;
        }
        let writer = Self::lock(&self.writer).clone();
        if let Some(w) = writer {
            let mut waiting: Vec<(u64, Vec<u8>)> = Self::lock(&self.pending)
                .iter()
                .filter(|(_, p)| !p.before_login)
                .map(|(s, p)| (*s, p.frame.clone()))
                .collect();
            waiting.sort_by_key(|(s, _)| *s);
            for (_, f) in waiting {
                let _ = w.send(f);
            }
        }
    }

    /// Stops for good: closes the socket and fails every pending request.
    pub fn stop(&self) {
        *Self::lock(&self.stopped) = true;
        self.stop.notify_waiters();
        self.stop.notify_one();
        for (_, p) in Self::lock(&self.pending).drain() {
            let _ = p.reply.send(Err(SdkError::LoggedOut));
        }
    }

    pub fn is_stopped(&self) -> bool {
        *Self::lock(&self.stopped)
    }

    fn resolve(&self, head: &Head, body: Value) -> Option<Value> {
        let seq = head.seq?;
        let pending = Self::lock(&self.pending).remove(&seq)?;
        let code = body.get("ErrorCode").and_then(Value::as_u64).unwrap_or(0);
        let result = if code == 0 {
            Ok(body)
        } else {
            let message = body
                .get("ErrorInfo")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Err(SdkError::Server {
                code: code as u32,
                message,
            })
        };
        let _ = pending.reply.send(result);
        None
    }

    /// Runs the socket until [`Connection::stop`]: connects, reports signals,
    /// answers requests, heartbeats, and reconnects with backoff.
    pub async fn run(self: Arc<Self>, signals: mpsc::UnboundedSender<Signal>) {
        let mut backoff = MIN_BACKOFF;
        while !self.is_stopped() {
            let connected = tokio::select! {
                r = tokio_tungstenite::connect_async(self.url.as_str()) => r,
                _ = self.stop.notified() => break,
            };
            let socket = match connected {
                Ok((socket, _)) => socket,
                Err(e) => {
                    tracing::debug!(error = %e, "connect failed; retrying in {backoff:?}");
                    let jitter = rand::rng().random_range(0..=backoff.as_millis() as u64 / 4);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff + Duration::from_millis(jitter)) => {}
                        _ = self.stop.notified() => break,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = MIN_BACKOFF;
            let (mut sink, mut stream) = socket.split();
            let (wtx, mut wrx) = mpsc::unbounded_channel::<Vec<u8>>();
            *Self::lock(&self.writer) = Some(wtx.clone());
            let writer = tokio::spawn(async move {
                while let Some(bytes) = wrx.recv().await {
                    if sink.send(WsMessage::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                let _ = sink.close().await;
            });
            let _ = signals.send(Signal::Opened);

            let mut awaiting_alive = false;
            loop {
                let idle = if awaiting_alive {
                    HEARTBEAT_TIMEOUT
                } else {
                    HEARTBEAT_IDLE
                };
                let next = tokio::select! {
                    m = tokio::time::timeout(idle, stream.next()) => m,
                    _ = self.stop.notified() => break,
                };
                match next {
                    Err(_) if awaiting_alive => {
                        tracing::debug!("heartbeat unanswered; reconnecting");
                        break;
                    }
                    Err(_) => {
                        awaiting_alive = true;
                        let alive = Frame::request(
                            "heartbeat.alive",
                            self.seq.fetch_add(1, Ordering::Relaxed),
                            Value::Object(Default::default()),
                        );
                        let _ = wtx.send(alive.to_bytes());
                    }
                    Ok(None) | Ok(Some(Err(_))) => break,
                    Ok(Some(Ok(msg))) => {
                        awaiting_alive = false;
                        let data = match msg {
                            WsMessage::Binary(b) => b.to_vec(),
                            WsMessage::Text(t) => t.as_bytes().to_vec(),
                            WsMessage::Close(_) => break,
                            _ => continue,
                        };
                        let Ok(frame) = serde_json::from_slice::<Frame>(&data) else {
                            tracing::warn!("dropping a frame that is not JSON");
                            continue;
                        };
                        let is_reply = frame
                            .head
                            .seq
                            .is_some_and(|s| Self::lock(&self.pending).contains_key(&s));
                        if is_reply {
                            self.resolve(&frame.head, frame.body);
                        } else if frame.head.seq.is_none() {
                            let _ = signals.send(Signal::Push(Box::new(frame)));
                        }
                    }
                }
            }
            *Self::lock(&self.writer) = None;
            *Self::lock(&self.authenticated) = false;
            drop(wtx);
            let _ = writer.await;
            if !self.is_stopped() {
                let _ = signals.send(Signal::Closed);
            }
        }
    }
}
