//! Two users and a group of three exchange text and @ messages through a
//! real server with natter-sdk clients: order, history pages, unread
//! counts, lastMessage, @ lists and idempotent resends.

use natter_sdk::{types, Event, SendOptions};
use natter_system_tests::{Client, TestServer};
use serde_json::json;

#[tokio::test]
async fn c2c_text_in_order_with_history_unread_and_last_message() {
    let server = TestServer::start().await;
    let mut alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    let mut sent_ids = Vec::new();
    for i in 1..=20 {
        let mut m = alice
            .chat
            .create_text_message("bob", "C2C", &format!("m{i}"))
            .unwrap();
        assert_eq!(m.status, "unSend");
        alice
            .chat
            .send_message(&mut m, &SendOptions::default())
            .await
            .unwrap();
        assert_eq!(m.status, "success");
        assert!(m.time > 0);
        sent_ids.push(m.id.clone());
    }
    let got = bob.received(20).await;
    let texts: Vec<String> = got
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        texts,
        (1..=20).map(|i| format!("m{i}")).collect::<Vec<_>>(),
        "delivered in order"
    );
    assert_eq!(
        got.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        sent_ids,
        "same IDs on both sides"
    );
    assert!(got
        .iter()
        .all(|m| m.flow == "in" && m.conversation_id == "C2Calice" && m.from == "alice"));

    // Unread and lastMessage on bob's side; alice's own side has no unread.
    let total = bob.wait_for("total 20", |e| match e {
        Event::TotalUnreadMessageCountUpdated(n) if *n == 20 => Some(*n),
        _ => None,
    });
    assert_eq!(total.await, 20);
    let conv = bob.chat.get_conversation_list().unwrap();
    assert_eq!(conv.len(), 1);
    assert_eq!(conv[0].conversation_id, "C2Calice");
    assert_eq!(conv[0].unread_count, 20);
    assert_eq!(
        conv[0].last_message.as_ref().unwrap().message_for_show,
        "m20"
    );
    assert_eq!(
        alice.chat.get_conversation_list().unwrap()[0].unread_count,
        0
    );

    // History: 15 a page, newest page first, each page oldest first.
    let p1 = bob.chat.get_message_list("C2Calice", None).await.unwrap();
    assert_eq!(p1.message_list.len(), 15);
    assert!(!p1.is_completed);
    assert_eq!(p1.message_list[0].payload["text"], "m6");
    assert_eq!(p1.message_list[14].payload["text"], "m20");
    let p2 = bob
        .chat
        .get_message_list("C2Calice", Some(&p1.next_req_message_id))
        .await
        .unwrap();
    assert!(p2.is_completed);
    assert_eq!(p2.next_req_message_id, "");
    let t2: Vec<_> = p2
        .message_list
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(t2, vec!["m1", "m2", "m3", "m4", "m5"]);

    // Natter's own clients may ask for other page sizes, up to 100 a request.
    let texts = |page: &natter_sdk::MessageListPage| -> Vec<String> {
        page.message_list
            .iter()
            .map(|m| m.payload["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest = bob
        .chat
        .get_message_list_with_count("C2Calice", None, 16)
        .await
        .unwrap();
    assert_eq!(
        texts(&newest),
        (5..=20).map(|i| format!("m{i}")).collect::<Vec<_>>()
    );
    assert!(!newest.is_completed);
    let rest = bob
        .chat
        .get_message_list_with_count("C2Calice", Some(&newest.next_req_message_id), 1000)
        .await
        .unwrap();
    assert_eq!(texts(&rest), ["m1", "m2", "m3", "m4"]);
    assert!(rest.is_completed);

    // Reading clears unread, and a fresh login sees the stored state.
    bob.chat.set_message_read("C2Calice").await.unwrap();
    assert_eq!(bob.chat.get_total_unread_message_count(), 0);
    let again = Client::login(&server.ws_url(), "bob").await;
    let conv = again.chat.get_conversation_list().unwrap();
    assert_eq!(conv[0].unread_count, 0);
    assert_eq!(
        conv[0].last_message.as_ref().unwrap().message_for_show,
        "m20"
    );

    // A reply goes the other way and updates alice's unread.
    let mut reply = bob
        .chat
        .create_text_message("alice", "C2C", "hi alice")
        .unwrap();
    bob.chat
        .send_message(&mut reply, &SendOptions::default())
        .await
        .unwrap();
    let got = alice.received(1).await;
    assert_eq!(got[0].payload["text"], "hi alice");
    assert_eq!(got[0].conversation_id, "C2Cbob");
    assert_eq!(alice.chat.get_total_unread_message_count(), 1);
}

#[tokio::test]
async fn group_of_three_with_at_mentions() {
    let server = TestServer::start().await;
    let mut alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let mut carol = Client::login(&server.ws_url(), "carol").await;

    let created = alice
        .chat
        .call(
            "group_open_http_svc.create_group",
            json!({"Type": "Work", "Name": "Team",
            "MemberList": [{"Member_Account": "bob"}, {"Member_Account": "carol"}]}),
        )
        .await
        .unwrap();
    let gid = created["GroupId"].as_str().unwrap().to_owned();
    assert!(gid.starts_with("@TGS#"));

    let mut seqs = Vec::new();
    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        let mut m = alice.chat.create_text_message(&gid, "GROUP", text).unwrap();
        alice
            .chat
            .send_message(&mut m, &SendOptions::default())
            .await
            .unwrap();
        assert_eq!(m.sequence, i as u64 + 1, "group sequences start at 1");
        seqs.push(m.sequence);
    }
    let mut at = alice
        .chat
        .create_text_at_message(
            &gid,
            "@bob @all look",
            &["bob".to_owned(), types::MSG_AT_ALL.to_owned()],
        )
        .unwrap();
    alice
        .chat
        .send_message(&mut at, &SendOptions::default())
        .await
        .unwrap();
    assert_eq!(at.sequence, 4);

    for c in [&mut bob, &mut carol] {
        let got = c.received(4).await;
        let texts: Vec<_> = got
            .iter()
            .map(|m| m.payload["text"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(texts, vec!["one", "two", "three", "@bob @all look"]);
        assert!(got
            .iter()
            .all(|m| m.conversation_id == format!("GROUP{gid}") && m.flow == "in"));
        assert_eq!(
            got[3].at_user_list,
            vec!["bob".to_owned(), "__kImSDK_MesssageAtALL__".to_owned()]
        );
        assert_eq!(
            got.iter().map(|m| m.sequence).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        let conv = c.chat.get_conversation_list().unwrap();
        let g = conv
            .iter()
            .find(|x| x.conversation_id == format!("GROUP{gid}"))
            .unwrap();
        assert_eq!(g.unread_count, 4);
        assert_eq!(
            g.last_message.as_ref().unwrap().message_for_show,
            "@bob @all look"
        );
    }
    let bob_conv = bob.chat.get_conversation_list().unwrap();
    assert_eq!(
        bob_conv[0].group_at_info_list[0].at_type_array,
        vec![types::CONV_AT_ALL_AT_ME]
    );
    let carol_conv = carol.chat.get_conversation_list().unwrap();
    assert_eq!(
        carol_conv[0].group_at_info_list[0].at_type_array,
        vec![types::CONV_AT_ALL]
    );

    // Bob replies; history pages for group conversations.
    let mut m = bob
        .chat
        .create_text_message(&gid, "GROUP", "from bob")
        .unwrap();
    bob.chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    assert_eq!(alice.received(1).await[0].payload["text"], "from bob");
    let page = carol
        .chat
        .get_message_list(&format!("GROUP{gid}"), None)
        .await
        .unwrap();
    assert!(page.is_completed);
    let texts: Vec<_> = page
        .message_list
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        texts,
        vec!["one", "two", "three", "@bob @all look", "from bob"]
    );

    // Stored unread survives a new login; reading clears it.
    let fresh = Client::login(&server.ws_url(), "carol").await;
    let g = fresh
        .chat
        .get_conversation_list()
        .unwrap()
        .into_iter()
        .find(|c| c.kind == "GROUP")
        .unwrap();
    assert_eq!(g.unread_count, 5);
    fresh
        .chat
        .set_message_read(&g.conversation_id)
        .await
        .unwrap();
    let again = Client::login(&server.ws_url(), "carol").await;
    let g = again
        .chat
        .get_conversation_list()
        .unwrap()
        .into_iter()
        .find(|c| c.kind == "GROUP")
        .unwrap();
    assert_eq!(g.unread_count, 0);
}

#[tokio::test]
async fn long_group_history_pages_back_to_the_first_message() {
    let server = TestServer::start().await;
    let alice = Client::login(&server.ws_url(), "alice").await;
    let created = alice
        .chat
        .call(
            "group_open_http_svc.create_group",
            json!({"Type": "Public", "Name": "Big", "GroupId": "big-1"}),
        )
        .await
        .unwrap();
    assert_eq!(created["GroupId"], "big-1");
    for i in 1..=40 {
        let mut m = alice
            .chat
            .create_text_message("big-1", "GROUP", &format!("g{i}"))
            .unwrap();
        alice
            .chat
            .send_message(&mut m, &SendOptions::default())
            .await
            .unwrap();
    }
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = alice
            .chat
            .get_message_list("GROUPbig-1", cursor.as_deref())
            .await
            .unwrap();
        pages += 1;
        let mut texts: Vec<String> = page
            .message_list
            .iter()
            .map(|m| m.payload["text"].as_str().unwrap().to_owned())
            .collect();
        texts.extend(all);
        all = texts;
        if page.is_completed {
            break;
        }
        cursor = Some(page.next_req_message_id);
    }
    assert_eq!(pages, 3, "15 + 15 + 10");
    assert_eq!(all, (1..=40).map(|i| format!("g{i}")).collect::<Vec<_>>());

    let whole = alice
        .chat
        .get_message_list_with_count("GROUPbig-1", None, 40)
        .await
        .unwrap();
    let texts: Vec<_> = whole
        .message_list
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, all, "all 40 in one request");
    assert!(whole.is_completed);
}

#[tokio::test]
async fn resending_the_same_message_is_idempotent() {
    let server = TestServer::start().await;
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let mut m = alice
        .chat
        .create_text_message("bob", "C2C", "once")
        .unwrap();
    alice
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    let first_time = m.time;

    // Same MsgRandom and MsgSeq again, as after a lost ack: the raw command.
    let raw = json!({"To_Account": "bob", "MsgSeq": m.client_sequence, "MsgRandom": m.random,
        "MsgClientTime": m.client_time, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "once"}}]});
    let again = alice
        .chat
        .call("openim.sendmsg", raw.clone())
        .await
        .unwrap();
    assert_eq!(again["MsgTime"], first_time);
    assert_eq!(again["MsgSeq"], m.client_sequence);
    let got = bob.received(1).await;
    assert_eq!(got[0].id, m.id);
    bob.assert_no_message(std::time::Duration::from_millis(300))
        .await;
    let history = bob.chat.get_message_list("C2Calice", None).await.unwrap();
    assert_eq!(history.message_list.len(), 1, "stored once");

    // Groups too: same Random + ClientSeq returns the first sequence.
    let g = alice
        .chat
        .call(
            "group_open_http_svc.create_group",
            json!({"Type": "Meeting", "Name": "M", "MemberList": [{"Member_Account": "bob"}]}),
        )
        .await
        .unwrap();
    let gid = g["GroupId"].as_str().unwrap();
    let body = json!({"GroupId": gid, "Random": 77, "ClientSeq": 5,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "g"}}]});
    let a = alice
        .chat
        .call("group_open_http_svc.send_group_msg", body.clone())
        .await
        .unwrap();
    let b = alice
        .chat
        .call("group_open_http_svc.send_group_msg", body)
        .await
        .unwrap();
    assert_eq!(a["MsgSeq"], 1);
    assert_eq!(b["MsgSeq"], 1);
    assert_eq!(a["MsgTime"], b["MsgTime"]);
}

#[tokio::test]
async fn send_options_online_only_and_exclusions() {
    let server = TestServer::start().await;
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    let mut quiet = alice
        .chat
        .create_text_message("bob", "C2C", "no unread")
        .unwrap();
    let opts = SendOptions {
        excluded_from_unread_count: true,
        ..Default::default()
    };
    alice.chat.send_message(&mut quiet, &opts).await.unwrap();
    let got = bob.received(1).await;
    assert!(got[0].is_excluded_from_unread_count);
    assert_eq!(bob.chat.get_total_unread_message_count(), 0);

    let mut hidden = alice
        .chat
        .create_text_message("bob", "C2C", "not last")
        .unwrap();
    let opts = SendOptions {
        excluded_from_last_message: true,
        ..Default::default()
    };
    alice.chat.send_message(&mut hidden, &opts).await.unwrap();
    bob.received(1).await;
    let c = bob.chat.get_conversation_list().unwrap();
    assert_eq!(
        c[0].last_message.as_ref().unwrap().message_for_show,
        "no unread"
    );

    let mut live = alice
        .chat
        .create_text_message("bob", "C2C", "online only")
        .unwrap();
    let opts = SendOptions {
        online_user_only: true,
        ..Default::default()
    };
    alice.chat.send_message(&mut live, &opts).await.unwrap();
    let got = bob.received(1).await;
    assert!(got[0].online_only_flag);
    let history = bob.chat.get_message_list("C2Calice", None).await.unwrap();
    let texts: Vec<_> = history
        .message_list
        .iter()
        .map(|m| m.payload["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        texts,
        vec!["no unread", "not last"],
        "online-only messages are not stored"
    );
}

#[tokio::test]
async fn errors_carry_tencent_codes() {
    let server = TestServer::start().await;
    let alice = Client::login(&server.ws_url(), "alice").await;
    let _bob = Client::login(&server.ws_url(), "bob").await;

    // Not a member of the group → 10007.
    let g = alice
        .chat
        .call(
            "group_open_http_svc.create_group",
            json!({"Type": "Private", "Name": "Closed"}),
        )
        .await
        .unwrap();
    let gid = g["GroupId"].as_str().unwrap().to_owned();
    let bob2 = Client::login(&server.ws_url(), "bob").await;
    let mut m = bob2
        .chat
        .create_text_message(&gid, "GROUP", "let me in")
        .unwrap();
    let err = bob2
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), 10007);
    assert_eq!(m.status, "fail");

    // Unknown group → 10010; unknown user → 20003; system conversation → 2106.
    assert_eq!(
        alice
            .send_text("no-such-group", "GROUP", "x")
            .await
            .unwrap_err()
            .code(),
        10010
    );
    assert_eq!(
        alice
            .send_text("nobody", "C2C", "x")
            .await
            .unwrap_err()
            .code(),
        20003
    );
    assert_eq!(
        alice
            .chat
            .create_text_message("@TIM#SYSTEM", "C2C", "x")
            .unwrap_err()
            .code(),
        2106
    );
    let raw = json!({"To_Account": "@TIM#SYSTEM", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]});
    assert_eq!(
        alice
            .chat
            .call("openim.sendmsg", raw)
            .await
            .unwrap_err()
            .code(),
        2106
    );

    // Body over 12 KB → 80002, before anything is sent or stored.
    let big = "x".repeat(12 * 1024 + 1);
    assert_eq!(
        alice
            .chat
            .create_text_message("bob", "C2C", &big)
            .unwrap_err()
            .code(),
        80002
    );
    let raw = json!({"To_Account": "bob", "MsgRandom": 2, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": big}}]});
    assert_eq!(
        alice
            .chat
            .call("openim.sendmsg", raw)
            .await
            .unwrap_err()
            .code(),
        80002
    );
    // More than 30 @ entries → 10004; @ in C2C is refused.
    let many: Vec<String> = (0..31).map(|i| format!("u{i}")).collect();
    assert_eq!(
        alice
            .chat
            .create_text_at_message(&gid, "hi", &many)
            .unwrap_err()
            .code(),
        10004
    );
    let raw = json!({"GroupId": gid, "Random": 3, "GroupAtInfo": many.iter().map(|u| json!({"GroupAtAllFlag": 0, "GroupAt_Account": u})).collect::<Vec<_>>(),
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]});
    assert_eq!(
        alice
            .chat
            .call("group_open_http_svc.send_group_msg", raw)
            .await
            .unwrap_err()
            .code(),
        10004
    );
    // A body that is not a list of elements.
    let raw = json!({"To_Account": "bob", "MsgRandom": 4, "MsgBody": {"Text": "x"}});
    assert_eq!(
        alice
            .chat
            .call("openim.sendmsg", raw)
            .await
            .unwrap_err()
            .code(),
        90007
    );
    let raw = json!({"To_Account": "bob", "MsgRandom": 4, "MsgBody": [{"MsgType": "TIMNopeElem", "MsgContent": {}}]});
    assert_eq!(
        alice
            .chat
            .call("openim.sendmsg", raw)
            .await
            .unwrap_err()
            .code(),
        90002
    );

    // None of the refused messages was stored.
    let hist = bob2.chat.get_message_list("C2Calice", None).await.unwrap();
    assert!(hist.message_list.is_empty());
}

#[tokio::test]
async fn sends_reach_the_senders_other_sessions_and_kick_ends_them() {
    let server = TestServer::start().await;
    let alice_laptop = Client::login(&server.ws_url(), "alice").await;
    let mut alice_phone = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    let mut m = alice_laptop
        .chat
        .create_text_message("bob", "C2C", "from the laptop")
        .unwrap();
    alice_laptop
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    let on_phone = alice_phone.received(1).await;
    assert_eq!(on_phone[0].id, m.id);
    assert_eq!(on_phone[0].flow, "out");
    assert_eq!(on_phone[0].conversation_id, "C2Cbob");
    assert_eq!(bob.received(1).await[0].id, m.id);

    // The admin kicks alice: every session hears why and becomes not ready.
    server
        .admin()
        .call("im_open_login_svc", "kick", &json!({"UserID": "alice"}))
        .await
        .unwrap();
    let reason = alice_phone
        .wait_for("KickedOut", |e| match e {
            Event::KickedOut(r) => Some(*r),
            _ => None,
        })
        .await;
    assert_eq!(reason, natter_sdk::KickReason::RestApiKick);
    alice_phone
        .wait_for("SdkNotReady", |e| {
            matches!(e, Event::SdkNotReady).then_some(())
        })
        .await;
    assert!(!alice_phone.chat.is_ready());
    let err = alice_phone
        .chat
        .create_text_message("bob", "C2C", "still here?")
        .unwrap_err();
    assert_eq!(err.code(), 2024);
    // The server drops the kicked sessions (it may take a moment to see the sockets go).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let online = server
            .admin()
            .call(
                "openim",
                "query_online_status",
                &json!({"To_Account": ["alice", "bob"]}),
            )
            .await
            .unwrap();
        assert_eq!(online["QueryResult"][1]["Status"], "Online");
        if online["QueryResult"][0]["Status"] == "Offline" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "alice still online after the kick"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn groups_and_profiles_through_the_sdk() {
    let server = TestServer::start().await;
    server
        .admin()
        .call(
            "im_open_login_svc",
            "account_import",
            &json!({"UserID": "carol", "Nick": "Carol", "FaceUrl": "https://example.com/c.png"}),
        )
        .await
        .unwrap();
    let alice = Client::login(&server.ws_url(), "alice").await;
    let _bob = Client::login(&server.ws_url(), "bob").await;

    let group_id = alice
        .chat
        .create_group(" Team ", "Work", &["bob".to_owned()])
        .await
        .unwrap();
    let added = alice
        .chat
        .add_group_member(&group_id, &["carol".into(), "bob".into(), "nobody".into()])
        .await
        .unwrap();
    assert_eq!(added, ["carol"], "bob is already in, nobody does not exist");
    let mut members = alice.chat.get_group_member_list(&group_id).await.unwrap();
    members.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    let roles: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m.user_id.as_str(), m.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        [("alice", "Owner"), ("bob", "Member"), ("carol", "Member")]
    );
    let e = alice.chat.create_group("", "Work", &[]).await.unwrap_err();
    assert_eq!(e.code(), 10004, "a group needs a name");

    let profiles = alice
        .chat
        .get_user_profile(&["carol".into(), "nobody".into()])
        .await
        .unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(
        (
            profiles[0].user_id.as_str(),
            profiles[0].nick.as_str(),
            profiles[0].avatar.as_str()
        ),
        ("carol", "Carol", "https://example.com/c.png")
    );
}
