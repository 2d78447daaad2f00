//! A dropped connection: natter-sdk reconnects with backoff, logs in again
//! with its session key, and delivers what arrived while it was offline —
//! in order and without duplicates.

use std::time::Duration;

use natter_sdk::{Event, NetState, SendOptions};
use natter_system_tests::{Client, Proxy, TestServer};

#[tokio::test]
async fn missed_messages_arrive_after_reconnect_in_order_once() {
    let server = TestServer::start().await;
    let proxy = Proxy::start(server.addr()).await;
    let mut alice = Client::login(&proxy.ws_url(), "alice").await;
    let bob = Client::login(&server.ws_url(), "bob").await;

    let mut before = bob
        .chat
        .create_text_message("alice", "C2C", "before")
        .unwrap();
    bob.chat
        .send_message(&mut before, &SendOptions::default())
        .await
        .unwrap();
    assert_eq!(alice.received(1).await[0].payload["text"], "before");

    proxy.set_down(true);
    proxy.cut();
    alice
        .wait_for("connecting", |e| {
            matches!(e, Event::NetStateChange(NetState::Connecting)).then_some(())
        })
        .await;
    // While alice cannot reach the server, bob sends five more: only the
    // sync after her reconnect can bring them.
    for i in 1..=5 {
        bob.send_text("alice", "C2C", &format!("missed {i}"))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.set_down(false);
    let got = alice.received(5).await;
    let texts: Vec<_> = got
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        texts,
        (1..=5).map(|i| format!("missed {i}")).collect::<Vec<_>>()
    );
    alice.assert_no_message(Duration::from_millis(500)).await;
    assert_eq!(alice.chat.get_total_unread_message_count(), 6);

    // After the reconnect, sending works again and history is whole.
    let mut reply = alice
        .chat
        .create_text_message("bob", "C2C", "back")
        .unwrap();
    alice
        .chat
        .send_message(&mut reply, &SendOptions::default())
        .await
        .unwrap();
    let page = alice.chat.get_message_list("C2Cbob", None).await.unwrap();
    assert_eq!(page.message_list.len(), 7);
}

#[tokio::test]
async fn a_send_during_an_outage_completes_after_reconnect() {
    let server = TestServer::start().await;
    let proxy = Proxy::start(server.addr()).await;
    let mut alice = Client::login(&proxy.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    proxy.cut();
    alice
        .wait_for("connecting", |e| {
            matches!(e, Event::NetStateChange(NetState::Connecting)).then_some(())
        })
        .await;
    let mut m = alice
        .chat
        .create_text_message("bob", "C2C", "queued")
        .unwrap();
    alice
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    assert_eq!(m.status, "success");
    assert_eq!(bob.received(1).await[0].id, m.id);
    bob.assert_no_message(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn requests_time_out_with_2801_when_the_server_is_gone() {
    let server = TestServer::start().await;
    let mut options = natter_sdk::ChatOptions::new(server.ws_url(), natter_system_tests::SDKAPPID);
    options.request_timeout = Duration::from_millis(500);
    let chat = natter_sdk::Chat::create(options);
    chat.login("alice", &natter_system_tests::sig("alice"))
        .await
        .unwrap();
    server.server.shutdown().await;
    let mut m = chat
        .create_text_message("bob", "C2C", "into the void")
        .unwrap();
    let err = chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), 2801);
    assert_eq!(m.status, "fail");
}

#[tokio::test]
async fn login_to_an_unreachable_server_fails_with_2800() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = free.local_addr().unwrap();
    drop(free);
    let mut options =
        natter_sdk::ChatOptions::new(format!("ws://{addr}"), natter_system_tests::SDKAPPID);
    options.request_timeout = Duration::from_millis(700);
    let chat = natter_sdk::Chat::create(options);
    let err = chat
        .login("alice", &natter_system_tests::sig("alice"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 2800, "{err}");
    assert!(chat.login_user().is_none());
    assert!(!chat.is_ready());
}
