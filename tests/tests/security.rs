//! The server against a hostile client: each test is an attack that once
//! worked (issue 9), made with raw frames and raw HTTP where that is how an
//! attacker would make it.

use std::time::Duration;

use natter_server::config::Limits;
use natter_system_tests::raw::{
    admin_query, call, closed, logged_in, login_frame, next, open, request, rest, send,
};
use natter_system_tests::{now, sig, Client, TestServer, SDKAPPID, SECRET};
use serde_json::{json, Value};

/// 2^63 + 1: fits a u64, not SQLite's signed integers.
const HUGE: u64 = (1 << 63) + 1;

fn text_body(text: &str) -> Value {
    json!([{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}])
}

/// A UserSig for `user` dated `time`.
fn sig_at(user: &str, time: u64) -> String {
    natter_proto::usersig::generate(SDKAPPID, SECRET, user, 86_400, time)
}

/// Logs in on a fresh socket and returns the reply's error code.
async fn login_code(server: &TestServer, user: &str, usersig: &str) -> u64 {
    let mut ws = open(server, "/binfo").await;
    send(&mut ws, true, login_frame(user, usersig, 1)).await;
    next(&mut ws, true).await["body"]["ErrorCode"]
        .as_u64()
        .expect("a code")
}

/// `wslogin` with a session key instead of a UserSig; the reply's error code.
async fn a2_login_code(server: &TestServer, a2: &str, tiny_id: &str) -> u64 {
    let mut ws = open(server, "/binfo").await;
    let frame = json!({"head": {"servcmd": "im_open_status.wslogin", "seq": 1, "a2": a2, "tinyid": tiny_id},
        "body": {"State": "Online"}});
    send(&mut ws, true, frame).await;
    next(&mut ws, true).await["body"]["ErrorCode"]
        .as_u64()
        .expect("a code")
}

/// Creates public group `id` owned by `owner`, with `members`.
async fn create_group(server: &TestServer, id: &str, owner: &str, members: &[&str]) {
    let members: Vec<Value> = members
        .iter()
        .map(|m| json!({ "Member_Account": m }))
        .collect();
    server
        .admin()
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Type": "Public", "Name": "g", "GroupId": id, "Owner_Account": owner,
                "MemberList": members}),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn registering_never_takes_an_existing_account() {
    let server = TestServer::start().await;
    let url = server.http_url();
    let admin = server.admin();
    admin
        .call(
            "im_open_login_svc",
            "account_import",
            &json!({"UserID": "imported"}),
        )
        .await
        .unwrap();
    // An account that exists only because a UserSig logged it in.
    assert_eq!(login_code(&server, "sigonly", &sig("sigonly")).await, 0);
    for taken in ["imported", "sigonly", natter_system_tests::ADMIN] {
        let e = natter_sdk::account::register(&url, taken, "takeover-pass", "")
            .await
            .unwrap_err();
        assert_eq!(e.code(), 70402, "{taken} is taken");
        let e = natter_sdk::account::login_with_password(&url, taken, "takeover-pass")
            .await
            .unwrap_err();
        assert_eq!(e.code(), 70003, "{taken} got no password");
    }
    // Eight sign-ups for one free ID at once: exactly one wins.
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                natter_sdk::account::register(&url, "contested", &format!("password-{i}"), "").await
            })
        })
        .collect();
    let mut won = Vec::new();
    for (i, r) in racers.into_iter().enumerate() {
        match r.await.unwrap() {
            Ok(_) => won.push(i),
            Err(e) => assert_eq!(e.code(), 70402),
        }
    }
    assert_eq!(won.len(), 1, "one sign-up wins: {won:?}");
    natter_sdk::account::login_with_password(&url, "contested", &format!("password-{}", won[0]))
        .await
        .expect("the winner's password is the account's");
}

#[tokio::test]
async fn a_kick_revokes_the_usersig_and_the_session_key() {
    let server = TestServer::start().await;
    let issued = now() - 5;
    let old_sig = sig_at("alice", issued);
    let mut ws = open(&server, "/binfo").await;
    send(&mut ws, true, login_frame("alice", &old_sig, 1)).await;
    let login = next(&mut ws, true).await["body"].clone();
    let (a2, tiny) = (
        login["A2Key"].as_str().unwrap().to_owned(),
        login["TinyId"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        a2_login_code(&server, &a2, &tiny).await,
        0,
        "the key works before the kick"
    );

    server
        .admin()
        .call("im_open_login_svc", "kick", &json!({"UserID": "alice"}))
        .await
        .unwrap();
    let kick = next(&mut ws, true).await;
    assert_eq!(kick["body"]["EventArray"][0]["Event"], 7);
    assert_eq!(closed(&mut ws, Duration::from_secs(5)).await, Some(4000));

    assert_eq!(login_code(&server, "alice", &old_sig).await, 70052);
    assert_eq!(a2_login_code(&server, &a2, &tiny).await, 70052);
    // Nor does the key authenticate a frame before a login.
    let mut ws = open(&server, "/binfo").await;
    let frame = json!({"head": {"servcmd": "recentcontact.page_get", "seq": 2, "a2": a2, "tinyid": tiny}, "body": {}});
    send(&mut ws, true, frame).await;
    assert_eq!(next(&mut ws, true).await["body"]["ErrorCode"], 70052);
    // Another old UserSig, of another device, is refused too.
    assert_eq!(
        login_code(&server, "alice", &sig_at("alice", issued - 100)).await,
        70052
    );
    // A UserSig made after the kick works.
    assert_eq!(
        login_code(&server, "alice", &sig_at("alice", now() + 1)).await,
        0
    );

    // The revocation is durable: a restart does not bring the old key back.
    let server = server.restart().await;
    assert_eq!(login_code(&server, "alice", &old_sig).await, 70052);
    assert_eq!(a2_login_code(&server, &a2, &tiny).await, 70052);
}

#[tokio::test]
async fn the_sdk_stops_when_its_credentials_are_revoked() {
    let server = TestServer::start().await;
    let mut alice = Client::login(&server.ws_url(), "alice").await;
    // Deletion closes the socket without a kick push: the SDK reconnects,
    // is refused with 70052, and says it was kicked instead of retrying.
    server
        .admin()
        .call(
            "im_open_login_svc",
            "account_delete",
            &json!({"DeleteItem": [{"UserID": "alice"}]}),
        )
        .await
        .unwrap();
    alice
        .wait_for("the kick", |e| {
            matches!(e, natter_sdk::Event::KickedOut(_)).then_some(())
        })
        .await;
}

#[tokio::test]
async fn a_password_sign_in_right_after_a_kick_works() {
    let server = TestServer::start().await;
    let url = server.http_url();
    natter_sdk::account::register(&url, "pat", "pat-password", "")
        .await
        .unwrap();
    server
        .admin()
        .call("im_open_login_svc", "kick", &json!({"UserID": "pat"}))
        .await
        .unwrap();
    let issued = natter_sdk::account::login_with_password(&url, "pat", "pat-password")
        .await
        .unwrap();
    assert_eq!(login_code(&server, "pat", &issued.user_sig).await, 0);
}

#[tokio::test]
async fn a_deleted_account_leaves_nothing_to_the_ids_next_owner() {
    let server = TestServer::start().await;
    let issued = now() - 5;
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    alice
        .send_text("bob", "C2C", "a secret for bob")
        .await
        .unwrap();
    bob.received(1).await;
    bob.send_text("alice", "C2C", "a secret for alice")
        .await
        .unwrap();
    let mut ws = open(&server, "/binfo").await;
    send(
        &mut ws,
        true,
        login_frame("alice", &sig_at("alice", issued), 1),
    )
    .await;
    let login = next(&mut ws, true).await["body"].clone();
    let a2 = login["A2Key"].as_str().unwrap().to_owned();
    let tiny = login["TinyId"].as_str().unwrap().to_owned();

    server
        .admin()
        .call(
            "im_open_login_svc",
            "account_delete",
            &json!({"DeleteItem": [{"UserID": "alice"}]}),
        )
        .await
        .unwrap();
    assert_eq!(closed(&mut ws, Duration::from_secs(5)).await, Some(4000));
    assert_eq!(a2_login_code(&server, &a2, &tiny).await, 70052);
    assert_eq!(
        login_code(&server, "alice", &sig_at("alice", issued)).await,
        70052
    );

    // Someone else registers the free ID: no conversations, no history.
    let url = server.http_url();
    let fresh = natter_sdk::account::register(&url, "alice", "new-owner-pass", "")
        .await
        .expect("a deleted ID can be registered again");
    let (mut ws, _) = {
        let mut ws = open(&server, "/binfo").await;
        send(&mut ws, true, login_frame("alice", &fresh.user_sig, 1)).await;
        let reply = next(&mut ws, true).await["body"].clone();
        assert_eq!(reply["ErrorCode"], 0);
        (ws, reply)
    };
    let history = call(
        &mut ws,
        "openim.getroammsg",
        2,
        json!({"Peer_Account": "bob", "MaxCnt": 100}),
    )
    .await;
    assert_eq!(history["MsgCnt"], 0, "{history}");
    let sync = call(&mut ws, "openim.getmsg", 3, json!({"Cookie": ""})).await;
    assert_eq!(sync["MsgList"].as_array().map_or(0, Vec::len), 0, "{sync}");
    let convs = call(&mut ws, "recentcontact.page_get", 4, json!({})).await;
    assert_eq!(
        convs["SessionItem"].as_array().map_or(0, Vec::len),
        0,
        "{convs}"
    );
    // Bob keeps his side of the old conversation.
    let page = bob.chat.get_message_list("C2Calice", None).await.unwrap();
    assert_eq!(page.message_list.len(), 2);
}

#[tokio::test]
async fn parallel_password_guesses_are_all_counted() {
    let server = TestServer::start().await;
    let url = server.http_url();
    natter_sdk::account::register(&url, "dave", "s3cret-pass", "")
        .await
        .unwrap();
    let guesses: Vec<_> = (0..24)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                natter_sdk::account::login_with_password(&url, "dave", &format!("guess-{i:04}"))
                    .await
                    .unwrap_err()
                    .code()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for g in guesses {
        codes.push(g.await.unwrap());
    }
    let checked = codes.iter().filter(|c| **c == 70003).count();
    let locked = codes.iter().filter(|c| **c == 70050).count();
    assert_eq!((checked, locked), (5, 19), "{codes:?}");
    let e = natter_sdk::account::login_with_password(&url, "dave", "s3cret-pass")
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        70050,
        "even the right password waits out the lock-out"
    );
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_and_hashing_is_bounded() {
    let server = TestServer::start_with(Limits {
        registrations_per_address_per_hour: 3,
        ..Limits::default()
    })
    .await;
    let url = server.http_url();
    for i in 0..3 {
        natter_sdk::account::register(&url, &format!("user{i}"), "long-enough", "")
            .await
            .unwrap();
    }
    let e = natter_sdk::account::register(&url, "user3", "long-enough", "")
        .await
        .unwrap_err();
    assert_eq!(e.code(), 60007);

    // A flood of sign-ins (which hash without counting as sign-ups) is
    // queued up to a bound and the rest refused at once with 70169.
    let server = TestServer::start_with(Limits {
        password_hashes_at_once: 1,
        password_hash_queue: 2,
        ..Limits::default()
    })
    .await;
    let url = server.http_url();
    let flood: Vec<_> = (0..40)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                natter_sdk::account::login_with_password(&url, &format!("nobody{i}"), "whatever-1")
                    .await
                    .unwrap_err()
                    .code()
            })
        })
        .collect();
    let mut busy = 0;
    for f in flood {
        match f.await.unwrap() {
            70169 => busy += 1,
            code => assert_eq!(code, 70003),
        }
    }
    assert!(busy > 0, "some sign-ins were refused rather than queued");
}

#[tokio::test]
async fn sender_names_come_from_the_profile() {
    let server = TestServer::start().await;
    server
        .admin()
        .call(
            "im_open_login_svc",
            "account_import",
            &json!({"UserID": "carol", "Nick": "Carol"}),
        )
        .await
        .unwrap();
    let (mut bob, _) = logged_in(&server, "bob").await;
    let (mut carol, _) = logged_in(&server, "carol").await;
    let huge_nick = "a".repeat(200 * 1024);
    let reply = call(
        &mut carol,
        "openim.sendmsg",
        2,
        json!({"To_Account": "bob", "MsgRandom": 1, "MsgSeq": 1, "MsgBody": text_body("hi"),
            "From_AccountNick": "alice", "From_AccountHeadurl": "https://evil.example/alice.png"}),
    )
    .await;
    assert_eq!(reply["ErrorCode"], 0);
    let push = next(&mut bob, true).await;
    let item = &push["body"]["EventArray"][0]["C2cMsgArray"][0];
    assert_eq!(item["From_AccountNick"], "Carol");
    assert_eq!(item["From_AccountHeadurl"], "");
    // A 200 KB nick (far past the 12 KB body limit) is dropped, not stored.
    let reply = call(
        &mut carol,
        "openim.sendmsg",
        3,
        json!({"To_Account": "bob", "MsgRandom": 2, "MsgSeq": 2, "MsgBody": text_body("hi"), "From_AccountNick": huge_nick}),
    )
    .await;
    assert_eq!(reply["ErrorCode"], 0);
    let push = next(&mut bob, true).await;
    assert_eq!(
        push["body"]["EventArray"][0]["C2cMsgArray"][0]["From_AccountNick"],
        "Carol"
    );
    // The same over REST, where the admin speaks for carol.
    let (_, r) = rest(
        &server,
        "/v4/openim/sendmsg",
        &admin_query(),
        &json!({"From_Account": "carol", "To_Account": "bob", "MsgRandom": 3, "MsgBody": text_body("hi"),
            "From_AccountNick": "alice"})
        .to_string(),
        None,
    )
    .await;
    assert_eq!(r["ErrorCode"], 0, "{r}");
    let history = call(
        &mut carol,
        "openim.getroammsg",
        4,
        json!({"Peer_Account": "bob", "MaxCnt": 10}),
    )
    .await;
    for item in history["MsgList"].as_array().unwrap() {
        assert_eq!(item["From_AccountNick"], "Carol", "{item}");
    }
    // In groups too.
    create_group(&server, "g1", "carol", &["bob"]).await;
    let reply = call(
        &mut carol,
        "group_open_http_svc.send_group_msg",
        5,
        json!({"GroupId": "g1", "Random": 9, "MsgBody": text_body("hi all"), "From_AccountNick": "alice"}),
    )
    .await;
    assert_eq!(reply["ErrorCode"], 0, "{reply}");
    let push = loop {
        let f = next(&mut bob, true).await;
        if f["body"]["EventArray"][0]["GroupMsgArray"].is_array() {
            break f;
        }
    };
    let item = &push["body"]["EventArray"][0]["GroupMsgArray"][0];
    assert_eq!(item["From_AccountNick"], "Carol");
    assert_eq!(item["GroupInfo"]["From_AccountNick"], "Carol");
}

#[tokio::test]
async fn numbers_beyond_the_protocols_range_are_parameter_errors() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    create_group(&server, "g1", "alice", &[]).await;
    let (mut ws, _) = logged_in(&server, "alice").await;
    logged_in(&server, "bob").await;
    let cases: Vec<(&str, Value, u64)> = vec![
        (
            "openim.sendmsg",
            json!({"To_Account": "bob", "MsgRandom": HUGE, "MsgBody": text_body("x")}),
            90005,
        ),
        (
            "openim.sendmsg",
            json!({"To_Account": "bob", "MsgRandom": 1, "MsgSeq": HUGE, "MsgBody": text_body("x")}),
            90001,
        ),
        (
            "openim.sendmsg",
            json!({"To_Account": "bob", "MsgRandom": 1, "MsgClientTime": HUGE, "MsgBody": text_body("x")}),
            90001,
        ),
        (
            "group_open_http_svc.send_group_msg",
            json!({"GroupId": "g1", "Random": HUGE, "MsgBody": text_body("x")}),
            10004,
        ),
        (
            "group_open_http_svc.send_group_msg",
            json!({"GroupId": "g1", "Random": 1, "ClientSeq": HUGE, "MsgBody": text_body("x")}),
            10004,
        ),
        (
            "openim.set_c2c_msg_read",
            json!({"Peer_Account": "bob", "MsgReadTime": HUGE}),
            20001,
        ),
        (
            "openim.set_c2c_msg_read",
            json!({"Peer_Account": "bob", "MsgReadTime": HUGE.to_string()}),
            20001,
        ),
        (
            "group_open_http_svc.msg_read_report",
            json!({"GroupId": "g1", "MsgReadedSeq": HUGE}),
            10004,
        ),
        (
            "openim.getroammsg",
            json!({"Peer_Account": "bob", "MsgKey": format!("1_{HUGE}_1")}),
            20001,
        ),
        (
            "openim.getroammsg",
            json!({"Peer_Account": "bob", "MsgKey": "not a key"}),
            20001,
        ),
        (
            "group_open_http_svc.group_msg_get",
            json!({"GroupId": "g1", "ReqMsgSeq": HUGE}),
            10004,
        ),
    ];
    for (i, (servcmd, body, code)) in cases.into_iter().enumerate() {
        let reply = call(&mut ws, servcmd, 10 + i as u64, body.clone()).await;
        assert_eq!(reply["ErrorCode"], code, "{servcmd} {body}: {reply}");
    }
    let q = admin_query();
    for (path, body, code) in [
        (
            "/v4/group_open_http_svc/get_appid_group_list",
            json!({"Next": HUGE}),
            10004,
        ),
        (
            "/v4/openim/admin_getroammsg",
            json!({"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 10, "LastMsgKey": format!("{HUGE}_1_1")}),
            90001,
        ),
        (
            "/v4/group_open_http_svc/group_msg_get_simple",
            json!({"GroupId": "g1", "ReqMsgNumber": 5, "ReqMsgSeq": HUGE}),
            10004,
        ),
        (
            "/v4/openim/admin_set_msg_read",
            json!({"Report_Account": "alice", "Peer_Account": "bob", "MsgReadTime": HUGE}),
            20001,
        ),
    ] {
        let (status, r) = rest(&server, path, &q, &body.to_string(), None).await;
        assert_eq!(
            (status, r["ErrorCode"].as_u64()),
            (200, Some(code)),
            "{path}: {r}"
        );
    }
}

#[tokio::test]
async fn lengths_and_counts_have_their_limits() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    let q = admin_query();
    for (field, len) in [
        ("Introduction", 241),
        ("Notification", 301),
        ("FaceUrl", 101),
    ] {
        let mut body = json!({"Type": "Public", "Name": "g", "Owner_Account": "alice"});
        body[field] = json!("x".repeat(len));
        let (_, r) = rest(
            &server,
            "/v4/group_open_http_svc/create_group",
            &q,
            &body.to_string(),
            None,
        )
        .await;
        assert_eq!(r["ErrorCode"], 10004, "{field}: {r}");
        body[field] = json!("x".repeat(len - 1));
        let (_, r) = rest(
            &server,
            "/v4/group_open_http_svc/create_group",
            &q,
            &body.to_string(),
            None,
        )
        .await;
        assert_eq!(r["ErrorCode"], 0, "{field} at its limit: {r}");
    }
    let (_, r) = rest(
        &server,
        "/v4/im_open_login_svc/account_import",
        &q,
        &json!({"UserID": "nick", "Nick": "n".repeat(501)}).to_string(),
        None,
    )
    .await;
    assert_eq!(r["ErrorCode"], 70402, "{r}");

    create_group(&server, "g1", "alice", &[]).await;
    let (mut ws, _) = logged_in(&server, "alice").await;
    logged_in(&server, "bob").await;
    let at_long = json!([{"GroupAtAllFlag": 0, "GroupAt_Account": "u".repeat(5000)}]);
    let at_many: Vec<Value> = (0..31)
        .map(|i| json!({"GroupAtAllFlag": 0, "GroupAt_Account": format!("u{i}")}))
        .collect();
    let control = json!(["NoUnread", "NoUnread", "NoUnread", "NoUnread", "NoUnread"]);
    for (i, (servcmd, body, code)) in [
        ("group_open_http_svc.send_group_msg", json!({"GroupId": "g1", "Random": 1, "MsgBody": text_body("x"), "GroupAtInfo": at_long}), 10004),
        ("group_open_http_svc.send_group_msg", json!({"GroupId": "g1", "Random": 2, "MsgBody": text_body("x"), "GroupAtInfo": at_many}), 10004),
        ("group_open_http_svc.send_group_msg", json!({"GroupId": "g1", "Random": 3, "MsgBody": text_body("x"), "SendMsgControl": control}), 10004),
        ("openim.sendmsg", json!({"To_Account": "bob", "MsgRandom": 4, "MsgBody": text_body("x"), "SendMsgControl": control}), 90001),
        ("openim.sendmsg", json!({"To_Account": "bob", "MsgRandom": 5, "MsgBody": text_body("x"), "SendMsgControl": ["Surprise"]}), 90001),
        ("openim.get_peer_read_time", json!({"To_Account": vec!["bob"; 101]}), 20001),
        ("group_open_http_svc.delete_group_member", json!({"GroupId": "g1", "MemberToDel_Account": vec!["bob"; 101]}), 10004),
    ]
    .into_iter()
    .enumerate()
    {
        let reply = call(&mut ws, servcmd, 10 + i as u64, body.clone()).await;
        assert_eq!(reply["ErrorCode"], code, "{servcmd}: {reply}");
    }
}

#[tokio::test]
async fn malformed_http_gets_the_protocols_error_shape() {
    let server = TestServer::start().await;
    let q = admin_query();
    let big = format!(r#"{{"UserID":"{}"}}"#, "x".repeat(3 * 1024 * 1024));
    let (status, r) = rest(
        &server,
        "/v4/im_open_login_svc/account_import",
        &q,
        &big,
        None,
    )
    .await;
    assert_eq!(
        (status, r["ActionStatus"].as_str(), r["ErrorCode"].as_u64()),
        (200, Some("FAIL"), Some(60003)),
        "{r}"
    );
    let (status, r) = rest(&server, "/v4/too/many/segments", &q, "{}", None).await;
    assert_eq!((status, r["ErrorCode"].as_u64()), (200, Some(60002)), "{r}");
    let (status, r) = rest(&server, "/nothing-here", &q, "{}", None).await;
    assert_eq!((status, r["ErrorCode"].as_u64()), (200, Some(60002)), "{r}");
    let resp = reqwest::get(format!("{}/v4/openim/sendmsg?{q}", server.http_url()))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(r["ErrorCode"], 60002, "{r}");
    let (status, r) = rest(
        &server,
        "/v4/openim/sendmsg",
        "sdkappid=%zz&a=%",
        "{}",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(r["ErrorCode"], 0, "{r}");
}

#[tokio::test]
async fn rest_resends_without_msgseq_are_stored_once_also_across_restarts() {
    let server = TestServer::start().await;
    let admin = server.admin();
    server.import(&["alice", "bob"]).await;
    let send = json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 4242, "MsgBody": text_body("once")});
    let first = admin.call("openim", "sendmsg", &send).await.unwrap();
    let again = admin.call("openim", "sendmsg", &send).await.unwrap();
    assert_eq!(again["MsgKey"], first["MsgKey"]);
    assert_eq!(again["MsgSeq"], first["MsgSeq"]);
    assert_eq!(again["MsgTime"], first["MsgTime"]);
    let server = server.restart().await;
    let admin = server.admin();
    let after_restart = admin.call("openim", "sendmsg", &send).await.unwrap();
    assert_eq!(after_restart["MsgKey"], first["MsgKey"]);
    // Another MsgRandom is another message; so is one the client numbered itself.
    let other = json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 4243, "MsgBody": text_body("twice")});
    admin.call("openim", "sendmsg", &other).await.unwrap();
    let numbered = json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": 4242, "MsgSeq": 7, "MsgBody": text_body("numbered")});
    admin.call("openim", "sendmsg", &numbered).await.unwrap();
    let history = admin
        .call(
            "openim",
            "admin_getroammsg",
            &json!({"Operator_Account": "bob", "Peer_Account": "alice", "MaxCnt": 100}),
        )
        .await
        .unwrap();
    let texts: Vec<&str> = history["MsgList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["MsgBody"][0]["MsgContent"]["Text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["once", "twice", "numbered"]);

    // Outside the window the same MsgRandom is a new message.
    let server = TestServer::start_with(Limits {
        c2c_dedupe_window_secs: 0,
        ..Limits::default()
    })
    .await;
    let admin = server.admin();
    server.import(&["alice", "bob"]).await;
    admin.call("openim", "sendmsg", &send).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = admin.call("openim", "sendmsg", &send).await.unwrap();
    assert_ne!(later["MsgKey"], first["MsgKey"]);
}

#[tokio::test]
async fn data_files_are_private_to_the_server_user() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start().await;
    logged_in(&server, "alice").await;
    let dir = server.dir.path();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700);
    for name in ["natter.db", "natter.db-wal", "natter.db-shm"] {
        let path = dir.join(name);
        if path.exists() || name == "natter.db" {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    // A database left readable by an older version is tightened at start.
    let dir_path = dir.to_owned();
    std::fs::set_permissions(
        dir_path.join("natter.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::fs::set_permissions(&dir_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = server.restart().await;
    assert_eq!(mode(server.dir.path()), 0o700);
    assert_eq!(mode(&server.dir.path().join("natter.db")), 0o600);
}

#[tokio::test]
async fn sockets_that_never_log_in_or_go_quiet_are_closed() {
    let server = TestServer::start_with(Limits {
        login_timeout_secs: 1,
        idle_timeout_secs: 3,
        ..Limits::default()
    })
    .await;
    // Heartbeats without a login do not keep a socket open: one every
    // 300 ms, answered each time, until the server closes it.
    let mut anonymous = open(&server, "/binfo").await;
    let mut close = None;
    for seq in 0..40 {
        let beat = request("heartbeat.alive", seq, json!({}));
        let sent = futures_util::SinkExt::send(
            &mut anonymous,
            tokio_tungstenite::tungstenite::Message::Binary(beat.to_string().into_bytes().into()),
        )
        .await;
        if sent.is_err() {
            break;
        }
        match tokio::time::timeout(
            Duration::from_millis(300),
            futures_util::StreamExt::next(&mut anonymous),
        )
        .await
        {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame)))) => {
                close = frame.map(|f| u16::from(f.code));
                break;
            }
            Ok(None) | Ok(Some(Err(_))) => break,
            _ => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }
    assert_eq!(
        close,
        Some(1000),
        "closed within 12 s of heartbeats, as not logged in"
    );
    // A logged-in socket that keeps talking stays; a silent one goes.
    let (mut talking, _) = logged_in(&server, "alice").await;
    let (mut silent, _) = logged_in(&server, "bob").await;
    for seq in 0..6 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        send(
            &mut talking,
            true,
            request("heartbeat.alive", 10 + seq, json!({})),
        )
        .await;
        next(&mut talking, true).await;
    }
    assert_eq!(
        closed(&mut silent, Duration::from_secs(3)).await,
        Some(1000)
    );
    // One that only listens while messages keep coming is not idle.
    let (mut listening, _) = logged_in(&server, "carol").await;
    for seq in 0..6 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let body = json!({"To_Account": "carol", "MsgRandom": seq, "MsgSeq": seq, "MsgBody": text_body("still there?")});
        assert_eq!(
            call(&mut talking, "openim.sendmsg", 20 + seq, body).await["ErrorCode"],
            0
        );
        let push = next(&mut listening, true).await;
        assert!(push["body"]["EventArray"][0]["C2cMsgArray"].is_array());
    }
}

/// Reads from a raw TCP connection until the server closes it (or `within` passes).
async fn closed_by_server(tcp: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn connections_are_capped_per_address() {
    let server = TestServer::start_with(Limits {
        connections_per_address: 3,
        ..Limits::default()
    })
    .await;
    let connect = || tokio::net::TcpStream::connect(server.addr());
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect().await.unwrap());
    }
    let mut fourth = connect().await.unwrap();
    assert!(
        closed_by_server(&mut fourth, Duration::from_secs(2)).await,
        "a fourth connection from one address is closed at once"
    );
    // Places are given back when connections close.
    drop(held);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let attempt = reqwest::Client::new()
            .post(format!(
                "{}/v4/openim/sendmsg?{}",
                server.http_url(),
                admin_query()
            ))
            .body("{}")
            .send()
            .await;
        if attempt.is_ok() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the places came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn stalled_requests_time_out() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with(Limits {
        idle_timeout_secs: 1,
        ..Limits::default()
    })
    .await;
    // Headers that never finish: the connection goes after the idle time.
    let mut slow = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    slow.write_all(b"POST /v4/openim/sendmsg HTTP/1.1\r\nHost: natter\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert!(closed_by_server(&mut slow, Duration::from_secs(10)).await);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_login_beyond_the_session_limit_ends_the_oldest_session() {
    let server = TestServer::start_with(Limits {
        sessions_per_user: 2,
        ..Limits::default()
    })
    .await;
    let (mut first, _) = logged_in(&server, "alice").await;
    let (mut second, _) = logged_in(&server, "alice").await;
    let (mut third, _) = logged_in(&server, "alice").await;
    let kick = next(&mut first, true).await;
    let notice = &kick["body"]["EventArray"][0];
    assert_eq!(notice["Event"], 7);
    assert_eq!(
        notice["C2cNotifyMsgArray"][0]["KickoutMsgNotify"]["KickType"],
        2
    );
    assert_eq!(closed(&mut first, Duration::from_secs(5)).await, Some(4000));
    // The two newest still get messages.
    let (mut bob, _) = logged_in(&server, "bob").await;
    let reply = call(
        &mut bob,
        "openim.sendmsg",
        2,
        json!({"To_Account": "alice", "MsgRandom": 1, "MsgSeq": 1, "MsgBody": text_body("hi")}),
    )
    .await;
    assert_eq!(reply["ErrorCode"], 0);
    for ws in [&mut second, &mut third] {
        let push = next(ws, true).await;
        assert_eq!(
            push["body"]["EventArray"][0]["C2cMsgArray"][0]["MsgBody"][0]["MsgContent"]["Text"],
            "hi"
        );
    }
}
