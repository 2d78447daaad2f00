//! The registry of this node's logged-in WebSocket sessions.
//!
//! Each session owns a bounded outbound queue drained by its socket writer.
//! Delivery never waits: a session whose queue is full is closed, and its
//! client reconnects and catches up through `openim.getmsg` — one slow
//! client cannot stall delivery to everyone else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use bytes::Bytes;
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};

/// Outbound frames queued per session before it counts as too slow.
pub const OUTBOUND_QUEUE: usize = 4096;

/// Identifies one WebSocket connection on this node.
pub type ConnId = u64;

/// What a session's writer task receives.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// An encoded frame (JSON bytes), shared between all its receivers.
    Frame(Bytes),
    /// Close the socket with this WebSocket close code.
    Close(u16),
}

#[derive(Debug, Clone)]
struct Entry {
    conn: ConnId,
    tx: mpsc::Sender<Outbound>,
    /// Tells the connection to close itself (its queue is full).
    close: Arc<Notify>,
}

/// Logged-in sessions by user.
#[derive(Debug, Default)]
pub struct Sessions {
    by_user: RwLock<HashMap<String, Vec<Entry>>>,
    next_conn: AtomicU64,
}

impl Sessions {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers `conn` as a session of `user` (idempotent: a re-login of the
    /// same connection is one session). `close` is notified if the session
    /// falls too far behind; the connection must then close its socket.
    pub fn register(
        &self,
        user: &str,
        conn: ConnId,
        tx: mpsc::Sender<Outbound>,
        close: Arc<Notify>,
    ) {
        let mut map = self.by_user.write().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(user.to_owned()).or_default();
        list.retain(|e| e.conn != conn);
        list.push(Entry { conn, tx, close });
    }

    pub fn unregister(&self, user: &str, conn: ConnId) {
        let mut map = self.by_user.write().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = map.get_mut(user) {
            list.retain(|e| e.conn != conn);
            if list.is_empty() {
                map.remove(user);
            }
        }
    }

    /// Number of sessions of `user` on this node.
    pub fn count(&self, user: &str) -> usize {
        self.by_user
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .map_or(0, Vec::len)
    }

    /// Queues `out` for every session of every user in `users`, except the
    /// connection `except`. Returns how many sessions it was queued for.
    pub fn deliver(&self, users: &[String], except: Option<ConnId>, out: &Outbound) -> usize {
        let mut delivered = 0;
        let mut too_slow = Vec::new();
        {
            let map = self.by_user.read().unwrap_or_else(|p| p.into_inner());
            for user in users {
                let Some(list) = map.get(user) else { continue };
                for e in list.iter().filter(|e| Some(e.conn) != except) {
                    match e.tx.try_send(out.clone()) {
                        Ok(()) => delivered += 1,
                        Err(mpsc::error::TrySendError::Full(_)) => {
                            too_slow.push((user.clone(), e.clone()))
                        }
                        Err(mpsc::error::TrySendError::Closed(_)) => {}
                    }
                }
            }
        }
        for (user, e) in too_slow {
            tracing::warn!(%user, conn = e.conn, "session too slow; disconnecting it so it resyncs");
            self.unregister(&user, e.conn);
            // The queue is full, so a close frame cannot be queued: signal
            // the connection instead. Its client reconnects and resyncs.
            e.close.notify_one();
        }
        delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_to_all_sessions_but_the_excluded_one() {
        let s = Sessions::new();
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        let (tx3, mut rx3) = mpsc::channel(4);
        s.register("alice", 1, tx1, Arc::default());
        s.register("alice", 2, tx2, Arc::default());
        s.register("bob", 3, tx3, Arc::default());
        let n = s.deliver(
            &["alice".into(), "bob".into(), "carol".into()],
            Some(2),
            &Outbound::Frame(Bytes::from_static(b"x")),
        );
        assert_eq!(n, 2);
        assert!(rx1.try_recv().is_ok());
        assert!(rx2.try_recv().is_err());
        assert!(rx3.try_recv().is_ok());
        s.unregister("alice", 1);
        assert_eq!(s.count("alice"), 1);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_session() {
        let s = Sessions::new();
        let (tx, _rx) = mpsc::channel(1);
        let close = Arc::new(Notify::new());
        s.register("bob", 7, tx, close.clone());
        let f = Outbound::Frame(Bytes::from_static(b"x"));
        assert_eq!(s.deliver(&["bob".into()], None, &f), 1);
        assert_eq!(s.deliver(&["bob".into()], None, &f), 0);
        assert_eq!(s.count("bob"), 0);
        // The connection was told to close (the permit is stored for it).
        tokio::time::timeout(std::time::Duration::from_secs(1), close.notified())
            .await
            .unwrap();
    }
}
