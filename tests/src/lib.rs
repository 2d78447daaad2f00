//! Test harness: a real server in a temp dir, logged-in SDK clients, event
//! waiting with deadlines, and a TCP proxy whose connections a test can cut.

pub mod raw;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use natter_sdk::{Chat, ChatOptions, Event};
use natter_server::config::Limits;
use natter_server::{Config, RunningServer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

pub const SDKAPPID: u64 = 1_400_000_000;
pub const SECRET: &str = "natter-test-secret";
pub const ADMIN: &str = "administrator";

/// How long a test waits for something that should happen.
pub const WAIT: Duration = Duration::from_secs(10);

/// A server on 127.0.0.1 with its data in a temp dir (removed on drop).
pub struct TestServer {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Limits::default()).await
    }

    /// A server with other limits than the defaults.
    pub async fn start_with(limits: Limits) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().to_owned(),
            sdkappid: SDKAPPID,
            secret_key: SECRET.into(),
            admin: ADMIN.into(),
            public_url: None,
            limits,
        };
        let server = natter_server::start(config).await.expect("server starts");
        TestServer { server, dir }
    }

    /// Stops the server and starts it again on the same data (on a new port).
    pub async fn restart(self) -> TestServer {
        let TestServer { server, dir } = self;
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..server.state.config.clone()
        };
        server.shutdown().await;
        let server = natter_server::start(config).await.expect("server restarts");
        TestServer { server, dir }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn ws_url(&self) -> String {
        self.server.ws_url()
    }

    pub fn http_url(&self) -> String {
        self.server.http_url()
    }

    pub fn admin(&self) -> natter_sdk::account::AdminClient {
        natter_sdk::account::AdminClient::with_key(&self.http_url(), SDKAPPID, ADMIN, SECRET)
    }

    /// Creates accounts (`multiaccount_import`) as the admin.
    pub async fn import(&self, users: &[&str]) {
        self.admin()
            .call(
                "im_open_login_svc",
                "multiaccount_import",
                &serde_json::json!({ "Accounts": users }),
            )
            .await
            .expect("accounts imported");
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// A UserSig for `user` signed with the test key.
pub fn sig(user: &str) -> String {
    natter_proto::usersig::generate(SDKAPPID, SECRET, user, 86_400, now())
}

/// A logged-in client with its own event subscription.
pub struct Client {
    pub chat: Chat,
    pub events: broadcast::Receiver<Event>,
    pub user: String,
}

impl Client {
    pub async fn login(url: &str, user: &str) -> Client {
        let chat = Chat::create(ChatOptions::new(url, SDKAPPID));
        let events = chat.events();
        chat.login(user, &sig(user))
            .await
            .unwrap_or_else(|e| panic!("{user} logs in: {e}"));
        Client {
            chat,
            events,
            user: user.to_owned(),
        }
    }

    /// Creates and sends a text message; the sent message on success.
    pub async fn send_text(
        &self,
        to: &str,
        conversation_type: &str,
        text: &str,
    ) -> Result<natter_sdk::Message, natter_sdk::SdkError> {
        let mut m = self.chat.create_text_message(to, conversation_type, text)?;
        self.chat
            .send_message(&mut m, &natter_sdk::SendOptions::default())
            .await
            .map(|_| m)
    }

    /// Waits for the first event that `pick` maps to `Some`.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Ok(e)) => {
                    if let Some(v) = pick(&e) {
                        return v;
                    }
                }
                Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                    panic!("{}: lost {n} events", self.user)
                }
                Ok(Err(e)) => panic!("{}: event stream ended: {e}", self.user),
                Err(_) => panic!("{}: timed out waiting for {what}", self.user),
            }
        }
    }

    /// Collects received messages until `count` have arrived.
    pub async fn received(&mut self, count: usize) -> Vec<natter_sdk::Message> {
        let mut got = Vec::new();
        while got.len() < count {
            let batch = self
                .wait_for("MessageReceived", |e| match e {
                    Event::MessageReceived(m) => Some(m.clone()),
                    _ => None,
                })
                .await;
            got.extend(batch);
        }
        got
    }

    /// Asserts no message arrives within `quiet`.
    pub async fn assert_no_message(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Err(_) => return,
                Ok(Ok(Event::MessageReceived(m))) => {
                    panic!("{}: unexpected messages {m:?}", self.user)
                }
                Ok(_) => {}
            }
        }
    }
}

/// A TCP proxy to `upstream`. [`Proxy::cut`] drops every open connection
/// (both directions) as a network failure would; new connections still work.
pub struct Proxy {
    pub addr: SocketAddr,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
    /// Bytes that went from clients to the server.
    upstream_bytes: Arc<std::sync::atomic::AtomicU64>,
    accept: JoinHandle<()>,
}

/// Copies `from` to `to`, counting the bytes into `count`.
async fn copy_counted(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Option<Arc<std::sync::atomic::AtomicU64>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                if let Some(c) = &count {
                    c.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy addr");
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let l2 = links.clone();
        let down: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let d2 = down.clone();
        let upstream_bytes: Arc<std::sync::atomic::AtomicU64> = Arc::default();
        let counter = upstream_bytes.clone();
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if d2.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropping `inbound` refuses the connection
                }
                let counter = counter.clone();
                let link = tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(upstream).await {
                        let (in_read, in_write) = inbound.into_split();
                        let (out_read, out_write) = outbound.into_split();
                        tokio::join!(
                            copy_counted(in_read, out_write, Some(counter)),
                            copy_counted(out_read, in_write, None),
                        );
                    }
                });
                l2.lock().expect("links").push(link);
            }
        });
        Proxy {
            addr,
            links,
            down,
            upstream_bytes,
            accept,
        }
    }

    /// Bytes clients sent through the proxy so far.
    pub fn upstream_bytes(&self) -> u64 {
        self.upstream_bytes
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// While down, new connections are closed at once (the server looks unreachable).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn cut(&self) {
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
