//! A system notification for messages that arrive while Natter's window is
//! not focused; clicking it brings the window forward on that conversation.
//! Spoken directly over D-Bus (the freedesktop notification protocol), so
//! on a desktop without a session bus there are none, which is logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use natter_sdk::{Conversation, Message};
use zbus::zvariant::Value;

/// Notification servers may read the body as markup: user text is escaped
/// so it is always shown as typed.
fn escape_markup(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a notification for `messages` (one batch, one conversation or more)
/// says: the sender and text of the newest, and how many there are.
pub fn summary(messages: &[Message]) -> Option<(String, String, String)> {
    let incoming: Vec<&Message> = messages.iter().filter(|m| m.flow == "in").collect();
    let newest = incoming.last()?;
    let sender = if newest.nick.is_empty() {
        &newest.from
    } else {
        &newest.nick
    };
    let title = if newest.conversation_type == natter_sdk::types::CONV_GROUP {
        format!("{sender} ({})", newest.to)
    } else {
        sender.clone()
    };
    let mut body = newest.message_for_show();
    if incoming.len() > 1 {
        body = format!("{body} (+{})", incoming.len() - 1);
    }
    Some((title, escape_markup(&body), newest.conversation_id.clone()))
}

/// The freedesktop notification service, as desktop shells provide it on
/// the session bus.
#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;

    fn close_notification(&self, id: u32) -> zbus::Result<()>;

    #[zbus(signal)]
    fn action_invoked(&self, id: u32, action_key: String) -> zbus::Result<()>;

    #[zbus(signal)]
    fn notification_closed(&self, id: u32, reason: u32) -> zbus::Result<()>;
}

/// Which notification on screen belongs to which conversation.
#[derive(Default)]
struct OnScreen {
    by_conversation: HashMap<String, u32>,
    by_id: HashMap<u32, String>,
}

impl OnScreen {
    fn forget(&mut self, id: u32) {
        if let Some(conversation) = self.by_id.remove(&id) {
            self.by_conversation.remove(&conversation);
        }
    }
}

/// Shows Natter's notifications: at most one per conversation (a new
/// message replaces the conversation's notification instead of piling up),
/// and one task, on one bus connection, hears every click.
pub struct Notifier {
    service: NotificationsProxy<'static>,
    on_screen: Arc<Mutex<OnScreen>>,
}

impl Notifier {
    /// Connects to the session bus; `on_click` gets the conversation ID of a
    /// notification the user activates. Fails when there is no session bus.
    pub async fn connect(on_click: impl Fn(String) + Send + 'static) -> zbus::Result<Self> {
        let connection = zbus::Connection::session().await?;
        let service = NotificationsProxy::builder(&connection)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await?;
        let mut clicks = service.receive_action_invoked().await?;
        let mut closes = service.receive_notification_closed().await?;
        let on_screen = Arc::new(Mutex::new(OnScreen::default()));
        let seen = Arc::clone(&on_screen);
        tokio::spawn(async move {
            let lock = || seen.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                tokio::select! {
                    Some(click) = clicks.next() => {
                        let Ok(click) = click.args() else { continue };
                        let conversation = lock().by_id.get(&click.id).cloned();
                        if let (Some(conversation), "default") = (conversation, click.action_key.as_str()) {
                            on_click(conversation);
                        }
                    }
                    Some(closed) = closes.next() => {
                        if let Ok(closed) = closed.args() {
                            lock().forget(closed.id);
                        }
                    }
                    else => return,
                }
            }
        });
        Ok(Notifier { service, on_screen })
    }

    /// Shows `title` and `body` (markup-escaped, see [`summary`]) for
    /// `conversation_id`, in place of that conversation's notification if
    /// one is still on screen.
    pub async fn show(&self, title: &str, body: &str, conversation_id: &str) -> zbus::Result<()> {
        let replaces = self
            .lock()
            .by_conversation
            .get(conversation_id)
            .copied()
            .unwrap_or(0);
        let hints = HashMap::from([
            ("desktop-entry", Value::from("natter")),
            ("category", Value::from("im.received")),
        ]);
        let id = self
            .service
            .notify(
                "Natter",
                replaces,
                "natter",
                title,
                body,
                &["default", "Open"],
                hints,
                -1,
            )
            .await?;
        let mut on_screen = self.lock();
        on_screen.forget(replaces);
        on_screen.forget(id);
        on_screen
            .by_conversation
            .insert(conversation_id.to_owned(), id);
        on_screen.by_id.insert(id, conversation_id.to_owned());
        Ok(())
    }

    /// Takes away the notifications of conversations that have been read
    /// (here or on another device), as `conversations` says.
    pub async fn withdraw_read(&self, conversations: &[Conversation]) {
        let read: Vec<u32> = {
            let on_screen = self.lock();
            conversations
                .iter()
                .filter(|c| c.unread_count == 0)
                .filter_map(|c| on_screen.by_conversation.get(&c.conversation_id).copied())
                .collect()
        };
        self.withdraw(read).await;
    }

    /// Takes away every notification: their user's session has ended, and a
    /// click must not open their conversation for whoever signs in next.
    pub async fn withdraw_all(&self) {
        let all: Vec<u32> = self.lock().by_id.keys().copied().collect();
        self.withdraw(all).await;
    }

    async fn withdraw(&self, ids: Vec<u32>) {
        for id in ids {
            self.lock().forget(id);
            if let Err(e) = self.service.close_notification(id).await {
                tracing::info!("notification {id} not closed: {e}");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OnScreen> {
        self.on_screen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use natter_proto::{Element, MsgItem};

    fn incoming(from: &str, text: &str, group: Option<&str>) -> Message {
        let item = MsgItem {
            from_account: from.into(),
            to_account: group.is_none().then(|| "me".into()),
            to_group_id: group.map(str::to_owned),
            msg_body: vec![Element::text(text)],
            ..MsgItem::default()
        };
        Message::from_item(&item, "me")
    }

    #[test]
    fn notifications_name_the_sender_and_escape_text() {
        let (title, body, conversation) =
            summary(&[incoming("bob", "<b>hi</b> & bye", None)]).unwrap();
        assert_eq!(title, "bob");
        assert_eq!(body, "&lt;b&gt;hi&lt;/b&gt; &amp; bye");
        assert_eq!(conversation, "C2Cbob");

        let batch = [
            incoming("bob", "one", Some("team")),
            incoming("carol", "two", Some("team")),
        ];
        let (title, body, conversation) = summary(&batch).unwrap();
        assert_eq!(title, "carol (team)");
        assert_eq!(body, "two (+1)");
        assert_eq!(conversation, "GROUPteam");
    }

    #[test]
    fn own_messages_do_not_notify() {
        let mut mine = incoming("me", "sent elsewhere", None);
        mine.flow = "out".into();
        assert_eq!(summary(&[mine]), None);
    }
}
