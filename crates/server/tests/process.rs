//! The `natter-server` binary as a process: it logs where it listens, stops
//! gracefully on SIGTERM, and loses no acknowledged message to SIGKILL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const APP: u64 = 1_400_000_000;
const KEY: &str = "process-test-key";

struct Proc {
    child: Child,
    addr: String,
}

fn spawn(data_dir: &Path) -> Proc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_natter-server"))
        .arg("serve")
        .env("NATTER_LISTEN", "127.0.0.1:0")
        .env("NATTER_DATA_DIR", data_dir)
        .env("NATTER_SECRET_KEY", KEY)
        .env("NATTER_SDKAPPID", APP.to_string())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a first line");
    let addr = line
        .trim()
        .strip_prefix("natter-server listening on ")
        .unwrap_or_else(|| panic!("unexpected: {line:?}"))
        .to_owned();
    Proc { child, addr }
}

fn url(addr: &str, cmd: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sig = natter_proto::usersig::generate(APP, KEY, "administrator", 3600, now);
    format!("http://{addr}/v4/{cmd}?sdkappid={APP}&identifier=administrator&usersig={sig}&random=1&contenttype=json")
}

async fn call(
    client: &reqwest::Client,
    addr: &str,
    cmd: &str,
    body: Value,
) -> Result<Value, reqwest::Error> {
    client
        .post(url(addr, cmd))
        .json(&body)
        .send()
        .await?
        .json()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn(dir.path());
    let client = reqwest::Client::new();
    call(
        &client,
        &server.addr,
        "im_open_login_svc/multiaccount_import",
        json!({"Accounts": ["alice", "bob"]}),
    )
    .await
    .unwrap();

    let acked: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut senders = Vec::new();
    for worker in 0..8u64 {
        let (client, addr, acked) = (client.clone(), server.addr.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for i in 0..10_000u64 {
                let random = worker * 1_000_000 + i;
                let body = json!({"From_Account": "alice", "To_Account": "bob", "MsgRandom": random, "MsgSeq": random + 1,
                    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": format!("m{random}")}}]});
                match call(&client, &addr, "openim/sendmsg", body).await {
                    Ok(r) if r["ErrorCode"] == 0 => acked.lock().unwrap().push(random),
                    _ => return,
                }
            }
        }));
    }
    // Let writes flow, then kill mid-stream.
    let start = Instant::now();
    while acked.lock().unwrap().len() < 300 && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for s in senders {
        let _ = s.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "enough traffic before the kill: {}",
        acked.len()
    );

    let restarted = spawn(dir.path());
    let mut stored = std::collections::HashSet::new();
    let mut key = String::new();
    loop {
        let r = call(
            &client,
            &restarted.addr,
            "openim/admin_getroammsg",
            json!({"Operator_Account": "bob", "Peer_Account": "alice",
            "MaxCnt": 100, "MinTime": 0, "MaxTime": u32::MAX, "LastMsgKey": key}),
        )
        .await
        .unwrap();
        assert_eq!(r["ErrorCode"], 0, "{r}");
        for m in r["MsgList"].as_array().unwrap() {
            stored.insert(m["MsgRandom"].as_u64().unwrap());
        }
        if r["Complete"] == 1 {
            break;
        }
        key = r["LastMsgKey"].as_str().unwrap().to_owned();
    }
    let lost: Vec<_> = acked.iter().filter(|r| !stored.contains(r)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost after SIGKILL, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    // The unread count matches what is stored (one per stored message).
    let u = call(
        &client,
        &restarted.addr,
        "openim/get_c2c_unread_msg_num",
        json!({"To_Account": "bob"}),
    )
    .await
    .unwrap();
    assert_eq!(
        u["AllC2CUnreadMsgNum"].as_u64().unwrap() as usize,
        stored.len()
    );
    let mut restarted = restarted;
    restarted.child.kill().unwrap();
}

#[test]
fn sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn(dir.path());
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            assert!(exit.success(), "clean exit on SIGTERM, got {exit:?}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The secret key it generated is not used: NATTER_SECRET_KEY was set. The database exists.
    assert!(dir.path().join("natter.db").exists());
}

#[test]
fn with_no_settings_it_generates_and_keeps_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_natter-server"))
            .args(["usersig", "alice"])
            .env("NATTER_DATA_DIR", dir.path())
            .env_remove("NATTER_SECRET_KEY")
            .output()
            .expect("runs")
    };
    let first = run();
    assert!(first.status.success());
    let key = std::fs::read_to_string(dir.path().join("secret.key")).unwrap();
    let sig = String::from_utf8(first.stdout).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    natter_proto::usersig::verify(sig.trim(), APP, key.trim(), "alice", now)
        .expect("signed with the saved key");
    run();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret.key")).unwrap(),
        key,
        "kept, not regenerated"
    );
}
