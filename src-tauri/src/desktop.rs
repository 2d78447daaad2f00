//! The app's state and what its commands do, as plain async methods (the
//! Tauri commands in `commands.rs` only adapt them), so they can be tested
//! without a window.

use std::path::PathBuf;

use natter_sdk::{
    account, Chat, ChatOptions, Conversation, Event, Message, MessageListPage, SendOptions,
};
use natter_server::{Config, RunningServer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::error::{DesktopError, Result};

/// Port the built-in server tries first, so other people on this machine can join it.
pub const EMBEDDED_PORT: u16 = 8080;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    /// `None`: use (and start) the server built into the app.
    pub server_url: Option<String>,
    pub user_id: String,
    pub password: String,
    pub create_account: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub server_url: String,
    pub embedded: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub message_list: Vec<Message>,
    #[serde(rename = "nextReqMessageID")]
    pub next_req_message_id: String,
    pub is_completed: bool,
}

impl From<MessageListPage> for HistoryPage {
    fn from(p: MessageListPage) -> Self {
        HistoryPage {
            message_list: p.message_list,
            next_req_message_id: p.next_req_message_id,
            is_completed: p.is_completed,
        }
    }
}

/// An SDK event as the UI's `ChatEvent` (`ui/src/lib/types.ts`).
pub fn event_json(e: &Event) -> Value {
    match e {
        Event::SdkReady => json!({"kind": "ready"}),
        Event::SdkNotReady => json!({"kind": "notReady"}),
        Event::MessageReceived(m) => json!({"kind": "messageReceived", "messages": m}),
        Event::ConversationListUpdated(c) => {
            json!({"kind": "conversationListUpdated", "conversations": c})
        }
        Event::TotalUnreadMessageCountUpdated(n) => json!({"kind": "totalUnread", "total": n}),
        Event::NetStateChange(s) => json!({"kind": "netState", "state": s.as_str()}),
        Event::KickedOut(r) => json!({"kind": "kickedOut", "reason": r.as_str()}),
    }
}

/// Shared by every command.
pub struct Desktop {
    data_dir: PathBuf,
    chat: Mutex<Option<Chat>>,
    embedded: Mutex<Option<RunningServer>>,
}

impl Desktop {
    /// `data_dir` holds the built-in server's data.
    pub fn new(data_dir: PathBuf) -> Self {
        Desktop {
            data_dir,
            chat: Mutex::new(None),
            embedded: Mutex::new(None),
        }
    }

    /// The app's data folder under the user's data directory.
    pub fn default_data_dir() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("natter")
    }

    /// Starts the built-in server once, on 127.0.0.1 (port 8080, or any free one).
    async fn embedded_url(&self) -> Result<String> {
        let mut embedded = self.embedded.lock().await;
        if let Some(server) = embedded.as_ref() {
            return Ok(server.ws_url());
        }
        let data_dir = self.data_dir.join("server");
        let env = |name: &str| match name {
            "NATTER_DATA_DIR" => Some(data_dir.to_string_lossy().into_owned()),
            "NATTER_LISTEN" => Some(format!("127.0.0.1:{EMBEDDED_PORT}")),
            _ => None,
        };
        let config = Config::resolve(Default::default(), env)?;
        let server = match natter_server::start(config.clone()).await {
            Ok(s) => s,
            Err(natter_server::ServerError::Bind { .. }) => {
                tracing::info!("port {EMBEDDED_PORT} is taken; the built-in server uses another");
                natter_server::start(Config {
                    listen: ([127, 0, 0, 1], 0).into(),
                    ..config
                })
                .await?
            }
            Err(e) => return Err(e.into()),
        };
        let url = server.ws_url();
        *embedded = Some(server);
        Ok(url)
    }

    pub async fn sign_in(&self, request: SignInRequest) -> Result<Session> {
        let embedded = request
            .server_url
            .as_deref()
            .is_none_or(|u| u.trim().is_empty());
        let server_url = match &request.server_url {
            Some(u) if !embedded => u.trim().to_owned(),
            _ => self.embedded_url().await?,
        };
        let issued = if request.create_account {
            account::register(&server_url, &request.user_id, &request.password, "").await?
        } else {
            account::login_with_password(&server_url, &request.user_id, &request.password).await?
        };
        let chat = Chat::create(ChatOptions::new(&server_url, issued.sdkappid));
        chat.login(&issued.user_id, &issued.user_sig).await?;
        if let Some(previous) = self.chat.lock().await.replace(chat) {
            let _ = previous.logout().await;
        }
        Ok(Session {
            server_url,
            embedded,
        })
    }

    async fn chat(&self) -> Result<Chat> {
        self.chat
            .lock()
            .await
            .clone()
            .ok_or(DesktopError::NotSignedIn)
    }

    pub async fn conversations(&self) -> Result<Vec<Conversation>> {
        Ok(self.chat().await?.get_conversation_list()?)
    }

    pub async fn history(&self, conversation_id: &str, next: Option<&str>) -> Result<HistoryPage> {
        Ok(self
            .chat()
            .await?
            .get_message_list(conversation_id, next)
            .await?
            .into())
    }

    pub async fn send_text(
        &self,
        to: &str,
        conversation_type: &str,
        text: &str,
        at: &[String],
    ) -> Result<Message> {
        let chat = self.chat().await?;
        let mut message = if at.is_empty() {
            chat.create_text_message(to, conversation_type, text)?
        } else {
            chat.create_text_at_message(to, text, at)?
        };
        chat.send_message(&mut message, &SendOptions::default())
            .await?;
        Ok(message)
    }

    pub async fn mark_read(&self, conversation_id: &str) -> Result<()> {
        Ok(self.chat().await?.set_message_read(conversation_id).await?)
    }

    /// Forwards every SDK event to `sink` until the sink refuses one.
    pub async fn subscribe(&self, sink: impl Fn(Value) -> bool + Send + 'static) -> Result<()> {
        let mut events = self.chat().await?.events();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(e) => {
                        if !sink(event_json(&e)) {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("UI event stream lagged by {n} events");
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(())
    }
}
