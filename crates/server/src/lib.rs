//! `natter-server` as a library: the desktop app embeds it, tests start it
//! in-process, and `main.rs` is a thin command line around [`start`].
//!
//! Layers, outside in: [`transport`] (HTTP and WebSocket) → [`handlers`]
//! (one router, one file per command) → [`store`] / [`bus`] / [`sessions`].
//! Handlers see only the `Store` and `Bus` traits.

pub mod auth;
pub mod bus;
pub mod config;
pub mod error;
pub mod handlers;
pub mod media;
pub mod passwords;
pub mod sessions;
pub mod state;
pub mod store;
pub mod transport;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::Config;
pub use error::ServerError;
pub use state::AppState;

use bus::LocalBus;
use sessions::Sessions;
use store::SqliteStore;
use transport::listener::{GuardedListener, PeerAddr};

/// Name of the SQLite database inside the data dir.
pub const DATABASE_FILE: &str = "natter.db";

/// A running server.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// `ws://addr` — the `proxyServer` for the Web SDK and the URL for natter-sdk.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes every connection, stops accepting, and waits for the server to finish.
    pub async fn shutdown(self) {
        self.state.begin_shutdown();
        let _ = self.task.await;
    }
}

/// Opens the store in `config.data_dir`, binds `config.listen` and serves in the background.
pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
    config::create_private_dir(&config.data_dir)?;
    let store = Arc::new(SqliteStore::open(&config.data_dir.join(DATABASE_FILE))?);
    // The app administrator is an account like any other (it may send as itself).
    store::Store::ensure_user(store.as_ref(), &config.admin).await?;
    let sessions = Arc::new(Sessions::new(config.limits.sessions_per_user));
    let bus = Arc::new(LocalBus::new(sessions.clone()));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.listen,
        source,
    })?;
    let media = media::Media::open(
        &config.data_dir,
        &config.public_url_for(addr),
        &config.secret_key,
        &config.limits,
    )?;
    let state = Arc::new(AppState::new(config, store, sessions, bus, media));
    let listener = GuardedListener::new(listener, &state.config.limits);
    let app = transport::router(state.clone()).into_make_service_with_connect_info::<PeerAddr>();
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.passwords.prepare().await {
            tracing::warn!(error = %e, "could not prepare password checks");
        }
    });
    tokio::spawn(sweep_expired_uploads(state.clone()));
    let mut stop = state.shutdown_signal();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    tracing::info!(%addr, sdkappid = state.config.sdkappid, data_dir = %state.config.data_dir.display(), "natter-server listening");
    Ok(RunningServer { addr, state, task })
}

/// Deletes abandoned uploads once a minute until shutdown.
async fn sweep_expired_uploads(state: Arc<AppState>) {
    let mut stop = state.shutdown_signal();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let now = auth::unix_now();
        if let Err(e) = state.media.sweep_expired(state.store.as_ref(), now).await {
            tracing::warn!(error = %e, "could not delete expired uploads");
        }
    }
}
