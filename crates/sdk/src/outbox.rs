//! The pending-message pipeline: messages the user sent that the server has
//! not acknowledged yet, from creation to `success` (or `fail`).
//!
//! Two stages. **Prepare**: a media message uploads its file in a task of
//! its own, reporting progress, so a long video never holds back the text
//! typed after it. **Send**: ready messages go to the server one at a time,
//! in the order they became ready — so within a conversation the server
//! stores them in that order. A network failure of the send step (2800,
//! 2801, 2805) keeps the message first in line and retries once the
//! connection is back; resending is safe because the server deduplicates
//! on the message's random and sequence. Any other failure, a failed
//! upload and a cancelled one park the message as `fail` until
//! [`Outbox::retry`]; a retried upload resumes where the server stands.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use natter_proto::codes;
use natter_proto::message::status;
use tokio::sync::{watch, Notify};

use crate::chat::{OnProgress, Progress, SendOptions};
use crate::error::SdkError;
use crate::events::NetState;
use crate::{Chat, Message};

/// How long to wait before retrying a send after a network failure on a
/// connection that still looks up (a timeout, for example).
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// What the outbox tells its owner.
#[derive(Debug, Clone)]
pub enum OutboxEvent {
    /// A message was sent (`status: success`) or failed (`fail`, with why).
    Status {
        message: Box<Message>,
        error: Option<SdkError>,
    },
    /// Upload progress of a media message (≤ ~30 a second, growing, last 1.0).
    Progress {
        message_id: String,
        progress: Progress,
    },
}

/// Codes of failures that may pass once the network is back.
pub fn is_transient_code(code: u32) -> bool {
    matches!(
        code,
        codes::NETWORK_ERROR | codes::NETWORK_TIMEOUT | codes::NO_NETWORK
    )
}

#[derive(Default)]
struct Queues {
    /// Media messages uploading, by ID.
    uploading: HashMap<String, Message>,
    /// Ready to send, in the order they became ready.
    ready: VecDeque<Message>,
    failed: HashMap<String, Message>,
    /// Bumped by `clear`: uploads started before it report nothing.
    generation: u64,
}

type Report = Arc<dyn Fn(OutboxEvent) + Send + Sync>;

/// The pipeline of one signed-in [`Chat`].
#[derive(Clone)]
pub struct Outbox {
    chat: Chat,
    queues: Arc<Mutex<Queues>>,
    wake: Arc<Notify>,
    report: Report,
}

impl Outbox {
    /// An outbox for `chat` that reports to `report`. Nothing is sent until [`Outbox::run`].
    pub fn new(chat: Chat, report: impl Fn(OutboxEvent) + Send + Sync + 'static) -> Outbox {
        Outbox {
            chat,
            queues: Arc::default(),
            wake: Arc::default(),
            report: Arc::new(report),
        }
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a message created by this outbox's `Chat`: a media message
    /// starts uploading now, any other is ready at once.
    pub fn push(&self, message: Message) {
        if self.chat.has_pending_upload(&message.id) {
            self.start_upload(message);
        } else {
            self.queues().ready.push_back(message);
            self.wake.notify_one();
        }
    }

    fn start_upload(&self, mut message: Message) {
        let generation = {
            let mut q = self.queues();
            q.uploading.insert(message.id.clone(), message.clone());
            q.generation
        };
        let this = self.clone();
        tokio::spawn(async move {
            let id = message.id.clone();
            let report = this.report.clone();
            let on_progress = OnProgress::new(move |progress| {
                report(OutboxEvent::Progress {
                    message_id: id.clone(),
                    progress,
                })
            });
            let result = this
                .chat
                .prepare_message(&mut message, Some(&on_progress))
                .await;
            let mut q = this.queues();
            if q.generation != generation || q.uploading.remove(&message.id).is_none() {
                return;
            }
            match result {
                Ok(()) => {
                    q.ready.push_back(message);
                    drop(q);
                    this.wake.notify_one();
                }
                Err(e) => {
                    tracing::info!("upload of {} failed: {e}", message.id);
                    message.status = status::FAIL.to_owned();
                    q.failed.insert(message.id.clone(), message.clone());
                    drop(q);
                    (this.report)(OutboxEvent::Status {
                        message: Box::new(message),
                        error: Some(e),
                    });
                }
            }
        });
    }

    /// Queues a failed message again (its upload resumes if it had not
    /// finished); returns it with status `unSend`.
    pub fn retry(&self, message_id: &str) -> Option<Message> {
        let mut message = self.queues().failed.remove(message_id)?;
        message.status = status::UNSEND.to_owned();
        self.push(message.clone());
        Some(message)
    }

    /// Stops the upload of a message; it becomes `fail` (retry resumes it).
    pub fn cancel(&self, message_id: &str) -> bool {
        self.chat.cancel_upload(message_id)
    }

    /// Forgets everything (the user signed out or another user signed in).
    pub fn clear(&self) {
        let mut q = self.queues();
        for id in q.uploading.keys() {
            self.chat.cancel_upload(id);
        }
        q.generation += 1;
        q.uploading.clear();
        q.ready.clear();
        q.failed.clear();
    }

    /// Messages not acknowledged yet: uploading, ready, then failed ones.
    pub fn unacknowledged(&self) -> Vec<Message> {
        let q = self.queues();
        let mut all: Vec<Message> = q.uploading.values().cloned().collect();
        all.extend(q.ready.iter().cloned());
        all.extend(q.failed.values().cloned());
        all
    }

    /// Sends ready messages while `net` says the connection is up. Returns
    /// when `net`'s sender is dropped (the session ended) or the user was
    /// logged out.
    pub async fn run(&self, mut net: watch::Receiver<NetState>) {
        loop {
            if *net.borrow_and_update() != NetState::Connected {
                if net.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let Some(mut message) = self.queues().ready.front().cloned() else {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    changed = net.changed() => if changed.is_err() { return },
                }
                continue;
            };
            let result = self
                .chat
                .send_message(&mut message, &SendOptions::default())
                .await;
            match result {
                Err(e) if is_transient_code(e.code()) => {
                    tracing::info!("sending {} failed ({e}); retrying", message.id);
                    let changed = tokio::time::timeout(RETRY_AFTER, net.changed()).await;
                    if matches!(changed, Ok(Err(_))) {
                        return;
                    }
                }
                Err(e @ (SdkError::LoggedOut | SdkError::NotLoggedIn)) => {
                    tracing::info!("outbox stops: {e}");
                    return;
                }
                outcome => {
                    let mut q = self.queues();
                    // `clear` may have emptied the queue while the send was in flight.
                    if q.ready.front().map(|m| &m.id) != Some(&message.id) {
                        continue;
                    }
                    q.ready.pop_front();
                    let error = outcome.err();
                    if let Some(e) = &error {
                        tracing::warn!("sending {} failed: {e}", message.id);
                        q.failed.insert(message.id.clone(), message.clone());
                    }
                    drop(q);
                    (self.report)(OutboxEvent::Status {
                        message: Box::new(message),
                        error,
                    });
                }
            }
        }
    }
}
