//! The TCP listener in front of both transports, and what it guards:
//!
//! * at most `max_connections` connections are served at once; past that,
//!   `accept` waits, and new connections queue in the kernel's backlog;
//! * at most `connections_per_address` come from one address; more are
//!   closed as soon as they are accepted;
//! * a connection that moves no byte either way for `idle_timeout_secs`
//!   (plus [`IDLE_GRACE`]) is closed: HTTP headers that never finish, an
//!   idle keep-alive connection, a WebSocket whose client went away without
//!   closing it.
//!
//! The slots a connection holds are released when its stream is dropped.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::config::Limits;

/// Added to the idle time at this level, so that an idle WebSocket is first
/// closed by its own session, cleanly, with a close frame the client reads.
pub const IDLE_GRACE: Duration = Duration::from_secs(5);

/// Accepts connections within the limits (see the module docs).
pub struct GuardedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
    per_address: Arc<AddressCounts>,
    idle: Duration,
}

/// Open connections per source address.
#[derive(Debug)]
struct AddressCounts {
    open: Mutex<HashMap<IpAddr, usize>>,
    max: usize,
}

/// One connection's place in [`AddressCounts`], given back on drop.
#[derive(Debug)]
struct AddressSlot {
    counts: Arc<AddressCounts>,
    address: IpAddr,
}

impl AddressCounts {
    fn take(self: &Arc<Self>, address: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(address).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            counts: self.clone(),
            address,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.address);
            }
        }
    }
}

impl GuardedListener {
    pub fn new(inner: TcpListener, limits: &Limits) -> Self {
        GuardedListener {
            inner,
            slots: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            per_address: Arc::new(AddressCounts {
                open: Mutex::default(),
                max: limits.connections_per_address.max(1),
            }),
            idle: Duration::from_secs(limits.idle_timeout_secs.max(1)) + IDLE_GRACE,
        }
    }
}

impl Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        loop {
            let Ok(slot) = self.slots.clone().acquire_owned().await else {
                // The semaphore is never closed; wait rather than spin if it were.
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            };
            let (stream, peer) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or the peer gave up before we
                    // took it: wait a moment so a persistent error does not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Some(address_slot) = self.per_address.take(peer.ip()) else {
                tracing::debug!(%peer, "too many connections from this address; closing");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let stream = GuardedStream {
                inner: stream,
                idle: self.idle,
                deadline: Box::pin(tokio::time::sleep(self.idle)),
                _slot: slot,
                _address_slot: address_slot,
            };
            return (stream, peer);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// The peer address of a connection, for `ConnectInfo<PeerAddr>`.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// A TCP stream that fails with `TimedOut` once no byte has moved for
/// `idle`, and holds its listener slots until dropped.
pub struct GuardedStream {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    _slot: OwnedSemaphorePermit,
    _address_slot: AddressSlot,
}

impl GuardedStream {
    fn moved(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    /// Counts a write that moved bytes, and times out one that waits too long.
    fn after_write(
        &mut self,
        written: Poll<io::Result<usize>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.pending_or_idle(cx),
        }
    }

    /// Turns `Pending` into a timeout once the deadline has passed.
    fn pending_or_idle<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no traffic on the connection",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.pending_or_idle(cx),
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, data);
        this.after_write(written, cx)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.after_write(written, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
