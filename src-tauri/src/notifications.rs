//! A system notification for messages that arrive while Natter's window is
//! not focused; clicking it brings the window forward on that conversation.

use natter_sdk::Message;

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

/// Shows a notification; `on_click` runs if the user activates it. Failing to
/// show one (no notification service) is logged, not an error.
pub fn show(title: &str, body: &str, on_click: impl FnOnce() + Send + 'static) {
    let shown = notify_rust::Notification::new()
        .appname("Natter")
        .summary(title)
        .body(body)
        .icon("natter")
        .action("default", "Open")
        .show();
    match shown {
        Ok(handle) => {
            #[cfg(all(unix, not(target_os = "macos")))]
            std::thread::spawn(move || {
                let mut on_click = Some(on_click);
                handle.wait_for_action(|action| {
                    if action == "default" {
                        if let Some(f) = on_click.take() {
                            f();
                        }
                    }
                });
            });
            #[cfg(not(all(unix, not(target_os = "macos"))))]
            let _ = (handle, on_click);
        }
        Err(e) => tracing::info!("no system notification: {e}"),
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
