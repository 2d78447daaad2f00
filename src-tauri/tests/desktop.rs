//! The desktop backend without a window: what the commands do, against a
//! real server, and a check that the UI's TypeScript shapes match Rust's.

use std::time::Duration;

#[path = "../../crates/media/tests/common/mic.rs"]
mod mic;

use natter_desktop::desktop::{
    AppEvent, Desktop, EventReceiver, SequencedEvent, SignInRequest, EVENT_BUFFER,
};
use natter_sdk::Event;
use natter_system_tests::{sig, Client, Proxy, TestServer, WAIT};
use serde_json::Value;

fn password(server_url: Option<String>, user: &str, create: bool) -> SignInRequest {
    SignInRequest {
        server_url,
        user_id: user.into(),
        password: Some(format!("{user}-password")),
        user_sig: None,
        create_account: create,
    }
}

/// Alice with a new account on `server_url` and her profile in `dir`, and
/// her app's events from before she signed in.
async fn alice_signed_in(server_url: String, dir: &tempfile::TempDir) -> (Desktop, EventReceiver) {
    let alice = Desktop::new(dir.path().to_owned());
    let events = alice.events();
    alice
        .sign_in(password(Some(server_url), "alice", true))
        .await
        .unwrap();
    (alice, events)
}

fn code(e: natter_desktop::error::DesktopError) -> Value {
    serde_json::to_value(&e).unwrap()["code"].clone()
}

/// Waits for the first app event that `pick` maps to `Some`.
async fn wait_for<T>(
    events: &mut EventReceiver,
    what: &str,
    mut pick: impl FnMut(&AppEvent) -> Option<T>,
) -> T {
    wait_for_numbered(events, what, |e| pick(&e.event)).await
}

/// [`wait_for`], with the event's number.
async fn wait_for_numbered<T>(
    events: &mut EventReceiver,
    what: &str,
    mut pick: impl FnMut(&SequencedEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(e)) => {
                if let Some(v) = pick(&e) {
                    return v;
                }
            }
            Ok(None) => panic!("event stream ended"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn sent(events: &mut EventReceiver, id: &str) -> natter_sdk::Message {
    wait_for(events, "messageStatus", |e| match e {
        AppEvent::MessageStatus { message, .. } if message.id == id => Some((**message).clone()),
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_server_starts_and_two_users_chat() {
    let dir = tempfile::tempdir().unwrap();
    let alice = Desktop::new(dir.path().to_owned());
    let mut alice_events = alice.events();
    let session = alice.sign_in(password(None, "alice", true)).await.unwrap();
    assert!(session.embedded);
    assert_eq!(session.user_id, "alice");
    assert!(session.server_url.starts_with("ws://127.0.0.1:"));
    assert!(
        dir.path().join("server/natter.db").exists(),
        "data under the app's data folder"
    );

    // Someone else on the same machine joins the built-in server by its URL.
    let other_dir = tempfile::tempdir().unwrap();
    let bob = Desktop::new(other_dir.path().to_owned());
    let mut bob_events = bob.events();
    let joined = bob
        .sign_in(password(Some(session.server_url.clone()), "bob", true))
        .await
        .unwrap();
    assert!(!joined.embedded);

    let queued = alice
        .send_text("bob", "C2C", "hello from the app", &[])
        .await
        .unwrap();
    assert_eq!(
        queued.status, "unSend",
        "sending does not wait for the server"
    );
    assert_eq!(sent(&mut alice_events, &queued.id).await.status, "success");
    let received = wait_for(&mut bob_events, "messageReceived", |e| match e {
        AppEvent::Chat(Event::MessageReceived(m)) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!(received[0].payload["text"], "hello from the app");
    assert_eq!(received[0].id, queued.id);

    let convs = bob.session().await.unwrap().conversations;
    assert_eq!(convs[0].conversation_id, "C2Calice");
    assert_eq!(convs[0].unread_count, 1);
    bob.mark_read("C2Calice").await.unwrap();
    assert_eq!(
        bob.session().await.unwrap().conversations[0].unread_count,
        0
    );
    let page = bob.history("C2Calice", None).await.unwrap();
    assert_eq!(page.message_list.len(), 1);
    assert!(page.is_completed);
}

/// The number of the next list update whose first conversation has `unread` unread messages.
async fn list_update(events: &mut EventReceiver, unread: u64) -> u64 {
    wait_for_numbered(events, "the list update", |e| match &e.event {
        AppEvent::Chat(Event::ConversationListUpdated(list))
            if list.first().is_some_and(|c| c.unread_count == unread) =>
        {
            Some(e.seq)
        }
        _ => None,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_snapshot_says_which_events_it_covers() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.ws_url(), &dir).await;
    let bob = Client::login(&server.ws_url(), "bob").await;

    bob.send_text("alice", "C2C", "one").await.unwrap();
    let first = list_update(&mut events, 1).await;
    let snapshot = alice.session().await.unwrap();
    assert!(
        snapshot.event_seq >= first,
        "the snapshot covers the update sent before it ({} < {first})",
        snapshot.event_seq
    );
    assert_eq!(snapshot.conversations[0].unread_count, 1);

    bob.send_text("alice", "C2C", "two").await.unwrap();
    let second = list_update(&mut events, 2).await;
    assert!(
        second > snapshot.event_seq,
        "a change after the snapshot comes numbered after it"
    );
    assert!(alice.session().await.unwrap().event_seq >= second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_falls_behind_is_told_to_resync() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.ws_url(), &dir).await;
    let bob = Client::login(&server.ws_url(), "bob").await;
    // Nobody reads `events` while Bob sends more messages than it holds.
    for i in 0..EVENT_BUFFER + 50 {
        bob.send_text("alice", "C2C", &format!("flood {i}"))
            .await
            .unwrap();
    }
    let resync = wait_for_numbered(&mut events, "a resync", |e| {
        matches!(e.event, AppEvent::Resync).then_some(e.seq)
    })
    .await;
    let snapshot = alice.session().await.unwrap();
    assert!(snapshot.event_seq >= resync);
    // What the subscriber gets after the resync is current again.
    let last = list_update(&mut events, (EVENT_BUFFER + 50) as u64).await;
    assert!(last > resync);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_reach_the_ui_as_code_and_message() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::new(dir.path().to_owned());
    assert_eq!(code(app.session().await.unwrap_err()), 2024);

    let url = Some(server.ws_url());
    app.sign_in(password(url.clone(), "carol", true))
        .await
        .unwrap();
    let wrong = SignInRequest {
        password: Some("not-her-password".into()),
        ..password(url.clone(), "carol", false)
    };
    let err = app.sign_in(wrong).await.unwrap_err();
    let v = serde_json::to_value(&err).unwrap();
    assert_eq!(v["code"], 70003);
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));

    let forged = SignInRequest {
        user_sig: Some("not-a-usersig".into()),
        password: None,
        ..password(url.clone(), "carol", false)
    };
    assert_eq!(code(app.sign_in(forged).await.unwrap_err()), 70003);

    assert_eq!(
        code(
            app.send_text("@TIM#SYSTEM", "C2C", "x", &[])
                .await
                .unwrap_err()
        ),
        2106
    );
    let too_long = "字".repeat(5000);
    assert_eq!(
        code(
            app.send_text("dave", "C2C", &too_long, &[])
                .await
                .unwrap_err()
        ),
        80002,
        "a body over 12 KB is refused before it is queued"
    );
    let many: Vec<String> = (0..31).map(|i| format!("u{i}")).collect();
    assert_eq!(
        code(app.send_text("g1", "GROUP", "hi", &many).await.unwrap_err()),
        10004
    );
    assert_eq!(code(app.find_user("nobody-here").await.unwrap_err()), 90012);
    assert_eq!(code(app.resend("no-such-message").await.unwrap_err()), 2105);
    assert_eq!(
        code(app.create_group("", "Work", &[]).await.unwrap_err()),
        10004
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_is_remembered_until_sign_out() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let app = Desktop::new(dir.path().to_owned());
        let fresh = app.startup().await;
        assert!(fresh.session.is_none() && fresh.error.is_none());
        assert_eq!(fresh.settings.last_user, None);
        app.sign_in(password(Some(server.ws_url()), "erin", true))
            .await
            .unwrap();
    }

    // The next launch signs in with the kept UserSig, no password, while
    // the page loads; the page's `startup` then takes that session, with
    // what happened while erin was away.
    let bob = Client::login(&server.ws_url(), "bob").await;
    bob.send_text("erin", "C2C", "while you were away")
        .await
        .unwrap();
    let app = Desktop::new(dir.path().to_owned());
    app.sign_in_at_launch().await;
    // The page subscribes later, once the launch's own events have passed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut page_events = app.events();
    let start = app.startup().await;
    let session = start.session.expect("signed in again");
    assert_eq!(session.user_id, "erin");
    assert_eq!(session.conversations[0].conversation_id, "C2Cbob");
    assert_eq!(session.total_unread, 1);
    assert_eq!(session.net_state, "connected");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signed_in_again = std::iter::from_fn(|| page_events.try_recv())
        .any(|e| matches!(e.event, AppEvent::Chat(Event::SdkReady)));
    assert!(
        !signed_in_again,
        "startup takes the launch's session, it does not sign in twice"
    );
    assert_eq!(session.server_url, server.ws_url());
    assert_eq!(
        start.settings.server_url.as_deref(),
        Some(server.ws_url().as_str())
    );
    app.session().await.unwrap();

    app.sign_out().await.unwrap();
    assert_eq!(code(app.session().await.unwrap_err()), 2024);
    // The sign-out is announced (notifications go), once, numbered before
    // the snapshot of any later sign-in so that one does not undo it.
    let signed_out = wait_for_numbered(&mut page_events, "the sign-out", |e| {
        matches!(e.event, AppEvent::SignedOut).then_some(e.seq)
    })
    .await;
    app.sign_out().await.unwrap();
    let again = app
        .sign_in(password(Some(server.ws_url()), "erin", false))
        .await
        .unwrap();
    assert!(again.event_seq >= signed_out);
    let announced_again = std::iter::from_fn(|| page_events.try_recv())
        .any(|e| matches!(e.event, AppEvent::SignedOut));
    assert!(!announced_again, "signing out when signed out says nothing");
    app.sign_out().await.unwrap();
    let after = Desktop::new(dir.path().to_owned()).startup().await;
    assert!(after.session.is_none());
    assert_eq!(
        after.settings.last_user.as_deref(),
        Some("erin"),
        "the form stays prefilled"
    );

    // A kept UserSig the server refuses is reported and forgotten.
    let app = Desktop::new(dir.path().to_owned());
    app.sign_in(SignInRequest {
        user_sig: Some(sig("frank")),
        password: None,
        ..password(Some(server.ws_url()), "frank", false)
    })
    .await
    .unwrap();
    let creds = dir.path().join("credentials.json");
    let mut kept: Value = serde_json::from_slice(&std::fs::read(&creds).unwrap()).unwrap();
    kept["userId"] = "mallory".into();
    std::fs::write(&creds, serde_json::to_vec(&kept).unwrap()).unwrap();
    let app = Desktop::new(dir.path().to_owned());
    app.sign_in_at_launch().await;
    let refused = app.startup().await;
    assert!(refused.session.is_none());
    assert_eq!(code(refused.error.expect("the reason")), 70013);
    assert!(!creds.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_ends_the_session_and_the_next_launch_does_not_undo_it() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.ws_url(), &dir).await;
    server
        .admin()
        .call(
            "im_open_login_svc",
            "kick",
            &serde_json::json!({"UserID": "alice"}),
        )
        .await
        .unwrap();
    wait_for(&mut events, "the kick", |e| {
        matches!(e, AppEvent::Chat(Event::KickedOut(_))).then_some(())
    })
    .await;
    assert_eq!(
        code(alice.session().await.unwrap_err()),
        2024,
        "the kick ended the session"
    );
    drop(alice);

    let next = Desktop::new(dir.path().to_owned());
    next.sign_in_at_launch().await;
    let start = next.startup().await;
    assert!(start.session.is_none(), "no quiet sign-in after a kick");
    assert!(start.error.is_none());
    assert_eq!(
        start.settings.last_user.as_deref(),
        Some("alice"),
        "the form stays prefilled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_message_of_a_session_arrives_after_its_sign_out() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.ws_url(), &dir).await;
    let bob = Client::login(&server.ws_url(), "bob").await;
    // Bob writes without pause while Alice signs out.
    let writing = tokio::spawn(async move {
        for i in 0.. {
            if bob
                .send_text("alice", "C2C", &format!("{i}"))
                .await
                .is_err()
            {
                break;
            }
        }
    });
    wait_for(&mut events, "bob's first message", |e| {
        matches!(e, AppEvent::Chat(Event::MessageReceived(_))).then_some(())
    })
    .await;
    alice.sign_out().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    writing.abort();
    let mut after_sign_out = None;
    while let Some(e) = events.try_recv() {
        match (&e.event, after_sign_out) {
            (AppEvent::SignedOut, _) => after_sign_out = Some(0),
            (AppEvent::Chat(_), Some(n)) => after_sign_out = Some(n + 1),
            _ => {}
        }
    }
    assert_eq!(
        after_sign_out,
        Some(0),
        "the sign-out was announced and no SDK event followed it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_typed_offline_go_out_in_order_on_reconnect() {
    let server = TestServer::start().await;
    let proxy = Proxy::start(server.addr()).await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(proxy.ws_url(), &dir).await;

    proxy.set_down(true);
    proxy.cut();
    wait_for(&mut events, "going offline", |e| {
        matches!(e, AppEvent::Chat(Event::NetStateChange(s)) if *s != natter_sdk::NetState::Connected)
            .then_some(())
    })
    .await;
    let mut ids = Vec::new();
    for text in ["typed", "while", "offline"] {
        let m = alice.send_text("bob", "C2C", text, &[]).await.unwrap();
        assert_eq!(m.status, "unSend");
        ids.push(m.id);
    }
    bob.assert_no_message(Duration::from_millis(500)).await;

    proxy.set_down(false);
    let got = bob.received(3).await;
    let texts: Vec<&str> = got
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(texts, ["typed", "while", "offline"]);
    for id in &ids {
        assert_eq!(sent(&mut events, id).await.status, "success");
    }
    bob.assert_no_message(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_created_listed_and_mentioned() {
    let server = TestServer::start().await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    Client::login(&server.ws_url(), "carol").await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.ws_url(), &dir).await;

    assert_eq!(alice.find_user("bob").await.unwrap(), "C2Cbob");
    let conversation = alice
        .create_group("Team", "Work", &["bob".into()])
        .await
        .unwrap();
    let group_id = conversation.strip_prefix("GROUP").unwrap().to_owned();
    let mut members: Vec<_> = alice
        .group_members(&group_id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.user_id, m.role))
        .collect();
    members.sort();
    assert_eq!(
        members,
        [
            ("alice".into(), "Owner".into()),
            ("bob".into(), "Member".into())
        ]
    );
    assert_eq!(
        alice
            .add_group_members(&group_id, &["carol".into(), "bob".into()])
            .await
            .unwrap(),
        ["carol"]
    );
    assert_eq!(alice.group_members(&group_id).await.unwrap().len(), 3);

    let m = alice
        .send_text(&group_id, "GROUP", "@bob look", &["bob".into()])
        .await
        .unwrap();
    assert_eq!(sent(&mut events, &m.id).await.status, "success");
    let got = bob.received(1).await;
    assert_eq!(got[0].at_user_list, ["bob"]);
    assert_eq!(got[0].conversation_id, conversation);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_comes_in_screen_sized_pages_in_order() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, _) = alice_signed_in(server.ws_url(), &dir).await;
    let bob = Client::login(&server.ws_url(), "bob").await;
    for i in 0..100 {
        bob.send_text("alice", "C2C", &i.to_string()).await.unwrap();
    }
    let texts = |page: &natter_desktop::view::HistoryPage| -> Vec<u64> {
        page.message_list
            .iter()
            .filter_map(|m| m.payload["text"].as_str()?.parse().ok())
            .collect()
    };
    let first = alice.history("C2Cbob", None).await.unwrap();
    assert_eq!(texts(&first), (70..100).collect::<Vec<_>>());
    assert!(!first.is_completed);
    let older = alice
        .history("C2Cbob", Some(&first.next_req_message_id))
        .await
        .unwrap();
    assert_eq!(texts(&older), (0..70).collect::<Vec<_>>());
    assert!(older.is_completed);
}

fn types_ts() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ui/src/lib/types.ts"
    ))
    .unwrap()
}

#[test]
fn every_kick_reason_is_put_in_words_by_the_ui() {
    let i18n = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ui/src/lib/i18n.ts"
    ))
    .unwrap();
    use natter_proto::types::*;
    for reason in [
        KICKED_OUT_MULT_ACCOUNT,
        KICKED_OUT_MULT_DEVICE,
        KICKED_OUT_USERSIG_EXPIRED,
        KICKED_OUT_REST_API,
    ] {
        assert!(
            i18n.contains(&format!("case '{reason}':")),
            "kickMessage in i18n.ts has words for {reason:?}"
        );
    }
}

/// Field names of a TypeScript interface in `ui/src/lib/types.ts`.
fn ts_fields(interface: &str) -> Vec<String> {
    let src = types_ts();
    let start = src
        .find(&format!("export interface {interface} {{"))
        .unwrap_or_else(|| panic!("{interface} in types.ts"));
    let body = &src[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| {
            l.trim()
                .split_once(':')
                .map(|(name, _)| name.trim_end_matches('?').to_owned())
        })
        .filter(|n| !n.starts_with("//") && !n.starts_with("/*") && !n.is_empty())
        .collect()
}

fn assert_fields(interface: &str, value: &Value) {
    for field in ts_fields(interface) {
        assert!(
            value.get(&field).is_some(),
            "{interface}.{field} is not sent by Rust: {value}"
        );
    }
}

#[test]
fn ui_types_match_the_rust_shapes() {
    let item: natter_proto::MsgItem = serde_json::from_value(serde_json::json!({
        "From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2, "MsgTimeStamp": 3,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}}]}))
    .unwrap();
    let message = natter_proto::Message::from_item(&item, "a");
    let view = serde_json::to_value(natter_desktop::view::MessageView::from(&message)).unwrap();
    assert_fields("Message", &view);
    assert_eq!(
        view.as_object().map(|o| o.len()),
        Some(ts_fields("Message").len()),
        "the page gets only the message fields it declares: {view}"
    );
    let mut conv = natter_sdk::Conversation::new("C2Cb");
    conv.last_message = Some(natter_sdk::conversation::LastMessage::from_message(
        &message,
    ));

    let startup = natter_desktop::desktop::Startup {
        settings: natter_desktop::settings::Settings::default(),
        session: Some(natter_desktop::desktop::SessionInfo {
            server_url: "ws://x".into(),
            embedded: true,
            user_id: "a".into(),
            conversations: vec![conv],
            total_unread: 0,
            net_state: "connected",
            event_seq: 7,
        }),
        error: Some(natter_desktop::error::DesktopError::NotSignedIn),
    };
    let startup = serde_json::to_value(startup).unwrap();
    assert_fields("Startup", &startup);
    assert_fields("Settings", &startup["settings"]);
    assert_fields("SessionInfo", &startup["session"]);
    assert_fields("Conversation", &startup["session"]["conversations"][0]);
    assert_fields(
        "LastMessage",
        &startup["session"]["conversations"][0]["lastMessage"],
    );
    assert_fields("BackendError", &startup["error"]);
    let member = natter_desktop::desktop::GroupMember {
        user_id: "a".into(),
        role: "Owner".into(),
    };
    assert_fields("GroupMember", &serde_json::to_value(member).unwrap());

    let status = natter_desktop::view::event_json(&SequencedEvent {
        seq: 8,
        event: AppEvent::MessageStatus {
            message: Box::new(message),
            error: Some((80002, "too long".into())),
        },
    });
    assert_eq!(status["kind"], "messageStatus");
    assert_eq!(status["seq"], 8);
    assert_fields("Message", &status["message"]);
    assert_fields("BackendError", &status["error"]);
    let resync = natter_desktop::view::event_json(&SequencedEvent {
        seq: 10,
        event: AppEvent::Resync,
    });
    assert_eq!(resync["kind"], "resync");
    let open = natter_desktop::view::event_json(&SequencedEvent {
        seq: 9,
        event: AppEvent::OpenConversation("C2Cb".into()),
    });
    assert_eq!(open["conversationID"], "C2Cb");
    let signed_out = natter_desktop::view::event_json(&SequencedEvent {
        seq: 11,
        event: AppEvent::SignedOut,
    });
    let progress = natter_desktop::view::event_json(&SequencedEvent {
        seq: 12,
        event: AppEvent::UploadProgress {
            message_id: "m".into(),
            bytes: 1,
            total: 2,
        },
    });
    assert_eq!(
        (progress["messageId"].as_str(), progress["bytes"].as_u64()),
        (Some("m"), Some(1))
    );
    let download = natter_desktop::view::event_json(&SequencedEvent {
        seq: 13,
        event: AppEvent::DownloadProgress {
            id: "m".into(),
            bytes: 1,
            total: 2,
        },
    });
    let drag = natter_desktop::view::event_json(&SequencedEvent {
        seq: 14,
        event: AppEvent::FileDrag(natter_desktop::desktop::FileDrag::Dropped {
            paths: vec!["/tmp/a.png".into()],
            x: 1.0,
            y: 2.0,
        }),
    });
    assert_eq!(
        (drag["state"].as_str(), drag["paths"][0].as_str()),
        (Some("dropped"), Some("/tmp/a.png"))
    );
    let sent_files = serde_json::to_value(natter_desktop::desktop::SentFiles::default()).unwrap();
    assert_fields("SentFiles", &sent_files);
    let queued = natter_desktop::view::event_json(&SequencedEvent {
        seq: 15,
        event: AppEvent::MessageQueued(Box::new(natter_sdk::Message::from_item(
            &natter_proto::MsgItem::default(),
            "a",
        ))),
    });
    assert_fields("Message", &queued["message"]);
    for event in [
        status, resync, open, signed_out, progress, download, drag, queued,
    ] {
        let kind = event["kind"].as_str().unwrap_or_default();
        assert!(
            types_ts().contains(&format!("{{ kind: '{kind}'")),
            "ChatEvent in types.ts declares the kind {kind:?}"
        );
    }
}

/// Files as a drop sends them: image, video and file messages queued in
/// order, an empty file refused with its code, upload progress growing to
/// the total, the messages at the receiver, and their media shown through
/// the app's `natter-media:` scheme (from the signed-in server only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_files_are_sent_with_progress() {
    use natter_desktop::media::{fetch, MediaRequest};
    let server = TestServer::start().await;
    server.import(&["bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.http_url(), &dir).await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    let files = tempfile::tempdir().unwrap();
    let png = files.path().join("photo.png");
    let mut encoded = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut encoded, 800, 600);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        let pixels: Vec<u8> = (0..800 * 600 * 3).map(|i| (i % 251) as u8).collect();
        writer.write_image_data(&pixels).unwrap();
    }
    std::fs::write(&png, &encoded).unwrap();
    let notes = files.path().join("notes.txt");
    std::fs::write(&notes, "the agenda\n").unwrap();
    let video = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/media/tests/data/h264-320x240-2s.mp4");
    let empty = files.path().join("empty.bin");
    std::fs::write(&empty, "").unwrap();

    let result = alice
        .send_files(
            "bob",
            "C2C",
            &[png.clone(), empty, video.clone(), notes.clone()],
        )
        .await
        .unwrap();
    let kinds: Vec<&str> = result.sent.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["TIMImageElem", "TIMVideoFileElem", "TIMFileElem"]);
    assert_eq!(result.refused.len(), 1);
    assert_eq!(
        (result.refused[0].name.as_str(), result.refused[0].code),
        ("empty.bin", 2108)
    );
    assert!(result.sent.iter().all(|m| m.status == "unSend"));

    // Progress for each upload grows to its total; then each is sent.
    let mut last: std::collections::HashMap<String, (u64, u64)> = Default::default();
    let mut sent = std::collections::HashMap::new();
    while sent.len() < 3 {
        let event = wait_for(&mut events, "upload progress and statuses", |e| match e {
            AppEvent::UploadProgress { .. } | AppEvent::MessageStatus { .. } => Some(e.clone()),
            _ => None,
        })
        .await;
        match event {
            AppEvent::UploadProgress {
                message_id,
                bytes,
                total,
            } => {
                let before = last.insert(message_id.clone(), (bytes, total));
                assert!(
                    before.is_none_or(|(b, _)| b < bytes),
                    "progress grows: {before:?} then {bytes}"
                );
            }
            AppEvent::MessageStatus { message, error } => {
                assert!(error.is_none(), "{error:?}");
                sent.insert(message.id.clone(), message);
            }
            _ => {}
        }
    }
    for m in &result.sent {
        let (bytes, total) = last.get(&m.id).copied().unwrap_or_default();
        assert!(
            total > 0 && bytes == total,
            "{}: progress ends at the total",
            m.kind
        );
    }
    let received = bob.received(3).await;
    assert_eq!(received.len(), 3);

    // The image through the app's scheme, as the page loads it.
    let image = &sent[&result.sent[0].id];
    let url = image.payload["imageInfoArray"][0]["url"].as_str().unwrap();
    let server_url = server.http_url();
    let chat = natter_sdk::Chat::create(natter_sdk::ChatOptions::new(
        &server_url,
        natter_system_tests::SDKAPPID,
    ));
    chat.login("bob", &sig("bob")).await.unwrap();
    let remote = |url: &str| MediaRequest {
        uri: format!("natter-media://localhost/remote?url={}", percent(url)),
        range: None,
    };
    let got = fetch(&chat, &server_url, remote(url)).await.unwrap();
    assert_eq!((got.status, got.content_type.as_str()), (200, "image/png"));
    assert!(got.body == encoded, "byte-exact through the scheme");
    let elsewhere = fetch(&chat, &server_url, remote("http://203.0.113.9/media/x"))
        .await
        .unwrap_err();
    assert_eq!(serde_json::to_value(&elsewhere).unwrap()["code"], 20001);
    // Video ranges pass through.
    let video_url = sent[&result.sent[1].id].payload["videoUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ranged = remote(&video_url);
    ranged.range = Some("bytes=0-99".into());
    let part = fetch(&chat, &server_url, ranged).await.unwrap();
    assert_eq!((part.status, part.body.len()), (206, 100));

    // A message not sent yet shows its local preview.
    let unsent = chat
        .create_image_message("alice", "C2C", &png)
        .await
        .unwrap();
    let preview = MediaRequest {
        uri: format!("natter-media://localhost/preview/{}", percent(&unsent.id)),
        range: None,
    };
    let preview = fetch(&chat, &server_url, preview).await.unwrap();
    assert_eq!(preview.content_type, "image/jpeg");
    assert_eq!(&preview.body[..2], &[0xff, 0xd8]);

    // Download into the Downloads folder, byte-exact.
    let file_message = &sent[&result.sent[2].id];
    let file_url = file_message.payload["fileUrl"].as_str().unwrap();
    let saved = alice.download("d1", file_url, "notes.txt").await.unwrap();
    assert_eq!(
        std::fs::read(&saved).unwrap(),
        std::fs::read(&notes).unwrap()
    );
    std::fs::remove_file(saved).unwrap();

    // A pasted screenshot: its bytes are kept as a file of the profile and
    // sent as an image; what is no image is refused with 2252.
    let pasted = alice
        .send_pasted_image("bob", "C2C", &encoded, "image/png")
        .await
        .unwrap();
    assert_eq!(pasted.sent[0].kind, "TIMImageElem");
    let got = bob.received(1).await.remove(0);
    assert_eq!(got.payload["imageInfoArray"][0]["width"], 800);
    let refused = alice
        .send_pasted_image("bob", "C2C", b"<svg/>", "image/svg+xml")
        .await
        .unwrap_err();
    assert_eq!(code(refused), 2252);
}

/// Percent-encodes a URL for a query parameter, as `encodeURIComponent` does.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `scripts/test-mic`'s devices for this process (ALSA reads the variable
/// when it first loads its configuration).
fn test_mic() -> &'static std::path::Path {
    static MIC: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    MIC.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("desktop-test-mic");
        mic::make(&dir);
        std::env::set_var("ALSA_CONFIG_PATH", dir.join("alsa.conf"));
        dir
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_notes_are_recorded_previewed_and_sent() {
    test_mic();
    let server = TestServer::start().await;
    server.import(&["bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let (alice, mut events) = alice_signed_in(server.http_url(), &dir).await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let outgoing = dir.path().join("outgoing");
    let voice_files = || {
        std::fs::read_dir(&outgoing)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("Voice-"))
                    .count()
            })
            .unwrap_or(0)
    };

    // No such microphone: a clear error with its code, nothing left behind.
    let error = alice
        .start_recording(Some("no-such-mic".into()))
        .await
        .unwrap_err();
    assert_eq!(code(error), 2300);
    assert_eq!(voice_files(), 0);

    // Discarded: no file stays.
    alice.start_recording(Some("testmic".into())).await.unwrap();
    alice.cancel_recording().await;
    assert_eq!(voice_files(), 0);

    // The test microphone replays faster than real time, so this recording
    // reaches the 1-minute limit at once: levels, then the end, by events.
    let started = alice.start_recording(Some("testmic".into())).await.unwrap();
    assert_eq!(started.device, "Test microphone (speech, 16 kHz mono)");
    let mut levels = 0;
    let reason = wait_for(&mut events, "the recording's end", |e| match e {
        AppEvent::RecordingLevel { id, .. } if *id == started.id => {
            levels += 1;
            None
        }
        AppEvent::RecordingEnded { id, reason } if *id == started.id => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(reason, "maxDuration");
    assert_eq!(levels, 20 * 60, "20 levels a second");
    let note = alice.stop_recording().await.unwrap();
    assert_eq!(note.duration_ms, 60_000);
    assert_eq!(note.ended.as_deref(), Some("maxDuration"));
    assert_eq!(note.waveform.len(), 40);
    assert!(
        note.waveform.iter().any(|l| *l > 0.5),
        "{:?}",
        note.waveform
    );

    // The preview plays from the app's scheme; its waveform decodes from the file.
    let src = format!("natter-media://localhost/recording/{}", note.id);
    let preview = alice
        .media(natter_desktop::media::MediaRequest {
            uri: src.clone(),
            range: None,
        })
        .await
        .unwrap();
    assert_eq!(preview.content_type, "audio/mp4");
    assert_eq!(preview.body.len() as u64, note.bytes);
    let decoded = alice.voice_waveform(&src).await.unwrap();
    assert_eq!(decoded.len(), 40);
    let close = decoded
        .iter()
        .zip(&note.waveform)
        .filter(|(a, b)| (**a - **b).abs() < 0.15)
        .count();
    assert!(
        close >= 30,
        "the file's waveform is the meter's: {decoded:?} / {:?}",
        note.waveform
    );

    // Sent: Bob gets a 60 s sound message and its bytes are the recording's.
    let sent_view = alice.send_voice("bob", "C2C", &note.id).await.unwrap();
    assert_eq!(sent_view.kind, "TIMSoundElem");
    let message = sent(&mut events, &sent_view.id).await;
    assert_eq!(message.status, "success");
    let got = bob.received(1).await.remove(0);
    assert_eq!(got.payload["second"], 60);
    assert_eq!(got.payload["size"], note.bytes);
    let url = got.payload["url"].as_str().unwrap();
    let remote = format!("natter-media://localhost/remote?url={}", percent(url));
    let heard = alice.voice_waveform(&remote).await.unwrap();
    assert_eq!(heard, decoded, "the same file, downloaded");
    // Sending it again is refused: the note was handed over.
    assert_eq!(
        code(alice.send_voice("bob", "C2C", &note.id).await.unwrap_err()),
        2300
    );

    // Signing out discards a recording in progress (the sent note's file stays).
    assert_eq!(voice_files(), 1);
    alice.start_recording(Some("testmic".into())).await.unwrap();
    alice.sign_out().await.unwrap();
    assert_eq!(voice_files(), 1);
}
