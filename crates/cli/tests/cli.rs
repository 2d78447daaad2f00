//! natter-cli against a real server: accounts, groups, send, listen, history.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const KEY: &str = "cli-test-key";

async fn server() -> (natter_server::RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = natter_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        sdkappid: 1_400_000_000,
        secret_key: KEY.into(),
        admin: "administrator".into(),
        public_url: None,
        limits: Default::default(),
    };
    (natter_server::start(config).await.unwrap(), dir)
}

fn cli(server: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_natter-cli"));
    c.env("NATTER_SERVER", server)
        .env("NATTER_SECRET_KEY", KEY)
        .env_remove("NATTER_USER");
    c
}

async fn run(server: &str, args: &[&str]) -> (bool, String, String) {
    let out = cli(server).args(args).output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_chat_end_to_end() {
    let (srv, _dir) = server().await;
    let url = srv.ws_url();

    let (ok, out, err) = run(
        &url,
        &[
            "register",
            "--user",
            "alice",
            "--password",
            "alice-password",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let reg: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(reg["UserSig"].as_str().is_some_and(|s| !s.is_empty()));
    let (ok, out, _) = run(&url, &["usersig", "bob"]).await;
    assert!(ok);
    let bob_sig = out.trim().to_owned();
    let (ok, _, err) = run(&url, &["account-import", "bob", "carol"]).await;
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        &url,
        &[
            "group-create",
            "--name",
            "Ops",
            "--owner",
            "alice",
            "--member",
            "bob",
            "--group-id",
            "ops",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap()["GroupId"],
        "ops"
    );

    // bob listens for two messages, printing one JSON line each.
    let mut listener = cli(&url)
        .args([
            "listen",
            "--user",
            "bob",
            "--usersig",
            &bob_sig,
            "--count",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = BufReader::new(listener.stderr.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), ready.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.contains("listening"), "{first}");

    let (ok, out, err) = run(
        &url,
        &[
            "send",
            "--user",
            "alice",
            "--password",
            "alice-password",
            "--to",
            "bob",
            "hello bob",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(sent["status"], "success");
    let (ok, _, err) = run(
        &url,
        &[
            "send",
            "--user",
            "alice",
            "--password",
            "alice-password",
            "--group",
            "ops",
            "--at",
            "bob",
            "--at-all",
            "@bob @all",
        ],
    )
    .await;
    assert!(ok, "{err}");

    let output = tokio::time::timeout(Duration::from_secs(10), listener.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["ID"], sent["ID"]);
    assert_eq!(lines[0]["payload"]["text"], "hello bob");
    assert_eq!(lines[1]["conversationID"], "GROUPops");
    assert_eq!(
        lines[1]["atUserList"],
        serde_json::json!(["bob", "__kImSDK_MesssageAtALL__"])
    );

    let (ok, out, _) = run(
        &url,
        &[
            "history",
            "--user",
            "bob",
            "--usersig",
            &bob_sig,
            "C2Calice",
        ],
    )
    .await;
    assert!(ok);
    assert_eq!(out.lines().count(), 1);
    let (ok, out, _) = run(
        &url,
        &["conversations", "--user", "bob", "--usersig", &bob_sig],
    )
    .await;
    assert!(ok);
    let convs: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(convs.as_array().unwrap().len(), 2);

    // Errors come out as {code, message} on stderr with a failing exit status.
    let (ok, _, err) = run(
        &url,
        &[
            "send",
            "--user",
            "alice",
            "--password",
            "wrong-password",
            "--to",
            "bob",
            "x",
        ],
    )
    .await;
    assert!(!ok);
    let e: Value = serde_json::from_str(err.trim().lines().last().unwrap()).unwrap();
    assert_eq!(e["code"], 70003);
    let (ok, _, err) = run(
        &url,
        &[
            "send",
            "--user",
            "bob",
            "--usersig",
            &bob_sig,
            "--group",
            "nope",
            "x",
        ],
    )
    .await;
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(err.trim().lines().last().unwrap()).unwrap()["code"],
        10010
    );
}
