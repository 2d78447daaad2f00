//! Shared state built once at start-up and handed to every transport.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use natter_proto::wire::Frame;
use serde_json::Value;
use tokio::sync::watch;

use crate::auth::{unix_now, Auth};
use crate::bus::{Bus, Delivery};
use crate::config::Config;
use crate::error::{Result, ServerError};
use crate::media::Media;
use crate::passwords::Passwords;
use crate::sessions::{ConnId, Outbound, Sessions};
use crate::store::{Store, UserRecord};

/// Who is calling a handler.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user ID (for REST calls, the admin identifier).
    pub user: String,
    /// True for the app administrator (REST calls).
    pub is_admin: bool,
    /// The WebSocket connection the call came on, if any.
    pub conn: Option<ConnId>,
    /// The address the call came from (for per-address limits), if known.
    pub source: Option<IpAddr>,
}

impl Caller {
    pub fn admin(user: &str) -> Self {
        Caller {
            user: user.to_owned(),
            is_admin: true,
            conn: None,
            source: None,
        }
    }
    pub fn user(user: &str, conn: Option<ConnId>) -> Self {
        Caller {
            user: user.to_owned(),
            is_admin: false,
            conn,
            source: None,
        }
    }
    /// Someone not logged in (the public `natter_account` service), calling from `source`.
    pub fn anonymous(source: Option<IpAddr>) -> Self {
        Caller {
            user: String::new(),
            is_admin: false,
            conn: None,
            source,
        }
    }
    /// Fails with 60010 unless the caller is the administrator.
    pub fn require_admin(&self) -> Result<()> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ServerError::NotAdmin)
        }
    }
}

pub struct AppState {
    pub config: Config,
    pub auth: Auth,
    pub passwords: Passwords,
    pub store: Arc<dyn Store>,
    pub sessions: Arc<Sessions>,
    pub bus: Arc<dyn Bus>,
    pub media: Media,
    /// Member lists for fan-out, filled on first use and dropped on change.
    members_cache: RwLock<HashMap<String, Arc<[String]>>>,
    /// Accounts seen recently, so a send needs no read for sender and receiver.
    users_cache: RwLock<HashMap<String, UserRecord>>,
    /// Each account's latest credential revocation, as in the store
    /// (0: none), filled on first use. Updated before sessions are closed.
    revocations: RwLock<HashMap<String, u64>>,
    next_inst_id: AtomicU64,
    shutdown: watch::Sender<bool>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        sessions: Arc<Sessions>,
        bus: Arc<dyn Bus>,
        media: Media,
    ) -> Self {
        let auth = Auth::new(config.sdkappid, config.secret_key.clone());
        let passwords = Passwords::new(&config.limits);
        AppState {
            config,
            auth,
            passwords,
            store,
            sessions,
            bus,
            media,
            members_cache: RwLock::new(HashMap::new()),
            users_cache: RwLock::new(HashMap::new()),
            revocations: RwLock::new(HashMap::new()),
            next_inst_id: AtomicU64::new(1),
            shutdown: watch::Sender::new(false),
        }
    }

    /// Resolves (changes) when the server starts shutting down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Tells every connection to close.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// A fresh, non-zero instance id for a login.
    pub fn next_inst_id(&self) -> u64 {
        self.next_inst_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The user IDs of a group's members (cached).
    pub async fn member_ids(&self, group_id: &str) -> Result<Arc<[String]>> {
        if let Some(hit) = self
            .members_cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(group_id)
        {
            return Ok(hit.clone());
        }
        let ids: Arc<[String]> = self
            .store
            .members(group_id)
            .await?
            .into_iter()
            .map(|m| m.user_id)
            .collect();
        self.members_cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(group_id.to_owned(), ids.clone());
        Ok(ids)
    }

    /// The accounts among `ids` that exist (cached; see [`AppState::users_changed`]).
    pub async fn users(&self, ids: &[String]) -> Result<Vec<UserRecord>> {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let cache = self.users_cache.read().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                match cache.get(id) {
                    Some(u) => found.push(u.clone()),
                    None => missing.push(id.clone()),
                }
            }
        }
        if !missing.is_empty() {
            let loaded = self.store.get_users(&missing).await?;
            let mut cache = self.users_cache.write().unwrap_or_else(|p| p.into_inner());
            for u in loaded {
                cache.insert(u.user_id.clone(), u.clone());
                found.push(u);
            }
        }
        Ok(found)
    }

    /// Forgets cached accounts after their profile changed or they were deleted.
    pub fn users_changed(&self, ids: &[String]) {
        let mut cache = self.users_cache.write().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            cache.remove(id);
        }
    }

    /// Fails with 70052 if credentials of `user` issued at `issued_at` were
    /// revoked since (a kick, or the account's deletion).
    pub async fn check_not_revoked(&self, user: &str, issued_at: u64) -> Result<()> {
        let cached = self
            .revocations
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(user)
            .copied();
        let revoked_at = match cached {
            Some(at) => at,
            None => {
                let at = self.store.revoked_at(user).await?;
                self.remember_revocation(user, at);
                at
            }
        };
        if revoked_at > 0 && issued_at <= revoked_at {
            return Err(ServerError::Revoked(user.to_owned()));
        }
        Ok(())
    }

    /// Refuses every credential of `users` issued until now, durably, and
    /// then closes their sessions with `close_code`. A login that races with
    /// it either sees the revocation or is registered before the close is
    /// delivered (see `wslogin`), so no session survives it.
    pub async fn revoke_and_close(&self, users: &[String], close_code: u16) -> Result<()> {
        let now = unix_now();
        for user in users {
            self.store.revoke_credentials(user, now).await?;
            self.remember_revocation(user, now);
        }
        self.close_sessions(Arc::from(users.to_vec()), close_code);
        Ok(())
    }

    /// Records a revocation already in the store (deletion writes it with the account).
    pub fn remember_revocation(&self, user: &str, revoked_at: u64) {
        let mut map = self.revocations.write().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(user.to_owned()).or_insert(0);
        *entry = (*entry).max(revoked_at);
    }

    /// Forgets a cached member list after membership changed.
    pub fn members_changed(&self, group_id: &str) {
        self.members_cache
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(group_id);
    }

    /// Encodes a push once and delivers it to `users`' sessions except `except`.
    pub fn push(&self, users: Arc<[String]>, except: Option<ConnId>, servcmd: &str, body: Value) {
        let bytes = Bytes::from(Frame::push(servcmd, body).to_bytes());
        self.bus.publish(Delivery {
            users,
            except,
            out: Outbound::Frame(bytes),
        });
    }

    /// Closes all sessions of `users` with the WebSocket close `code`.
    pub fn close_sessions(&self, users: Arc<[String]>, code: u16) {
        self.bus.publish(Delivery {
            users,
            except: None,
            out: Outbound::Close(code),
        });
    }
}
