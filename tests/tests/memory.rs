//! A client that asks and never reads cannot grow the server without bound.
//!
//! Its own test binary, so that no other test's allocations share the
//! process whose resident memory it reads (the server runs in-process).

use std::time::Duration;

use natter_server::config::Limits;
use natter_system_tests::raw::{logged_in, next, request, send};
use natter_system_tests::TestServer;
use serde_json::json;

/// Resident set size of this process, from `/proc/self/status`.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in kB");
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_history_replies_stay_within_the_outbox_budget() {
    const BUDGET: usize = 4 * 1024 * 1024;
    let server = TestServer::start_with(Limits {
        outbound_queue_bytes: BUDGET,
        ..Limits::default()
    })
    .await;
    server.import(&["alice", "bob"]).await;
    let admin = server.admin();
    // 100 messages of ~10 KB: one history page of them is ~1 MB of JSON.
    let text = "m".repeat(10 * 1024);
    for i in 0..100 {
        admin
            .call(
                "openim",
                "sendmsg",
                &json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": i, "MsgSeq": i,
                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]}),
            )
            .await
            .unwrap();
    }
    let (mut bob, _) = logged_in(&server, "bob").await;
    let before = rss_bytes();
    // 250 pages asked for (~275 MB of replies), none read.
    const ASKED: u64 = 250;
    for seq in 0..ASKED {
        send(
            &mut bob,
            true,
            request(
                "openim.getroammsg",
                100 + seq,
                json!({"Peer_Account": "alice", "MaxCnt": 100}),
            ),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let grown = rss_bytes().saturating_sub(before);
    // The budget, one reply being encoded, socket buffers and allocator slack.
    assert!(
        grown < 48 * 1024 * 1024,
        "the server grew by {} MiB for replies nobody read",
        grown / (1024 * 1024)
    );
    // Nothing was dropped: reading now brings every reply, in order.
    for seq in 0..ASKED {
        let reply = next(&mut bob, true).await;
        assert_eq!(reply["head"]["seq"], 100 + seq);
        assert_eq!(reply["body"]["MsgCnt"], 100);
    }
}
