//! Login (with a UserSig, then with the session key after each reconnect),
//! kicks, and logout.

use std::time::Duration;

use rand::Rng;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{local_now, websocket_base, Chat, State};
use crate::connection::{Connection, HeadAuth, Signal};
use crate::error::{Result, SdkError};
use crate::events::{Event, KickReason, NetState};

impl Chat {
    /// Logs in with a UserSig; resolves after `SdkReady`.
    pub async fn login(&self, user_id: &str, user_sig: &str) -> Result<()> {
        if let Some(u) = self.login_user() {
            return Err(SdkError::AlreadyLoggedIn(u));
        }
        natter_proto::UserId::new(user_id)?;
        let url = format!(
            "{}/binfo?sdkappid={}&instanceid={:032x}&random={}&platform=7&host=natter&version=-1&sdkversion=natter-sdk",
            websocket_base(&self.inner.options.server_url),
            self.inner.options.sdkappid,
            rand::rng().random::<u128>(),
            rand::rng().random::<u32>(),
        );
        let conn = Connection::new(url);
        *conn.auth.lock().unwrap_or_else(|p| p.into_inner()) = HeadAuth {
            identifier: Some(user_id.to_owned()),
            usersig: Some(user_sig.to_owned()),
            ..HeadAuth::default()
        };
        *self.inner.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
        let (signals_tx, mut signals) = mpsc::unbounded_channel();
        tokio::spawn(conn.clone().run(signals_tx));

        // The first socket: log in, then keep handling signals in the background.
        let first_open = async {
            loop {
                match signals.recv().await {
                    Some(Signal::Opened) => return Ok(()),
                    Some(Signal::Closed | Signal::Push(_)) => continue,
                    None => return Err(SdkError::Network("connection task ended".into())),
                }
            }
        };
        let first = match tokio::time::timeout(self.inner.options.request_timeout, first_open).await
        {
            Ok(Ok(())) => self.wslogin(&conn, user_id).await,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SdkError::Network(format!(
                "cannot reach {}",
                self.inner.options.server_url
            ))),
        };
        if let Err(e) = first {
            conn.stop();
            *self.inner.conn.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Err(e);
        }
        {
            let mut st = self.state();
            st.user = Some(user_id.to_owned());
            st.user_sig = user_sig.to_owned();
        }
        self.emit(Event::NetStateChange(NetState::Connected));
        if let Err(e) = self.initial_sync().await {
            self.shutdown();
            return Err(e);
        }
        self.state().ready = true;
        self.emit(Event::SdkReady);
        self.emit_conversations();
        let me = self.clone();
        tokio::spawn(async move { me.pump(signals).await });
        Ok(())
    }

    /// `im_open_status.wslogin`; stores A2Key/TinyId for later frames.
    pub(super) async fn wslogin(&self, conn: &Connection, user_id: &str) -> Result<()> {
        let body = json!({"State": "Online", "is_web_uniapp": 0, "InstType": 0, "CustomInfo": ""});
        let reply = conn
            .request(
                "im_open_status.wslogin",
                body,
                self.inner.options.request_timeout,
                true,
            )
            .await?;
        let bad = |reason: &str| SdkError::BadReply {
            servcmd: "im_open_status.wslogin".into(),
            reason: reason.into(),
        };
        let a2 = reply
            .get("A2Key")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("A2Key missing"))?;
        let tiny = reply
            .get("TinyId")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("TinyId missing"))?;
        let server_time = reply
            .get("TimeStamp")
            .and_then(Value::as_i64)
            .unwrap_or_else(local_now);
        {
            let mut auth = conn.auth.lock().unwrap_or_else(|p| p.into_inner());
            auth.a2 = Some(a2.to_owned());
            auth.tinyid = Some(tiny.to_owned());
        }
        {
            let mut st = self.state();
            st.tiny_id = tiny.to_owned();
            st.time_offset = server_time - local_now();
        }
        conn.set_authenticated(true);
        tracing::debug!(user = user_id, "logged in");
        Ok(())
    }

    /// Handles connection signals until logout.
    pub(super) async fn pump(self, mut signals: mpsc::UnboundedReceiver<Signal>) {
        while let Some(signal) = signals.recv().await {
            match signal {
                Signal::Push(frame) => self.on_push(*frame),
                Signal::Closed => self.emit(Event::NetStateChange(NetState::Connecting)),
                Signal::Opened => {
                    let Ok(conn) = self.conn() else { break };
                    let user = self.login_user().unwrap_or_default();
                    let mut relogin = self.wslogin(&conn, &user).await;
                    if matches!(&relogin, Err(e) if e.code() == natter_proto::codes::USERSIG_INVALID)
                    {
                        // The server no longer takes the session key (it was
                        // upgraded, or its secret changed): present the UserSig.
                        conn.forget_session_key();
                        relogin = self.wslogin(&conn, &user).await;
                    }
                    match relogin {
                        Ok(()) => {
                            self.emit(Event::NetStateChange(NetState::Connected));
                            let me = self.clone();
                            tokio::spawn(async move { me.resync().await });
                        }
                        Err(e) if e.code() == natter_proto::codes::USERSIG_EXPIRED => {
                            self.kicked(KickReason::UserSigExpired);
                            break;
                        }
                        // Kicked or deleted while away (or without the kick
                        // push reaching us): these credentials are done.
                        Err(e) if e.code() == natter_proto::codes::USERSIG_REVOKED => {
                            self.kicked(KickReason::RestApiKick);
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "re-login failed; will retry on the next connection")
                        }
                    }
                }
            }
        }
    }

    pub(super) fn kicked(&self, reason: KickReason) {
        self.emit(Event::KickedOut(reason));
        self.shutdown();
    }

    pub(super) fn shutdown(&self) {
        let conn = self
            .inner
            .conn
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(c) = conn {
            c.stop();
        }
        let was_ready = {
            let mut st = self.state();
            for media in st.outbox.values().filter_map(|o| o.media.as_ref()) {
                media.cancel.cancel();
            }
            let was = st.ready;
            *st = State {
                client_seq: st.client_seq,
                ..State::default()
            };
            was
        };
        if was_ready {
            self.emit(Event::SdkNotReady);
        }
        self.emit(Event::NetStateChange(NetState::Disconnected));
    }

    /// Logs out and closes the connection.
    pub async fn logout(&self) -> Result<()> {
        let conn = self.conn()?;
        // The answer does not matter: the session ends either way.
        let _ = conn
            .request(
                "im_open_status.wslogout",
                json!({"wslogout_type": 0}),
                Duration::from_secs(3),
                false,
            )
            .await;
        self.shutdown();
        Ok(())
    }
}
