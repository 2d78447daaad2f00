//! The registry of this node's logged-in WebSocket sessions, and the
//! outbound queue each connection owns.
//!
//! A connection's [`Outbox`] is bounded in *bytes* (`outbound_queue_bytes`),
//! not frames: a frame holds a share of the budget from the moment it is
//! queued until its writer has handed it to the socket. Delivery never
//! waits: a session whose budget is spent is closed, and its client
//! reconnects and catches up through `openim.getmsg` — one slow client
//! cannot stall delivery to everyone else. A reply to the connection's own
//! request does wait for room, and the connection reads no further request
//! meanwhile, so a client that sends requests but never reads its answers
//! holds at most one budget of memory.
//!
//! One account may have at most `sessions_per_user` sessions on a node;
//! registering one more evicts the oldest, which the caller tells to go.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};

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

/// A queued item and the share of its outbox's budget it holds until dropped.
#[derive(Debug)]
pub struct Queued {
    pub out: Outbound,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Why an item was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// The budget is spent: the receiver is not keeping up.
    Full,
    /// The connection's writer is gone.
    Closed,
}

/// The sending side of one connection's byte-bounded outbound queue.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Queued>,
    budget: Arc<Semaphore>,
    capacity: u32,
}

impl Outbox {
    /// Bytes a frame is charged at least, so that many tiny frames are bounded too.
    const MIN_CHARGE: usize = 256;

    /// A queue that holds up to `capacity_bytes` of frames, and its receiving end.
    pub fn new(capacity_bytes: usize) -> (Outbox, mpsc::UnboundedReceiver<Queued>) {
        let capacity = u32::try_from(capacity_bytes.max(Self::MIN_CHARGE)).unwrap_or(u32::MAX);
        let (tx, rx) = mpsc::unbounded_channel();
        let budget = Arc::new(Semaphore::new(capacity as usize));
        (
            Outbox {
                tx,
                budget,
                capacity,
            },
            rx,
        )
    }

    /// What `out` is charged. A frame larger than the whole budget is
    /// charged the whole budget, so it can still pass through an empty queue.
    fn charge(&self, out: &Outbound) -> u32 {
        match out {
            Outbound::Frame(bytes) => {
                let len = bytes.len().max(Self::MIN_CHARGE);
                u32::try_from(len).unwrap_or(u32::MAX).min(self.capacity)
            }
            Outbound::Close(_) => 0,
        }
    }

    fn send(&self, out: Outbound, budget: Option<OwnedSemaphorePermit>) -> Result<(), PushError> {
        self.tx
            .send(Queued {
                out,
                _budget: budget,
            })
            .map_err(|_| PushError::Closed)
    }

    /// Queues `out` if it fits in what is left of the budget.
    pub fn try_push(&self, out: Outbound) -> Result<(), PushError> {
        if self.tx.is_closed() {
            return Err(PushError::Closed);
        }
        let charge = self.charge(&out);
        if charge == 0 {
            return self.send(out, None);
        }
        let permit = self
            .budget
            .clone()
            .try_acquire_many_owned(charge)
            .map_err(|_| PushError::Full)?;
        self.send(out, Some(permit))
    }

    /// Queues `out`, waiting until the budget has room for it.
    pub async fn push(&self, out: Outbound) -> Result<(), PushError> {
        let charge = self.charge(&out);
        if charge == 0 {
            return self.send(out, None);
        }
        let permit = tokio::select! {
            permit = self.budget.clone().acquire_many_owned(charge) => {
                permit.map_err(|_| PushError::Closed)?
            }
            _ = self.tx.closed() => return Err(PushError::Closed),
        };
        self.send(out, Some(permit))
    }

    /// Bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.capacity as usize - self.budget.available_permits()
    }
}

/// One logged-in session, as the registry knows it.
#[derive(Debug, Clone)]
pub struct Session {
    pub conn: ConnId,
    pub outbox: Outbox,
    /// Tells the connection to close itself (it fell behind or was evicted).
    pub close: Arc<Notify>,
}

/// Logged-in sessions by user.
#[derive(Debug)]
pub struct Sessions {
    by_user: RwLock<HashMap<String, Vec<Session>>>,
    next_conn: AtomicU64,
    per_user: usize,
}

impl Sessions {
    /// A registry allowing `per_user` sessions per account (at least one).
    pub fn new(per_user: usize) -> Self {
        Sessions {
            by_user: RwLock::default(),
            next_conn: AtomicU64::new(0),
            per_user: per_user.max(1),
        }
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers `session` for `user` (idempotent: a re-login of the same
    /// connection is one session). Returns the sessions it evicted to stay
    /// within the per-user limit, oldest first: they are no longer
    /// registered, and the caller must tell them why and close them.
    pub fn register(&self, user: &str, session: Session) -> Vec<Session> {
        let mut map = self.by_user.write().unwrap_or_else(|p| p.into_inner());
        let list = map.entry(user.to_owned()).or_default();
        list.retain(|e| e.conn != session.conn);
        list.push(session);
        let excess = list.len().saturating_sub(self.per_user);
        list.drain(..excess).collect()
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
                    match e.outbox.try_push(out.clone()) {
                        Ok(()) => delivered += 1,
                        Err(PushError::Full) => too_slow.push((user.clone(), e.clone())),
                        Err(PushError::Closed) => {}
                    }
                }
            }
        }
        for (user, e) in too_slow {
            tracing::warn!(%user, conn = e.conn, queued = e.outbox.queued_bytes(), "session too slow; disconnecting it so it resyncs");
            self.unregister(&user, e.conn);
            // The budget is spent, so a close frame may never be written:
            // signal the connection instead. Its client reconnects and resyncs.
            e.close.notify_one();
        }
        delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(conn: ConnId, bytes: usize) -> (Session, mpsc::UnboundedReceiver<Queued>) {
        let (outbox, rx) = Outbox::new(bytes);
        let close = Arc::new(Notify::new());
        (
            Session {
                conn,
                outbox,
                close,
            },
            rx,
        )
    }

    #[tokio::test]
    async fn delivers_to_all_sessions_but_the_excluded_one() {
        let s = Sessions::new(10);
        let (a1, mut rx1) = session(1, 4096);
        let (a2, mut rx2) = session(2, 4096);
        let (b3, mut rx3) = session(3, 4096);
        assert!(s.register("alice", a1).is_empty());
        assert!(s.register("alice", a2).is_empty());
        assert!(s.register("bob", b3).is_empty());
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
    async fn a_spent_budget_drops_the_session() {
        let s = Sessions::new(10);
        let (bob, mut rx) = session(7, 1000);
        let close = bob.close.clone();
        s.register("bob", bob);
        let f = Outbound::Frame(Bytes::from(vec![b'x'; 600]));
        assert_eq!(s.deliver(&["bob".into()], None, &f), 1);
        // 600 of 1000 bytes are queued: another 600 does not fit.
        assert_eq!(s.deliver(&["bob".into()], None, &f), 0);
        assert_eq!(s.count("bob"), 0);
        // The connection was told to close (the permit is stored for it).
        tokio::time::timeout(std::time::Duration::from_secs(1), close.notified())
            .await
            .unwrap();
        assert!(rx.try_recv().is_ok());
    }

    #[tokio::test]
    async fn written_frames_give_their_bytes_back() {
        let (outbox, mut rx) = Outbox::new(1000);
        let f = Outbound::Frame(Bytes::from(vec![b'x'; 600]));
        outbox.try_push(f.clone()).unwrap();
        assert_eq!(outbox.queued_bytes(), 600);
        assert_eq!(outbox.try_push(f.clone()), Err(PushError::Full));
        // A reply waits for room instead of failing, and gets it once the writer took the frame.
        let waiting = tokio::spawn({
            let outbox = outbox.clone();
            let f = f.clone();
            async move { outbox.push(f).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(rx.recv().await.unwrap());
        waiting.await.unwrap().unwrap();
        assert_eq!(outbox.queued_bytes(), 600);
        // Tiny frames are charged a minimum, so their number is bounded too.
        let (small, _rx) = Outbox::new(1024);
        let tiny = Outbound::Frame(Bytes::from_static(b"{}"));
        let fitted = (0..100)
            .filter(|_| small.try_push(tiny.clone()).is_ok())
            .count();
        assert_eq!(fitted, 1024 / Outbox::MIN_CHARGE);
        // A close always fits: it carries no bytes.
        assert!(small.try_push(Outbound::Close(4000)).is_ok());
        // A frame larger than the whole budget still passes an empty queue.
        let (tight, _rx) = Outbox::new(300);
        assert!(tight
            .try_push(Outbound::Frame(Bytes::from(vec![0; 5000])))
            .is_ok());
    }

    #[tokio::test]
    async fn registering_beyond_the_limit_evicts_the_oldest() {
        let s = Sessions::new(2);
        let (a1, mut r1) = session(1, 4096);
        let (a2, _r2) = session(2, 4096);
        let (a3, mut r3) = session(3, 4096);
        assert!(s.register("alice", a1).is_empty());
        assert!(s.register("alice", a2.clone()).is_empty());
        // Logging in again on the same connection is still one session.
        assert!(s.register("alice", a2).is_empty());
        let evicted = s.register("alice", a3);
        assert_eq!(evicted.iter().map(|e| e.conn).collect::<Vec<_>>(), [1]);
        assert_eq!(s.count("alice"), 2);
        // Deliveries reach the newest sessions, not the evicted one.
        s.deliver(
            &["alice".into()],
            None,
            &Outbound::Frame(Bytes::from_static(b"x")),
        );
        assert!(r1.try_recv().is_err() && r3.try_recv().is_ok());
    }
}
