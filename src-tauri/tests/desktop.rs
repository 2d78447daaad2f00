//! The desktop backend without a window: what the commands do, against a
//! real server, and a check that the UI's TypeScript shapes match Rust's.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use natter_desktop::desktop::{Desktop, SignInRequest};
use serde_json::Value;

fn request(server_url: Option<String>, user: &str, create: bool) -> SignInRequest {
    SignInRequest {
        server_url,
        user_id: user.into(),
        password: format!("{user}-password"),
        create_account: create,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_server_starts_and_two_users_chat() {
    let dir = tempfile::tempdir().unwrap();
    let alice = Desktop::new(dir.path().to_owned());
    let session = alice.sign_in(request(None, "alice", true)).await.unwrap();
    assert!(session.embedded);
    assert!(session.server_url.starts_with("ws://127.0.0.1:"));
    assert!(
        dir.path().join("server/natter.db").exists(),
        "data under the app's data folder"
    );

    // Someone else on the same machine joins the built-in server by its URL.
    let other_dir = tempfile::tempdir().unwrap();
    let bob = Desktop::new(other_dir.path().to_owned());
    let joined = bob
        .sign_in(request(Some(session.server_url.clone()), "bob", true))
        .await
        .unwrap();
    assert!(!joined.embedded);

    let events: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = events.clone();
    bob.subscribe(move |e| {
        sink.lock().unwrap().push(e);
        true
    })
    .await
    .unwrap();

    let sent = alice
        .send_text("bob", "C2C", "hello from the app", &[])
        .await
        .unwrap();
    assert_eq!(sent.status, "success");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = events.lock().unwrap().iter().any(|e| {
            e["kind"] == "messageReceived"
                && e["messages"][0]["payload"]["text"] == "hello from the app"
        });
        if got {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "bob's UI got no messageReceived event"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let convs = bob.conversations().await.unwrap();
    assert_eq!(convs[0].conversation_id, "C2Calice");
    assert_eq!(convs[0].unread_count, 1);
    bob.mark_read("C2Calice").await.unwrap();
    assert_eq!(bob.conversations().await.unwrap()[0].unread_count, 0);
    let page = bob.history("C2Calice", None).await.unwrap();
    assert_eq!(page.message_list.len(), 1);
    assert!(page.is_completed);
}

#[tokio::test]
async fn errors_reach_the_ui_as_code_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::new(dir.path().to_owned());
    let err = app.conversations().await.unwrap_err();
    assert_eq!(serde_json::to_value(&err).unwrap()["code"], 2024);
    app.sign_in(request(None, "carol", true)).await.unwrap();
    let wrong = SignInRequest {
        password: "not-her-password".into(),
        ..request(None, "carol", false)
    };
    let err = app.sign_in(wrong).await.unwrap_err();
    let v = serde_json::to_value(&err).unwrap();
    assert_eq!(v["code"], 70003);
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    let err = app
        .send_text("@TIM#SYSTEM", "C2C", "x", &[])
        .await
        .unwrap_err();
    assert_eq!(serde_json::to_value(&err).unwrap()["code"], 2106);
}

/// Field names of a TypeScript interface in `ui/src/lib/types.ts`.
fn ts_fields(interface: &str) -> Vec<String> {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ui/src/lib/types.ts"
    ))
    .unwrap();
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
        .filter(|n| !n.starts_with("//") && !n.is_empty())
        .collect()
}

#[test]
fn ui_types_match_the_rust_shapes() {
    let item: natter_proto::MsgItem = serde_json::from_value(serde_json::json!({
        "From_Account": "a", "To_Account": "b", "MsgSeq": 1, "MsgRandom": 2, "MsgTimeStamp": 3,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}}]}))
    .unwrap();
    let message = serde_json::to_value(natter_proto::Message::from_item(&item, "a")).unwrap();
    for field in ts_fields("Message") {
        assert!(
            message.get(&field).is_some(),
            "Message.{field} is not sent by Rust"
        );
    }
    let mut conv = natter_sdk::Conversation::new("C2Cb");
    conv.last_message = Some(natter_sdk::conversation::LastMessage::from_message(
        &natter_proto::Message::from_item(&item, "a"),
    ));
    let conv = serde_json::to_value(conv).unwrap();
    for field in ts_fields("Conversation") {
        assert!(
            conv.get(&field).is_some(),
            "Conversation.{field} is not sent by Rust"
        );
    }
    for field in ts_fields("LastMessage") {
        assert!(
            conv["lastMessage"].get(&field).is_some(),
            "LastMessage.{field} is not sent by Rust"
        );
    }
}
