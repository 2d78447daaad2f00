//! Messages the user has sent that the server has not acknowledged yet.
//!
//! Sending never blocks the UI: a new message is queued (status `unSend`)
//! and one task per signed-in session sends the queue in order, one message
//! at a time, whenever the connection is up. Network failures (2800, 2801,
//! 2805) keep the message at the head of the queue and retry after the
//! connection comes back, so messages typed offline go out on reconnect, in
//! the order they were typed; resending is safe because the server
//! deduplicates on the message's random and sequence. Any other failure
//! marks the message `fail` and parks it until the user retries it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use natter_proto::codes;
use natter_sdk::{Chat, Message, NetState, SdkError, SendOptions};
use tokio::sync::{watch, Notify};

/// How long to wait before retrying after a network failure on a connection
/// that still looks up (a timeout, for example).
const RETRY_AFTER: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Queues {
    pending: VecDeque<Message>,
    failed: HashMap<String, Message>,
}

#[derive(Default)]
pub struct Outbox {
    queues: Mutex<Queues>,
    wake: Notify,
}

/// Codes of failures that may pass once the network is back.
pub fn is_transient_code(code: u32) -> bool {
    matches!(
        code,
        codes::NETWORK_ERROR | codes::NETWORK_TIMEOUT | codes::NO_NETWORK
    )
}

impl Outbox {
    fn queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a message created by the session's `Chat`.
    pub fn push(&self, message: Message) {
        self.queues().pending.push_back(message);
        self.wake.notify_one();
    }

    /// Queues a failed message again; returns it (status `unSend`).
    pub fn retry(&self, message_id: &str) -> Option<Message> {
        let mut queues = self.queues();
        let mut message = queues.failed.remove(message_id)?;
        message.status = natter_proto::message::status::UNSEND.to_owned();
        queues.pending.push_back(message.clone());
        drop(queues);
        self.wake.notify_one();
        Some(message)
    }

    /// Forgets everything (the user signed out or another user signed in).
    pub fn clear(&self) {
        let mut queues = self.queues();
        queues.pending.clear();
        queues.failed.clear();
    }

    /// Messages not acknowledged yet, queued first, then failed ones.
    pub fn unacknowledged(&self) -> Vec<Message> {
        let queues = self.queues();
        let mut all: Vec<Message> = queues.pending.iter().cloned().collect();
        all.extend(queues.failed.values().cloned());
        all
    }

    /// Sends the queue through `chat` while `net` says the connection is
    /// up; reports every message whose status changed (and the error, if it
    /// failed) to `report`. Returns when `net`'s sender is dropped (the
    /// session ended) or the user was logged out.
    pub async fn run(
        &self,
        chat: Chat,
        mut net: watch::Receiver<NetState>,
        report: impl Fn(&Message, Option<&SdkError>),
    ) {
        loop {
            if *net.borrow_and_update() != NetState::Connected {
                if net.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let Some(mut message) = self.queues().pending.front().cloned() else {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    changed = net.changed() => if changed.is_err() { return },
                }
                continue;
            };
            let result = chat
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
                    let mut queues = self.queues();
                    // `clear` may have emptied the queue while the send was in flight.
                    if queues.pending.front().map(|m| &m.id) != Some(&message.id) {
                        continue;
                    }
                    queues.pending.pop_front();
                    let error = outcome.err();
                    if let Some(e) = &error {
                        tracing::warn!("sending {} failed: {e}", message.id);
                        queues.failed.insert(message.id.clone(), message.clone());
                    }
                    drop(queues);
                    report(&message, error.as_ref());
                }
            }
        }
    }
}
