//! The app's state and what its commands do, as plain async methods (the
//! Tauri commands in `commands.rs` only adapt them), so they can be tested
//! without a window.
//!
//! One [`Desktop`] lives as long as the app. Users sign in and out; each
//! sign-in is a [`Session`] (a natter-sdk `Chat`, its outbox task and the
//! task that forwards its events). Events from every session go to one
//! numbered stream ([`EventBus`], [`Desktop::events`]) that the UI
//! subscribes to once.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use natter_sdk::outbox::is_transient_code;
pub use natter_sdk::GroupMember;
use natter_sdk::{
    account, Chat, ChatOptions, Conversation, Event, Message, NetState, Outbox, OutboxEvent,
};
use natter_server::{Config, RunningServer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{broadcast, watch, Mutex};

use crate::error::{DesktopError, Result};
use crate::settings::{Credentials, Profile, Settings};
use crate::view::{HistoryPage, MessageView};

/// Port the built-in server tries first, so other people on this machine can join it.
pub const EMBEDDED_PORT: u16 = 8080;

/// How many events a subscriber may fall behind before it misses some (and
/// gets [`AppEvent::Resync`]).
pub const EVENT_BUFFER: usize = 1024;

/// Messages in the first page of a conversation (about two screens) and in
/// each older page the UI asks for while scrolling back. Every page the UI
/// adds re-lays out the whole list it holds, so scrolling back through a
/// long conversation in few large pages is faster and leaves less garbage
/// in the web process (10,000 messages: 111 pages of 90 took ~8 s and
/// grew it by ~85 MiB; 34 of 300 take ~3 s and ~55 MiB).
pub const FIRST_PAGE_MESSAGES: usize = 30;
pub const OLDER_PAGE_MESSAGES: usize = 300;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    /// `None` or empty: use (and start) the server built into the app.
    pub server_url: Option<String>,
    pub user_id: String,
    /// Sign in (or create the account) with a password ...
    #[serde(default)]
    pub password: Option<String>,
    /// ... or with a UserSig made by the server's owner.
    #[serde(default)]
    pub user_sig: Option<String>,
    #[serde(default)]
    pub create_account: bool,
}

/// The signed-in session as of the moment it is asked for: who, where, and
/// the state the UI starts from (events carry every change after it).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub server_url: String,
    pub embedded: bool,
    #[serde(rename = "userID")]
    pub user_id: String,
    pub conversations: Vec<Conversation>,
    pub total_unread: u64,
    /// `connected`, `connecting` or `disconnected`.
    pub net_state: &'static str,
    /// Events numbered up to this one are already reflected here ([`EventBus`]).
    pub event_seq: u64,
}

/// What the UI needs at launch: the remembered settings, and the session if
/// the remembered sign-in still works (or why it did not).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Startup {
    pub settings: Settings,
    pub session: Option<SessionInfo>,
    pub error: Option<DesktopError>,
}

/// Signing in with the remembered UserSig starts as soon as the app does,
/// while WebKit is still loading the page; the page's first `startup` call
/// takes the outcome.
enum LaunchSignIn {
    NotStarted,
    /// Done; the error, if the remembered sign-in did not work.
    Done(Option<DesktopError>),
    Taken,
}

/// Everything the UI hears about, in order.
#[derive(Debug, Clone)]
pub enum AppEvent {
    Chat(Event),
    /// An outgoing message changed status (sent, or failed with `error`).
    MessageStatus {
        message: Box<Message>,
        error: Option<(u32, String)>,
    },
    /// A message was queued for sending (status `unSend`): whatever queued
    /// it (the composer, a drop, the file dialog, a paste), the page shows it.
    MessageQueued(Box<Message>),
    /// Upload progress of an outgoing media message (≤ ~30/s, growing, last 1.0).
    UploadProgress {
        message_id: String,
        bytes: u64,
        total: u64,
    },
    /// Progress of a file the user is downloading (`id` is the UI's).
    DownloadProgress {
        id: String,
        bytes: u64,
        total: u64,
    },
    /// The loudness of the voice note being recorded, 20 times a second
    /// (`level` 0–1, at `at_ms` into the recording).
    RecordingLevel {
        id: String,
        level: f32,
        at_ms: u64,
    },
    /// The recording ended by itself (`reason`: `maxDuration`, or why the
    /// microphone was lost); `stop_recording` collects it.
    RecordingEnded {
        id: String,
        reason: String,
    },
    /// Files dragged over the window (`over`), dragged away, or dropped.
    FileDrag(FileDrag),
    /// The user clicked a notification: show this conversation.
    OpenConversation(String),
    /// The user signed out: nothing of the session may stay on screen.
    SignedOut,
    /// This receiver fell more than the buffer's worth of events behind and
    /// missed some: state kept from events must be fetched again.
    Resync,
}

/// Files dragged onto the window, as the page hears of them.
#[derive(Debug, Clone, PartialEq)]
pub enum FileDrag {
    /// Files are over the window, at this position (CSS pixels).
    Over {
        x: f64,
        y: f64,
    },
    Left,
    Dropped {
        paths: Vec<PathBuf>,
        x: f64,
        y: f64,
    },
}

/// An [`AppEvent`] with its number in the order events were sent.
#[derive(Debug, Clone)]
pub struct SequencedEvent {
    pub seq: u64,
    pub event: AppEvent,
}

/// The app's one stream of events, numbered as they are sent.
///
/// The UI starts from a snapshot of the state ([`SessionInfo`]) and applies
/// events after it, but the answer carrying the snapshot and the events
/// travel separately and may arrive in either order. So a snapshot records
/// [`EventBus::last_seq`] as read *before* the state: every event numbered
/// up to it was made from older state than the snapshot, and the UI does
/// not let it replace the snapshot's whole values (list, unread total,
/// connection state). A later-numbered event may still be older, but every
/// change is followed by an event, so the last one the UI applies is current.
#[derive(Clone)]
pub struct EventBus {
    sender: broadcast::Sender<SequencedEvent>,
    last: Arc<AtomicU64>,
}

impl EventBus {
    fn new() -> Self {
        EventBus {
            sender: broadcast::channel(EVENT_BUFFER).0,
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn send(&self, event: AppEvent) {
        let seq = self.last.fetch_add(1, Ordering::SeqCst) + 1;
        // No subscriber (no page yet) is fine: its snapshot will cover this.
        let _ = self.sender.send(SequencedEvent { seq, event });
    }

    pub fn subscribe(&self) -> EventReceiver {
        EventReceiver {
            events: self.sender.subscribe(),
            last: Arc::clone(&self.last),
        }
    }

    /// The number of the last event sent so far.
    pub fn last_seq(&self) -> u64 {
        self.last.load(Ordering::SeqCst)
    }
}

/// One subscriber's view of the [`EventBus`]: every event from the moment
/// of subscribing, in order, or [`AppEvent::Resync`] where some were missed.
pub struct EventReceiver {
    events: broadcast::Receiver<SequencedEvent>,
    last: Arc<AtomicU64>,
}

impl EventReceiver {
    /// The next event; `None` once the bus is gone.
    pub async fn recv(&mut self) -> Option<SequencedEvent> {
        match self.events.recv().await {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(self.resync(missed)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<SequencedEvent> {
        match self.events.try_recv() {
            Ok(e) => Some(e),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => Some(self.resync(missed)),
            Err(_) => None,
        }
    }

    fn resync(&self, missed: u64) -> SequencedEvent {
        tracing::warn!("an event subscriber fell {missed} events behind: resync");
        // A snapshot taken after this covers every event sent so far.
        SequencedEvent {
            seq: self.last.load(Ordering::SeqCst),
            event: AppEvent::Resync,
        }
    }
}

/// One signed-in user. Dropping it stops its background tasks.
struct Session {
    /// Tells this session from the one that may replace it in the slot.
    id: u64,
    chat: Chat,
    outbox: Outbox,
    server_url: String,
    embedded: bool,
    /// The connection's state, kept by the task that forwards events.
    net: watch::Receiver<NetState>,
    /// Dropped with the session (or signalled by [`Session::stop_events`]);
    /// the tasks watch it to know when to stop.
    alive: watch::Sender<()>,
    /// The task that forwards this session's SDK events to the app.
    forwarder: tokio::task::JoinHandle<()>,
}

impl Session {
    /// Stops forwarding this session's events and waits until the forwarder
    /// has finished, so that no event of this session (a message that would
    /// raise a notification, say) reaches the app after whatever the caller
    /// announces next.
    async fn stop_events(&mut self) {
        let _ = self.alive.send(());
        if let Err(e) = (&mut self.forwarder).await {
            tracing::warn!("the event forwarder ended badly: {e}");
        }
    }
}

/// Shared by every command.
pub struct Desktop {
    profile: Profile,
    /// Shared with the session's own event task, which ends it on a kick.
    session: Arc<Mutex<Option<Session>>>,
    sessions_started: AtomicU64,
    embedded: Mutex<Option<RunningServer>>,
    events: EventBus,
    launch_sign_in: Mutex<LaunchSignIn>,
    voice: crate::voice::VoiceRecorder,
}

impl Desktop {
    /// `data_dir` holds the settings and the built-in server's data.
    pub fn new(data_dir: PathBuf) -> Self {
        Desktop {
            profile: Profile::new(data_dir),
            session: Arc::default(),
            sessions_started: AtomicU64::new(0),
            embedded: Mutex::new(None),
            events: EventBus::new(),
            launch_sign_in: Mutex::new(LaunchSignIn::NotStarted),
            voice: crate::voice::VoiceRecorder::default(),
        }
    }

    /// The app's data folder under the user's data directory.
    pub fn default_data_dir() -> PathBuf {
        dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("natter")
    }

    /// Every event, from every session, from now on.
    pub fn events(&self) -> EventReceiver {
        self.events.subscribe()
    }

    /// Tells the UI to show a conversation (a notification was clicked).
    pub fn open_conversation(&self, conversation_id: &str) {
        self.events
            .send(AppEvent::OpenConversation(conversation_id.to_owned()));
    }

    /// Starts the built-in server once, on 127.0.0.1 (port 8080, or any free one).
    async fn embedded_url(&self) -> Result<String> {
        let mut embedded = self.embedded.lock().await;
        if let Some(server) = embedded.as_ref() {
            return Ok(server.ws_url());
        }
        let data_dir = self.profile.dir().join("server");
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

    /// The URL to connect to: the configured one, or the built-in server's.
    async fn resolve_server(&self, configured: Option<&str>) -> Result<(String, bool)> {
        match configured.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Ok((url.to_owned(), false)),
            None => Ok((self.embedded_url().await?, true)),
        }
    }

    /// Signs in with the remembered UserSig, if one was kept, ahead of the
    /// page's `startup` call (the app calls this as it starts). Does nothing
    /// if `startup` came first.
    pub async fn sign_in_at_launch(&self) {
        let mut state = self.launch_sign_in.lock().await;
        if matches!(*state, LaunchSignIn::NotStarted) {
            *state = LaunchSignIn::Done(self.resume().await.err());
        }
    }

    /// Remembered settings and, if a UserSig was kept, the session signed
    /// in with it (or why that did not work). The first call takes the
    /// outcome of [`Desktop::sign_in_at_launch`]; a later one (the page was
    /// reloaded) signs in again.
    pub async fn startup(&self) -> Startup {
        let error = {
            let mut state = self.launch_sign_in.lock().await;
            match std::mem::replace(&mut *state, LaunchSignIn::Taken) {
                LaunchSignIn::Done(error) => error,
                LaunchSignIn::NotStarted | LaunchSignIn::Taken => self.resume().await.err(),
            }
        };
        Startup {
            settings: self.profile.settings(),
            session: self.session().await.ok(),
            error,
        }
    }

    /// Signs in with the kept UserSig, if any.
    async fn resume(&self) -> Result<()> {
        let Some(credentials) = self.profile.credentials() else {
            return Ok(());
        };
        let resumed = async {
            let (server_url, embedded) = self
                .resolve_server(credentials.server_url.as_deref())
                .await?;
            self.start_session(server_url, embedded, credentials).await
        };
        resumed.await.inspect_err(|e| {
            tracing::info!("the remembered sign-in did not work: {e}");
            // A refused UserSig will not work next time either; a network
            // problem might pass, so keep it then.
            if !is_transient_code(e.code()) {
                let _ = self.profile.forget_credentials();
            }
        })
    }

    /// The current session, with the state the UI starts from.
    pub async fn session(&self) -> Result<SessionInfo> {
        let guard = self.session.lock().await;
        let session = guard.as_ref().ok_or(DesktopError::NotSignedIn)?;
        // Read before the state: see `EventBus`.
        let event_seq = self.events.last_seq();
        // Bound before returning so the borrow of `net` ends before `guard`.
        let info = Ok(SessionInfo {
            server_url: session.server_url.clone(),
            embedded: session.embedded,
            user_id: session.chat.login_user().unwrap_or_default(),
            conversations: session.chat.get_conversation_list().unwrap_or_default(),
            total_unread: session.chat.get_total_unread_message_count(),
            net_state: session.net.borrow().as_str(),
            event_seq,
        });
        info
    }

    pub async fn sign_in(&self, request: SignInRequest) -> Result<SessionInfo> {
        let (server_url, embedded) = self.resolve_server(request.server_url.as_deref()).await?;
        let user_id = request.user_id.trim();
        let (user_id, user_sig, sdkappid) = match (&request.user_sig, &request.password) {
            (Some(sig), _) if !sig.trim().is_empty() => {
                let sig = sig.trim();
                let doc = natter_proto::usersig::decode(sig)?;
                let sdkappid =
                    doc.get("TLS.sdkappid")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| {
                            natter_proto::ProtoError::UserSigMalformed("no TLS.sdkappid".into())
                        })?;
                (user_id.to_owned(), sig.to_owned(), sdkappid)
            }
            (_, password) => {
                let password = password.as_deref().unwrap_or_default();
                let issued = if request.create_account {
                    account::register(&server_url, user_id, password, "").await?
                } else {
                    account::login_with_password(&server_url, user_id, password).await?
                };
                (issued.user_id, issued.user_sig, issued.sdkappid)
            }
        };
        let credentials = Credentials {
            server_url: (!embedded).then(|| server_url.clone()),
            user_id,
            user_sig,
            sdkappid,
        };
        self.start_session(server_url, embedded, credentials)
            .await?;
        self.session().await
    }

    /// Logs in with `credentials`, replaces the current session and remembers both.
    async fn start_session(
        &self,
        server_url: String,
        embedded: bool,
        credentials: Credentials,
    ) -> Result<()> {
        let chat = Chat::create(ChatOptions::new(&server_url, credentials.sdkappid));
        // Subscribe before logging in so no event of the login is missed.
        let chat_events = chat.events();
        chat.login(&credentials.user_id, &credentials.user_sig)
            .await?;
        // A resumed session finds both files as they should be: no rewrite then.
        let settings = Settings {
            server_url: credentials.server_url.clone(),
            last_user: Some(credentials.user_id.clone()),
        };
        if self.profile.settings() != settings {
            self.profile.save_settings(&settings)?;
        }
        if self.profile.credentials().as_ref() != Some(&credentials) {
            self.profile.save_credentials(&credentials)?;
        }

        let (alive, stopped) = watch::channel(());
        let (net_tx, net) = watch::channel(NetState::Connected);
        let reports = self.events.clone();
        let outbox = Outbox::new(chat.clone(), move |event| match event {
            OutboxEvent::Status { message, error } => reports.send(AppEvent::MessageStatus {
                message,
                error: error.map(|e| (e.code(), e.to_string())),
            }),
            OutboxEvent::Progress {
                message_id,
                progress,
            } => reports.send(AppEvent::UploadProgress {
                message_id,
                bytes: progress.bytes,
                total: progress.total,
            }),
        });
        let id = self.sessions_started.fetch_add(1, Ordering::Relaxed);
        let on_kick = KickHandling {
            slot: Arc::clone(&self.session),
            id,
            profile: self.profile.clone(),
        };
        let forwarder = tokio::spawn(forward_events(
            chat_events,
            self.events.clone(),
            net_tx,
            on_kick,
            stopped,
        ));
        let (task_outbox, task_net) = (outbox.clone(), net.clone());
        tokio::spawn(async move { task_outbox.run(task_net).await });

        let previous = self.session.lock().await.replace(Session {
            id,
            chat,
            outbox,
            server_url,
            embedded,
            net,
            alive,
            forwarder,
        });
        if let Some(mut previous) = previous {
            previous.stop_events().await;
            previous.outbox.clear();
            let _ = previous.chat.logout().await;
        }
        Ok(())
    }

    /// Logs out and forgets the kept UserSig (the server and user stay prefilled).
    ///
    /// The session's events stop before the sign-out is announced: the
    /// notifier withdraws every notification on that announcement, and a
    /// message forwarded after it would raise one again for the next user.
    pub async fn sign_out(&self) -> Result<()> {
        // A voice note being recorded or waiting to be sent is the session's.
        self.voice.cancel().await;
        let mut session = self.session.lock().await.take();
        if let Some(session) = session.as_mut() {
            session.stop_events().await;
            self.events.send(AppEvent::SignedOut);
        }
        self.profile.forget_credentials()?;
        if let Some(session) = session {
            session.outbox.clear();
            session.chat.logout().await?;
        }
        Ok(())
    }

    async fn chat(&self) -> Result<Chat> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| s.chat.clone())
            .ok_or(DesktopError::NotSignedIn)
    }

    async fn outbox(&self) -> Result<Outbox> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|s| s.outbox.clone())
            .ok_or(DesktopError::NotSignedIn)
    }

    /// A page of history, oldest first: the newest messages (no `next`), or
    /// those before `next`, in as few requests as the server allows (a page
    /// of 300 is three). UI pages are larger than Tencent's 15, so scrolling
    /// back through a long conversation takes fewer re-renders. The first
    /// page also carries the messages still in the outbox for this
    /// conversation, so a reopened conversation shows what is waiting to be
    /// sent.
    pub async fn history(&self, conversation_id: &str, next: Option<&str>) -> Result<HistoryPage> {
        let chat = self.chat().await?;
        let wanted = if next.is_none() {
            FIRST_PAGE_MESSAGES
        } else {
            OLDER_PAGE_MESSAGES
        };
        let mut page: HistoryPage = chat
            .get_message_list_with_count(conversation_id, next, wanted)
            .await?
            .into();
        // A server may send fewer than asked (Natter's serve at most 100).
        while !page.is_completed && page.message_list.len() < wanted {
            let older: HistoryPage = chat
                .get_message_list_with_count(
                    conversation_id,
                    Some(&page.next_req_message_id),
                    wanted - page.message_list.len(),
                )
                .await?
                .into();
            if older.message_list.is_empty() {
                page.is_completed = true;
                break;
            }
            page.message_list.splice(0..0, older.message_list);
            page.next_req_message_id = older.next_req_message_id;
            page.is_completed = older.is_completed;
        }
        if next.is_none() {
            let outbox = self.outbox().await?;
            page.message_list.extend(
                outbox
                    .unacknowledged()
                    .iter()
                    .filter(|m| m.conversation_id == conversation_id)
                    .map(MessageView::from),
            );
        }
        Ok(page)
    }

    /// Creates a text (or, in groups with `at`, an @) message and queues it;
    /// bad input (ids, size, @ list) fails here with its code.
    /// Returns at once with the message in status `unSend`; its outcome
    /// arrives as a `messageStatus` event.
    pub async fn send_text(
        &self,
        to: &str,
        conversation_type: &str,
        text: &str,
        at: &[String],
    ) -> Result<MessageView> {
        let chat = self.chat().await?;
        let message = if at.is_empty() {
            chat.create_text_message(to, conversation_type, text)?
        } else {
            chat.create_text_at_message(to, text, at)?
        };
        let view = MessageView::from(&message);
        self.queue(&self.outbox().await?, message);
        Ok(view)
    }

    /// Creates a message for each file — images (jpg, png, gif, webp,
    /// bmp) as image messages, mp4/mov as video messages, anything else as
    /// a file message — and queues them in this order. A file that cannot
    /// be sent (too large, empty, unreadable) is reported in `refused` and
    /// the others still go.
    pub async fn send_files(
        &self,
        to: &str,
        conversation_type: &str,
        paths: &[PathBuf],
    ) -> Result<SentFiles> {
        let chat = self.chat().await?;
        let outbox = self.outbox().await?;
        let mut result = SentFiles::default();
        for path in paths {
            let created = match crate::media::kind_of(path) {
                crate::media::Kind::Image => {
                    chat.create_image_message(to, conversation_type, path).await
                }
                crate::media::Kind::Video => {
                    chat.create_video_message(to, conversation_type, path).await
                }
                crate::media::Kind::File => {
                    chat.create_file_message(to, conversation_type, path).await
                }
            };
            match created {
                Ok(message) => {
                    result.sent.push(MessageView::from(&message));
                    self.queue(&outbox, message);
                }
                Err(e) => result.refused.push(RefusedFile {
                    name: path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    code: e.code(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(result)
    }

    /// Sends an image pasted from the clipboard (a screenshot): the page
    /// hands over its bytes, which are kept in the profile's `outgoing`
    /// folder until sent.
    pub async fn send_pasted_image(
        &self,
        to: &str,
        conversation_type: &str,
        bytes: &[u8],
        mime: &str,
    ) -> Result<SentFiles> {
        let path = crate::media::keep_pasted(&self.profile.dir().join("outgoing"), bytes, mime)?;
        self.send_files(to, conversation_type, &[path]).await
    }

    /// Stops the upload of a message; it becomes `fail` and can be sent again.
    pub async fn cancel_upload(&self, message_id: &str) -> Result<bool> {
        Ok(self.outbox().await?.cancel(message_id))
    }

    /// Downloads a file of a message into the user's Downloads folder
    /// (a free name beside existing files); returns where it went.
    /// Progress arrives as `DownloadProgress` events tagged `id`.
    pub async fn download(&self, id: &str, url: &str, file_name: &str) -> Result<PathBuf> {
        let chat = self.chat().await?;
        let dir = dirs::download_dir().unwrap_or_else(|| self.profile.dir().join("downloads"));
        std::fs::create_dir_all(&dir).map_err(|source| DesktopError::Storage {
            path: dir.clone(),
            source,
        })?;
        let target = crate::media::free_name(&dir, file_name);
        let events = self.events.clone();
        let id = id.to_owned();
        let progress = natter_sdk::OnProgress::new(move |p| {
            events.send(AppEvent::DownloadProgress {
                id: id.clone(),
                bytes: p.bytes,
                total: p.total,
            })
        });
        chat.download_file(url, &target, Some(&progress)).await?;
        Ok(target)
    }

    /// Starts recording a voice note from the default microphone (or
    /// `device`); levels and a self-ended recording arrive as events.
    pub async fn start_recording(
        &self,
        device: Option<String>,
    ) -> Result<crate::voice::RecordingStarted> {
        self.chat().await?;
        self.voice
            .start(
                self.profile.dir().join("outgoing"),
                device,
                self.events.clone(),
            )
            .await
    }

    /// Ends the recording; the note waits for `send_voice` or `cancel_recording`.
    pub async fn stop_recording(&self) -> Result<crate::voice::VoiceNote> {
        self.voice.stop().await
    }

    /// Discards the recording (running or finished).
    pub async fn cancel_recording(&self) {
        self.voice.cancel().await
    }

    /// Sends the finished voice note `id` as a sound message.
    pub async fn send_voice(
        &self,
        to: &str,
        conversation_type: &str,
        id: &str,
    ) -> Result<MessageView> {
        let chat = self.chat().await?;
        let outbox = self.outbox().await?;
        let note = self.voice.take_finished(id).ok_or_else(|| {
            DesktopError::Voice(natter_media::MediaError::Capture(format!(
                "no recorded voice note {id}"
            )))
        })?;
        let message = chat
            .create_audio_message(to, conversation_type, &note.path)
            .await?;
        let view = MessageView::from(&message);
        self.queue(&outbox, message);
        Ok(view)
    }

    /// The waveform of a voice message, from the `natter-media:` URL its
    /// bubble plays (a received note, an own one not sent yet, or the
    /// recording's preview): the file is fetched and decoded here.
    pub async fn voice_waveform(&self, src: &str) -> Result<Vec<f32>> {
        let audio = self
            .media(crate::media::MediaRequest {
                uri: src.to_owned(),
                range: None,
            })
            .await?;
        tokio::task::spawn_blocking(move || {
            natter_media::waveform(audio.body, crate::voice::WAVEFORM_BARS)
        })
        .await
        .map_err(|e| natter_media::MediaError::Corrupt(e.to_string()))?
        .map_err(DesktopError::from)
    }

    /// The bytes behind a `natter-media:` URL of the page (see `media.rs`).
    pub async fn media(
        &self,
        request: crate::media::MediaRequest,
    ) -> Result<crate::media::MediaResponse> {
        if let Some(id) = request
            .uri
            .strip_prefix("natter-media://localhost/recording/")
        {
            let path = self
                .voice
                .finished_path(id)
                .ok_or_else(|| crate::media::not_found("recording"))?;
            return crate::media::serve_file(&path).await;
        }
        let (chat, server_url) = {
            let guard = self.session.lock().await;
            let session = guard.as_ref().ok_or(DesktopError::NotSignedIn)?;
            (session.chat.clone(), session.server_url.clone())
        };
        crate::media::fetch(&chat, &server_url, request).await
    }

    /// Tells the page about files dragged over or dropped on the window.
    pub fn file_drag(&self, drag: FileDrag) {
        self.events.send(AppEvent::FileDrag(drag));
    }

    /// Queues a failed message again.
    pub async fn resend(&self, message_id: &str) -> Result<MessageView> {
        let message = self
            .outbox()
            .await?
            .retry(message_id)
            .ok_or_else(|| DesktopError::NotRetryable(message_id.to_owned()))?;
        self.events
            .send(AppEvent::MessageQueued(Box::new(message.clone())));
        Ok(MessageView::from(&message))
    }

    /// Hands a new message to the outbox and tells the page.
    fn queue(&self, outbox: &Outbox, message: Message) {
        self.events
            .send(AppEvent::MessageQueued(Box::new(message.clone())));
        outbox.push(message);
    }

    pub async fn mark_read(&self, conversation_id: &str) -> Result<()> {
        Ok(self.chat().await?.set_message_read(conversation_id).await?)
    }

    /// Checks that `user_id` exists before a C2C chat with them is opened.
    pub async fn find_user(&self, user_id: &str) -> Result<String> {
        let user_id = natter_proto::UserId::new(user_id.trim())?;
        let found = self
            .chat()
            .await?
            .get_user_profile(&[user_id.to_string()])
            .await?;
        if found.is_empty() {
            Err(DesktopError::UnknownUser(user_id.as_str().to_owned()))
        } else {
            Ok(format!("C2C{}", user_id.as_str()))
        }
    }

    /// Creates a Work, Public or Meeting group owned by the user; returns its
    /// conversation ID.
    pub async fn create_group(
        &self,
        name: &str,
        group_type: &str,
        members: &[String],
    ) -> Result<String> {
        let chat = self.chat().await?;
        let group_id = chat.create_group(name, group_type, members).await?;
        Ok(format!("GROUP{group_id}"))
    }

    /// Invites users to a group; returns those that were added.
    pub async fn add_group_members(
        &self,
        group_id: &str,
        members: &[String],
    ) -> Result<Vec<String>> {
        Ok(self
            .chat()
            .await?
            .add_group_member(group_id, members)
            .await?)
    }

    /// Every member of a group the user belongs to.
    pub async fn group_members(&self, group_id: &str) -> Result<Vec<GroupMember>> {
        Ok(self.chat().await?.get_group_member_list(group_id).await?)
    }
}

/// The outcome of [`Desktop::send_files`].
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentFiles {
    /// The queued messages (status `unSend`), in the files' order.
    pub sent: Vec<MessageView>,
    pub refused: Vec<RefusedFile>,
}

/// A file that could not be sent, and why.
#[derive(Debug, Serialize)]
pub struct RefusedFile {
    pub name: String,
    pub code: u32,
    pub message: String,
}

/// What a session's event task needs to end the session when the server
/// kicks its user out.
struct KickHandling {
    slot: Arc<Mutex<Option<Session>>>,
    /// The session's [`Session::id`]: a later one in the slot is left alone.
    id: u64,
    profile: Profile,
}

impl KickHandling {
    /// Ends the session as a sign-out does, without logging out (the server
    /// already has): commands then answer "not signed in", messages still
    /// queued are dropped, and the kept UserSig is forgotten so that the
    /// next launch shows the sign-in form instead of quietly signing in
    /// again and undoing the kick.
    async fn end_session(&self) {
        let ended = {
            let mut slot = self.slot.lock().await;
            match slot.as_ref() {
                Some(session) if session.id == self.id => slot.take(),
                _ => None,
            }
        };
        let Some(session) = ended else { return };
        session.outbox.clear();
        if let Err(e) = self.profile.forget_credentials() {
            tracing::warn!("the kept sign-in stays after a kick: {e}");
        }
    }
}

/// Copies one session's SDK events to the app's broadcast and keeps `net`
/// in step with the connection, until the session is dropped. A kick ends
/// the session before the UI hears of it.
async fn forward_events(
    mut chat_events: broadcast::Receiver<Event>,
    events: EventBus,
    net: watch::Sender<NetState>,
    on_kick: KickHandling,
    mut stopped: watch::Receiver<()>,
) {
    loop {
        let event = tokio::select! {
            // Once told to stop, forward nothing more, even if events are waiting.
            biased;
            _ = stopped.changed() => return,
            e = chat_events.recv() => e,
        };
        match event {
            Ok(e) => {
                match &e {
                    Event::NetStateChange(state) => {
                        let _ = net.send(*state);
                    }
                    Event::KickedOut(reason) => {
                        tracing::info!("kicked out: {}", reason.as_str());
                        on_kick.end_session().await;
                    }
                    _ => {}
                }
                events.send(AppEvent::Chat(e));
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!("desktop fell {n} SDK events behind");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
