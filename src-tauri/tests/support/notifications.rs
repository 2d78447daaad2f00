//! A notification server (`org.freedesktop.Notifications`, the one desktop
//! shells provide) on a test's private session bus: it records the
//! notifications the app shows, and can click them as a user would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

const PATH: &str = "/org/freedesktop/Notifications";
const WAIT: Duration = Duration::from_secs(20);

/// A notification the app asked for.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// Pairs of action key and label.
    pub actions: Vec<String>,
}

struct Server {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into(), "body-markup".into()]
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        // As the specification says: replacing keeps the notification's ID.
        let id = match shown.iter().position(|n| n.id == replaces_id) {
            Some(i) => shown.remove(i).id,
            None => shown.iter().map(|n| n.id).max().unwrap_or(0) + 1,
        };
        shown.push(Shown {
            id,
            app_name,
            summary,
            body,
            actions,
        });
        id
    }

    fn close_notification(&self, id: u32) {
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        shown.retain(|n| n.id != id);
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "natter-tests".into(),
            "natter".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

/// Owns the server's bus connection; dropping it takes the server away.
pub struct NotificationServer {
    connection: zbus::Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl NotificationServer {
    /// Serves notifications on the session bus at `bus` (an address).
    pub async fn start(bus: &str) -> Self {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let server = Server {
            shown: Arc::clone(&shown),
        };
        let connection = zbus::connection::Builder::address(bus)
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| b.serve_at(PATH, server))
            .expect("notification server settings");
        let connection = connection
            .build()
            .await
            .expect("notification server on the session bus");
        NotificationServer { connection, shown }
    }

    /// Every notification on screen.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits for a notification titled `summary` that says `body`.
    pub async fn wait_for(&self, summary: &str, body: &str) -> Shown {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self
                .shown
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .find(|n| n.summary == summary && n.body == body)
                .cloned();
            if let Some(found) = found {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "no notification {summary:?}: {body:?} (shown: {:?})",
                self.shown()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no notification is on screen.
    pub async fn wait_for_none(&self, why: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.shown().is_empty() {
            assert!(Instant::now() < deadline, "{why}: {:?}", self.shown());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The user clicks the notification (its default action).
    pub async fn click(&self, id: u32) {
        let emitter = SignalEmitter::new(&self.connection, PATH).expect("signal emitter");
        Server::action_invoked(&emitter, id, "default")
            .await
            .expect("ActionInvoked sent");
    }
}
