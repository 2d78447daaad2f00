//! The wire, byte for byte: raw WebSocket frames on `/binfo` and `/info`,
//! and raw HTTP on `/v4/...`, including malformed input and bad UserSigs.

use futures_util::SinkExt;
use natter_system_tests::raw::{admin_query, login_frame, next, open, rest, send};
use natter_system_tests::{now, sig, TestServer, ADMIN, SDKAPPID, SECRET};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Ws;

#[tokio::test]
async fn binary_login_echoes_servcmd_and_seq_and_returns_session_keys() {
    let server = TestServer::start().await;
    let mut ws = open(&server, "/binfo").await;
    send(&mut ws, true, json!({"head": {"servcmd": "heartbeat.alive", "seq": 7, "identifier": "alice", "usersig": "x"}, "body": {}})).await;
    let alive = next(&mut ws, true).await;
    assert_eq!(
        alive["head"],
        json!({"servcmd": "heartbeat.alive", "seq": 7}),
        "alive answered before login"
    );
    assert_eq!(alive["body"]["ErrorCode"], 0);

    send(&mut ws, true, login_frame("alice", &sig("alice"), 8)).await;
    let r = next(&mut ws, true).await;
    assert_eq!(
        r["head"],
        json!({"servcmd": "im_open_status.wslogin", "seq": 8})
    );
    let b = &r["body"];
    assert_eq!(b["ErrorCode"], 0);
    assert!(b["A2Key"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(
        b["TinyId"]
            .as_str()
            .is_some_and(|s| s.parse::<u64>().is_ok()),
        "TinyId is a string of digits"
    );
    assert!(b["InstId"].as_u64().unwrap() > 0);
    assert!(b["TimeStamp"].as_u64().unwrap().abs_diff(now()) < 5);

    // The sticky-loop commands answer with the fields that end paging.
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "sns.black_list_get", "seq": 9}, "body": {"StartIndex": 0}}),
    )
    .await;
    assert_eq!(next(&mut ws, true).await["body"]["StartIndex"], 0);
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "recentcontact.page_get", "seq": 10}, "body": {}}),
    )
    .await;
    assert_eq!(next(&mut ws, true).await["body"]["CompleteFlag"], 1);
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "openim.getmsg", "seq": 11}, "body": {"Cookie": ""}}),
    )
    .await;
    let sync = next(&mut ws, true).await;
    assert!(sync["body"]["Cookie"]
        .as_str()
        .is_some_and(|c| !c.is_empty()));
    assert_eq!(sync["body"]["SyncFlag"], 2);
    // Unknown commands get a bare success rather than silence.
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "some_svc.something_new", "seq": 12}, "body": {}}),
    )
    .await;
    let unknown = next(&mut ws, true).await;
    assert_eq!(unknown["head"]["seq"], 12);
    assert_eq!(unknown["body"]["ErrorCode"], 0);
    // A push ack gets no reply: the next reply is for seq 13.
    send(&mut ws, true, json!({"head": {"servcmd": "openim.ws_msg_push_ack", "seq": 12}, "body": {"SessionData": "x"}})).await;
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "heartbeat.alive", "seq": 13}, "body": {}}),
    )
    .await;
    assert_eq!(next(&mut ws, true).await["head"]["seq"], 13);
}

#[tokio::test]
async fn text_path_speaks_text_and_pushes_inline() {
    let server = TestServer::start().await;
    let mut bob = open(&server, "/info").await;
    send(&mut bob, false, login_frame("bob", &sig("bob"), 1)).await;
    assert_eq!(next(&mut bob, false).await["body"]["ErrorCode"], 0);

    let mut alice = open(&server, "/binfo").await;
    send(&mut alice, true, login_frame("alice", &sig("alice"), 1)).await;
    let login = next(&mut alice, true).await;
    let (a2, tiny) = (
        login["body"]["A2Key"].clone(),
        login["body"]["TinyId"].clone(),
    );
    let body = json!({"From_Account": "alice", "To_Account": "bob", "MsgSeq": 3417210001u64, "MsgRandom": 56589646,
        "MsgClientTime": 1795753041, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello-bob"}}]});
    send(&mut alice, true, json!({"head": {"servcmd": "openim.sendmsg", "seq": 2, "a2": a2, "tinyid": tiny}, "body": body})).await;
    let ack = next(&mut alice, true).await;
    assert_eq!(ack["body"]["ErrorCode"], 0);
    assert_eq!(ack["body"]["MsgSeq"], 3417210001u64);
    let time = ack["body"]["MsgTime"].as_u64().unwrap();
    assert_eq!(ack["body"]["MsgKey"], format!("3417210001_56589646_{time}"));

    let push = next(&mut bob, false).await;
    assert_eq!(push["head"]["servcmd"], "im_open_push.msg_push");
    assert!(push["head"].get("seq").is_none());
    let item = &push["body"]["EventArray"][0]["C2cMsgArray"][0];
    assert_eq!(push["body"]["EventArray"][0]["Event"], 9);
    assert_eq!(item["From_Account"], "alice");
    assert_eq!(item["To_Account"], "bob");
    assert_eq!(item["MsgRandom"], 56589646);
    assert_eq!(item["MsgClientTime"], 1795753041);
    assert_eq!(item["TinyId"], tiny);
    assert_eq!(item["MsgBody"][0]["MsgContent"]["Text"], "hello-bob");
}

#[tokio::test]
async fn a2_authenticates_frames_before_the_relogin() {
    let server = TestServer::start().await;
    let mut first = open(&server, "/binfo").await;
    send(&mut first, true, login_frame("alice", &sig("alice"), 1)).await;
    let login = next(&mut first, true).await;
    let (a2, tiny) = (
        login["body"]["A2Key"].clone(),
        login["body"]["TinyId"].clone(),
    );
    drop(first);

    // A new socket: a pending request re-sent with its a2 before wslogin, then the a2 re-login.
    let mut ws = open(&server, "/binfo").await;
    send(&mut ws, true, json!({"head": {"servcmd": "recentcontact.page_get", "seq": 5, "a2": a2, "tinyid": tiny}, "body": {}})).await;
    assert_eq!(next(&mut ws, true).await["body"]["ErrorCode"], 0);
    send(&mut ws, true, json!({"head": {"servcmd": "im_open_status.wslogin", "seq": 6, "a2": a2, "tinyid": tiny}, "body": {}})).await;
    let relogin = next(&mut ws, true).await;
    assert_eq!(relogin["body"]["ErrorCode"], 0);
    assert_eq!(relogin["body"]["TinyId"], tiny);

    // A wrong tinyid or a forged a2 is refused; a command with no credentials too.
    send(&mut ws, true, json!({"head": {"servcmd": "im_open_status.wslogin", "seq": 7, "a2": a2, "tinyid": "1"}, "body": {}})).await;
    assert_eq!(next(&mut ws, true).await["body"]["ErrorCode"], 70003);
    let mut other = open(&server, "/binfo").await;
    send(
        &mut other,
        true,
        json!({"head": {"servcmd": "openim.getmsg", "seq": 1}, "body": {}}),
    )
    .await;
    let r = next(&mut other, true).await;
    assert_eq!(r["body"]["ErrorCode"], 60004);
    assert_eq!(r["body"]["ActionStatus"], "FAIL");
}

#[tokio::test]
async fn bad_usersigs_get_their_codes() {
    let server = TestServer::start().await;
    let mut ws = open(&server, "/binfo").await;
    let cases = [
        (
            natter_proto::usersig::generate(SDKAPPID, SECRET, "alice", 10, now() - 100),
            "alice",
            70001,
        ),
        (
            natter_proto::usersig::generate(SDKAPPID, "wrong-key", "alice", 86_400, now()),
            "alice",
            70003,
        ),
        ("garbage!".to_owned(), "alice", 70003),
        (sig("bob"), "alice", 70013),
        (
            natter_proto::usersig::generate(1_400_000_001, SECRET, "alice", 86_400, now()),
            "alice",
            70014,
        ),
        (String::new(), "alice", 70002),
    ];
    for (i, (usersig, user, code)) in cases.iter().enumerate() {
        send(&mut ws, true, login_frame(user, usersig, i as u64)).await;
        let r = next(&mut ws, true).await;
        assert_eq!(r["head"]["seq"], i as u64);
        assert_eq!(r["body"]["ErrorCode"], *code, "case {i}");
        assert!(r["body"].get("A2Key").is_none());
    }
}

#[tokio::test]
async fn malformed_and_oversized_frames() {
    let server = TestServer::start().await;
    let mut ws = open(&server, "/binfo").await;
    ws.send(Ws::Binary(b"{not json".to_vec().into()))
        .await
        .unwrap();
    let r = next(&mut ws, true).await;
    assert_eq!(r["body"]["ErrorCode"], 90001);
    // The connection survives a bad frame.
    send(&mut ws, true, login_frame("alice", &sig("alice"), 2)).await;
    assert_eq!(next(&mut ws, true).await["body"]["ErrorCode"], 0);
    let big = "x".repeat(13 * 1024);
    let body = json!({"To_Account": "alice", "MsgRandom": 1, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": big}}]});
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "openim.sendmsg", "seq": 3}, "body": body}),
    )
    .await;
    assert_eq!(next(&mut ws, true).await["body"]["ErrorCode"], 80002);
    send(
        &mut ws,
        true,
        json!({"head": {"servcmd": "openim.sendmsg", "seq": 4}, "body": {"To_Account": 5}}),
    )
    .await;
    assert_eq!(next(&mut ws, true).await["body"]["ErrorCode"], 90010);
}

#[tokio::test]
async fn rest_always_answers_200_with_tencent_codes() {
    let server = TestServer::start().await;
    let q = admin_query();
    // No Content-Type header at all, like Tencent's Python client.
    let (s, r) = rest(
        &server,
        "/v4/im_open_login_svc/account_import",
        &q,
        r#"{"UserID":"alice","Nick":"Alice"}"#,
        None,
    )
    .await;
    assert_eq!(
        (s, r["ActionStatus"].as_str(), r["ErrorCode"].as_u64()),
        (200, Some("OK"), Some(0))
    );
    assert_eq!(r["ErrorInfo"], "");
    let (_, r) = rest(
        &server,
        "/v4/im_open_login_svc/account_import",
        &q,
        r#"{"UserID":"bob"}"#,
        Some("text/plain"),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0);

    let send = r#"{"From_Account":"alice","To_Account":"bob","MsgRandom":123,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}"#;
    let (_, r) = rest(
        &server,
        "/v4/openim/sendmsg",
        &q,
        send,
        Some("application/json"),
    )
    .await;
    assert_eq!(r["ErrorCode"], 0);
    let time = r["MsgTime"].as_u64().unwrap();
    assert!(r["MsgKey"]
        .as_str()
        .unwrap()
        .ends_with(&format!("_123_{time}")));

    let cases: Vec<(&str, String, &str, u64)> = vec![
        ("/v4/openim/sendmsg", q.clone(), "{oops", 90001),
        ("/v4/openim/sendmsg", q.clone(), "[1,2]", 90001),
        (
            "/v4/openim/sendmsg",
            q.clone(),
            r#"{"To_Account":"nobody","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
            90012,
        ),
        (
            "/v4/openim/sendmsg",
            q.clone(),
            r#"{"To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}"#,
            90005,
        ),
        ("/v4/openim/no_such_command", q.clone(), "{}", 60002),
        (
            "/v4/openim/sendmsg",
            format!("identifier={ADMIN}&usersig={}", sig(ADMIN)),
            "{}",
            60012,
        ),
        (
            "/v4/openim/sendmsg",
            format!("sdkappid=1&identifier={ADMIN}&usersig={}", sig(ADMIN)),
            "{}",
            60006,
        ),
        (
            "/v4/openim/sendmsg",
            format!("sdkappid={SDKAPPID}&identifier={ADMIN}&usersig=bad"),
            "{}",
            70003,
        ),
        (
            "/v4/openim/sendmsg",
            format!(
                "sdkappid={SDKAPPID}&identifier=alice&usersig={}",
                sig("alice")
            ),
            "{}",
            60010,
        ),
        (
            "/v4/openim/sendmsg",
            format!(
                "sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={}",
                sig("alice")
            ),
            "{}",
            70013,
        ),
    ];
    for (path, query, body, code) in cases {
        let (s, r) = rest(&server, path, &query, body, None).await;
        assert_eq!(s, 200, "{path} {body}");
        assert_eq!(r["ActionStatus"], "FAIL", "{path} {body}");
        assert_eq!(r["ErrorCode"], code, "{path} {query} {body}: {r}");
        assert!(r["ErrorInfo"].as_str().is_some_and(|i| !i.is_empty()));
    }
}

#[tokio::test]
async fn rest_accounts_groups_history_and_unread() {
    let server = TestServer::start().await;
    let admin = server.admin();
    admin
        .call(
            "im_open_login_svc",
            "multiaccount_import",
            &json!({"Accounts": ["alice", "bob", "carol", ""]}),
        )
        .await
        .map(|r| {
            assert_eq!(r["FailAccounts"], json!([""]));
        })
        .unwrap();
    let r = admin
        .call(
            "im_open_login_svc",
            "account_check",
            &json!({"CheckItem": [{"UserID": "alice"}, {"UserID": "zed"}]}),
        )
        .await
        .unwrap();
    assert_eq!(r["ResultItem"][0]["AccountStatus"], "Imported");
    assert_eq!(r["ResultItem"][1]["AccountStatus"], "NotImported");

    for i in 0..5 {
        admin
            .call(
                "openim",
                "sendmsg",
                &json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": i,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("t{i}")}}]}),
            )
            .await
            .unwrap();
    }
    let u = admin
        .call(
            "openim",
            "get_c2c_unread_msg_num",
            &json!({"To_Account": "bob", "Peer_Account": ["alice"]}),
        )
        .await
        .unwrap();
    assert_eq!(u["AllC2CUnreadMsgNum"], 5);
    assert_eq!(u["C2CUnreadMsgNumList"][0]["C2CUnreadMsgNum"], 5);
    admin
        .call(
            "openim",
            "admin_set_msg_read",
            &json!({"Report_Account": "bob", "Peer_Account": "alice"}),
        )
        .await
        .unwrap();
    let u = admin
        .call(
            "openim",
            "get_c2c_unread_msg_num",
            &json!({"To_Account": "bob"}),
        )
        .await
        .unwrap();
    assert_eq!(u["AllC2CUnreadMsgNum"], 0);

    let h = admin
        .call(
            "openim",
            "admin_getroammsg",
            &json!({"Operator_Account": "alice", "Peer_Account": "bob",
        "MaxCnt": 3, "MinTime": 0, "MaxTime": now() + 10}),
        )
        .await
        .unwrap();
    assert_eq!(h["Complete"], 0);
    let texts: Vec<_> = h["MsgList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["MsgBody"][0]["MsgContent"]["Text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("t2"), json!("t3"), json!("t4")]);
    let h2 = admin
        .call(
            "openim",
            "admin_getroammsg",
            &json!({"From_Account": "alice", "To_Account": "bob",
        "MaxCnt": 3, "MinTime": 0, "MaxTime": now() + 10, "LastMsgKey": h["LastMsgKey"]}),
        )
        .await
        .unwrap();
    assert_eq!(h2["Complete"], 1);
    assert_eq!(h2["MsgCnt"], 2);

    let g = admin
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Owner_Account": "alice", "Type": "Public",
        "Name": "Pub", "MemberList": [{"Member_Account": "bob"}]}),
        )
        .await
        .unwrap();
    let gid = g["GroupId"].as_str().unwrap().to_owned();
    let add = admin.call("group_open_http_svc", "add_group_member", &json!({"GroupId": gid,
        "MemberList": [{"Member_Account": "carol"}, {"Member_Account": "bob"}, {"Member_Account": "ghost"}]})).await.unwrap();
    assert_eq!(
        add["MemberList"],
        json!([{"Member_Account": "carol", "Result": 1}, {"Member_Account": "bob", "Result": 2}, {"Member_Account": "ghost", "Result": 0}])
    );
    let info = admin
        .call(
            "group_open_http_svc",
            "get_group_info",
            &json!({"GroupIdList": [gid, "nope"]}),
        )
        .await
        .unwrap();
    assert_eq!(info["GroupInfo"][0]["MemberNum"], 3);
    assert_eq!(info["GroupInfo"][0]["Type"], "Public");
    assert_eq!(info["GroupInfo"][1]["ErrorCode"], 10010);
    for i in 0..3 {
        let r = admin
            .call(
                "group_open_http_svc",
                "send_group_msg",
                &json!({"GroupId": gid, "From_Account": "carol", "Random": i,
            "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("g{i}")}}]}),
            )
            .await
            .unwrap();
        assert_eq!(r["MsgSeq"], i + 1);
    }
    let simple = admin
        .call(
            "group_open_http_svc",
            "group_msg_get_simple",
            &json!({"GroupId": gid, "ReqMsgNumber": 2}),
        )
        .await
        .unwrap();
    assert_eq!(simple["IsFinished"], 0);
    assert_eq!(simple["RspMsgList"][0]["MsgSeq"], 3);
    assert_eq!(simple["RspMsgList"][0]["MsgPriority"], 2);
    let simple = admin
        .call(
            "group_open_http_svc",
            "group_msg_get_simple",
            &json!({"GroupId": gid, "ReqMsgNumber": 20, "ReqMsgSeq": 1}),
        )
        .await
        .unwrap();
    assert_eq!(simple["IsFinished"], 1);
    let members = admin
        .call(
            "group_open_http_svc",
            "get_group_member_info",
            &json!({"GroupId": gid}),
        )
        .await
        .unwrap();
    assert_eq!(members["MemberNum"], 3);
    let joined = admin
        .call(
            "group_open_http_svc",
            "get_joined_group_list",
            &json!({"Member_Account": "carol"}),
        )
        .await
        .unwrap();
    assert_eq!(joined["TotalCount"], 1);
    admin
        .call(
            "group_open_http_svc",
            "delete_group_member",
            &json!({"GroupId": gid, "MemberToDel_Account": ["carol"]}),
        )
        .await
        .unwrap();
    let members = admin
        .call(
            "group_open_http_svc",
            "get_group_member_info",
            &json!({"GroupId": gid}),
        )
        .await
        .unwrap();
    assert_eq!(members["MemberNum"], 2);
    let all = admin
        .call("group_open_http_svc", "get_appid_group_list", &json!({}))
        .await
        .unwrap();
    assert_eq!(all["GroupIdList"], json!([{"GroupId": gid}]));
    let dup = admin
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Type": "Public", "Name": "x", "GroupId": "dup"}),
        )
        .await;
    assert!(dup.is_ok());
    let dup = admin
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Type": "Public", "Name": "x", "GroupId": "dup"}),
        )
        .await;
    assert_eq!(dup.unwrap_err().code(), 10021);
    let bad = admin
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Type": "AVChatRoom", "Name": "x"}),
        )
        .await;
    assert_eq!(bad.unwrap_err().code(), 10004);
    admin
        .call(
            "group_open_http_svc",
            "destroy_group",
            &json!({"GroupId": gid}),
        )
        .await
        .unwrap();
    let gone = admin
        .call(
            "group_open_http_svc",
            "get_group_member_info",
            &json!({"GroupId": gid}),
        )
        .await;
    assert_eq!(gone.unwrap_err().code(), 10010);
    let batch = admin
        .call(
            "openim",
            "batchsendmsg",
            &json!({"From_Account": "alice", "To_Account": ["bob", "carol", "ghost"],
        "MsgRandom": 5, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "all"}}]}),
        )
        .await
        .unwrap();
    assert_eq!(
        batch["ErrorList"],
        json!([{"To_Account": "ghost", "ErrorCode": 90012}])
    );
    let online = admin
        .call(
            "openim",
            "query_online_status",
            &json!({"To_Account": ["alice"]}),
        )
        .await
        .unwrap();
    assert_eq!(online["QueryResult"][0]["Status"], "Offline");
}

#[tokio::test]
async fn password_accounts_hand_out_usersigs() {
    let server = TestServer::start().await;
    let url = server.http_url();
    let issued = natter_sdk::account::register(&url, "dave", "s3cret-pass", "Dave")
        .await
        .unwrap();
    assert_eq!(issued.sdkappid, SDKAPPID);
    natter_proto::usersig::verify(&issued.user_sig, SDKAPPID, SECRET, "dave", now()).unwrap();
    let again = natter_sdk::account::register(&url, "dave", "other-pass", "")
        .await
        .unwrap_err();
    assert_eq!(again.code(), 70402);
    let short = natter_sdk::account::register(&url, "erin", "short", "")
        .await
        .unwrap_err();
    assert_eq!(short.code(), 70402);
    let ok = natter_sdk::account::login_with_password(&url, "dave", "s3cret-pass")
        .await
        .unwrap();
    assert_eq!(ok.user_id, "dave");
    let bad = natter_sdk::account::login_with_password(&url, "dave", "wrong-pass")
        .await
        .unwrap_err();
    assert_eq!(bad.code(), 70003);
    let nobody = natter_sdk::account::login_with_password(&url, "nobody", "whatever1")
        .await
        .unwrap_err();
    assert_eq!(nobody.code(), 70003);
    // Guessing is throttled: after 5 wrong passwords even the right one waits (70050).
    for _ in 0..4 {
        let e = natter_sdk::account::login_with_password(&url, "dave", "guess-guess")
            .await
            .unwrap_err();
        assert_eq!(e.code(), 70003);
    }
    let locked = natter_sdk::account::login_with_password(&url, "dave", "s3cret-pass")
        .await
        .unwrap_err();
    assert_eq!(locked.code(), 70050);
    // The issued UserSig logs in over WebSocket.
    let chat = natter_sdk::Chat::create(natter_sdk::ChatOptions::new(server.ws_url(), SDKAPPID));
    chat.login("dave", &ok.user_sig).await.unwrap();
}
