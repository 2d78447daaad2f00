//! natter-cli against a real server: accounts, groups, send, listen, history.

#[path = "../../media/tests/common/mic.rs"]
mod mic;

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

/// The media contract scripts rely on: `send --image/--file/--video`
/// prints the sent message in the Web SDK shape with progress as JSON lines
/// on stderr; `download URL --out` is byte-exact; refusals exit non-zero
/// with the code (and the HTTP status for downloads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_send_and_download() {
    let (srv, _dir) = server().await;
    let url = srv.ws_url();
    let files = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(&url, &["account-import", "alice", "bob", "carol"]).await;
    assert!(ok, "{err}");
    let sig = |user: &'static str| {
        let url = url.clone();
        async move { run(&url, &["usersig", user]).await.1.trim().to_owned() }
    };
    let (alice, bob, carol) = (sig("alice").await, sig("bob").await, sig("carol").await);

    let png = files.path().join("photo.png");
    image::RgbImage::from_fn(900, 600, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&png)
        .unwrap();
    let send = |flag: &'static str, path: std::path::PathBuf| {
        let (url, alice) = (url.clone(), alice.clone());
        async move {
            let path = path.to_str().unwrap().to_owned();
            run(
                &url,
                &[
                    "send",
                    "--user",
                    "alice",
                    "--usersig",
                    &alice,
                    "--to",
                    "bob",
                    flag,
                    &path,
                ],
            )
            .await
        }
    };
    let check_progress = |stderr: &str| {
        let lines: Vec<Value> = stderr
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let fractions: Vec<f64> = lines
            .iter()
            .filter_map(|l| l["progress"].as_f64())
            .collect();
        assert!(!fractions.is_empty(), "progress lines on stderr: {stderr}");
        assert!(fractions.windows(2).all(|w| w[1] >= w[0]), "{fractions:?}");
        assert_eq!(*fractions.last().unwrap(), 1.0);
        assert!(lines
            .iter()
            .all(|l| l["bytes"].is_u64() && l["total"].is_u64()));
    };

    let (ok, out, err) = send("--image", png.clone()).await;
    assert!(ok, "{err}");
    check_progress(&err);
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(sent["type"], "TIMImageElem");
    let infos = sent["payload"]["imageInfoArray"].as_array().unwrap();
    assert_eq!(infos.len(), 3);
    for info in infos {
        assert!(info["url"].as_str().unwrap().starts_with("http"), "{info}");
        assert!(info["width"].as_u64().unwrap() > 0 && info["height"].as_u64().unwrap() > 0);
        assert!(info["size"].as_u64().unwrap() > 0);
    }
    assert_eq!(
        (infos[0]["width"].as_u64(), infos[0]["height"].as_u64()),
        (Some(900), Some(600))
    );

    let notes = files.path().join("notes.txt");
    std::fs::write(&notes, "minutes of the meeting\n").unwrap();
    let (ok, out, err) = send("--file", notes.clone()).await;
    assert!(ok, "{err}");
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(sent["payload"]["fileName"], "notes.txt");
    assert_eq!(sent["payload"]["fileSize"], 23);
    let file_url = sent["payload"]["fileUrl"].as_str().unwrap().to_owned();

    let video = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../media/tests/data/h264-320x240-2s.mp4");
    let (ok, out, err) = send("--video", video.clone()).await;
    assert!(ok, "{err}");
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    let p = &sent["payload"];
    assert_eq!(
        (
            p["videoSecond"].as_u64(),
            p["thumbWidth"].as_u64(),
            p["thumbHeight"].as_u64()
        ),
        (Some(2), Some(320), Some(240))
    );
    assert!(
        p["videoUrl"].as_str().unwrap().starts_with("http")
            && p["thumbUrl"].as_str().unwrap().starts_with("http")
    );

    let voice = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../media/tests/data/tone-2.5s.m4a");
    let (ok, out, err) = send("--audio", voice).await;
    assert!(ok, "{err}");
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(sent["type"], "TIMSoundElem");
    assert_eq!(sent["payload"]["second"], 2);
    assert!(sent["payload"]["url"].as_str().unwrap().starts_with("http"));

    // Bob downloads what Alice sent (the URL as the sender printed it works
    // for the uploader; Bob uses the one he received, here the same file).
    let (ok, out, err) = run(
        &url,
        &["history", "--user", "bob", "--usersig", &bob, "C2Calice"],
    )
    .await;
    assert!(ok, "{err}");
    let received: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bobs_file_url = received
        .iter()
        .find(|m| m["type"] == "TIMFileElem")
        .unwrap()["payload"]["fileUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        bobs_file_url, file_url,
        "each conversation gets its own token"
    );
    let got = files.path().join("got.txt");
    let (ok, out, err) = run(
        &url,
        &[
            "download",
            "--user",
            "bob",
            "--usersig",
            &bob,
            &bobs_file_url,
            "--out",
            got.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap()["bytes"],
        23
    );
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&notes).unwrap());

    // Carol has no token for it: HTTP 403 with Tencent's code, nothing written.
    let bare = bobs_file_url.split('?').next().unwrap();
    let stolen = files.path().join("stolen.txt");
    let (ok, _, err) = run(
        &url,
        &[
            "download",
            "--user",
            "carol",
            "--usersig",
            &carol,
            bare,
            "--out",
            stolen.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!ok);
    let report: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(
        (report["status"].as_u64(), report["code"].as_u64()),
        (Some(403), Some(70003)),
        "{err}"
    );
    assert!(!stolen.exists());

    // A text file is no image: refused before any upload, with 2252.
    let (ok, _, err) = send("--image", notes).await;
    assert!(!ok);
    let report: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
    assert_eq!(report["code"], 2252, "{err}");
}

/// `scripts/test-mic` in `dir`, and an ALSA config whose default device is
/// a sound card that does not exist (a machine with no microphone).
fn test_mic(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    mic::make(dir);
    let no_mic = mic::with_default(dir, "no-mic.conf", "{ type hw card 99 }");
    (dir.join("alsa.conf"), no_mic)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_a_voice_note_and_send_it() {
    let (srv, _dir) = server().await;
    let url = srv.ws_url();
    let files = tempfile::tempdir().unwrap();
    let (alsa_conf, no_mic) = test_mic(&files.path().join("mic"));
    let with_mic = |args: &[&str], conf: &std::path::Path| {
        let mut c = cli(&url);
        c.args(args).env("ALSA_CONFIG_PATH", conf);
        c
    };
    let output = |mut c: Command| async move {
        let out = c.output().await.unwrap();
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };

    // The devices, as JSON.
    let (ok, out, err) = output(with_mic(&["devices"], &alsa_conf)).await;
    assert!(ok, "{err}");
    let devices: Vec<Value> = serde_json::from_str(out.trim()).unwrap();
    let mic = devices
        .iter()
        .find(|d| d["id"] == "alsa:testmic")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(mic["name"], "Test microphone (speech, 16 kHz mono)");
    assert_eq!(mic["default"], false);

    // Record 2.5 s of the replayed speech.
    let note = files.path().join("note.m4a");
    let (ok, out, err) = output(with_mic(
        &[
            "record",
            "--seconds",
            "2.5",
            "--out",
            note.to_str().unwrap(),
            "--device",
            "testmic",
        ],
        &alsa_conf,
    ))
    .await;
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(printed["seconds"], 2.5);
    assert_eq!(printed["bytes"], std::fs::metadata(&note).unwrap().len());
    assert_eq!(printed["path"], note.to_str().unwrap());
    assert!(
        natter_media::probe_audio(&note)
            .unwrap()
            .duration_ms
            .abs_diff(2500)
            <= 1
    );

    // Send it: a sound message of 2 s that Bob downloads byte-exact.
    let (ok, _, err) = run(&url, &["account-import", "alice", "bob"]).await;
    assert!(ok, "{err}");
    let alice = run(&url, &["usersig", "alice"]).await.1.trim().to_owned();
    let bob = run(&url, &["usersig", "bob"]).await.1.trim().to_owned();
    let send_to_bob = |path: std::path::PathBuf| {
        let (url, alice) = (url.clone(), alice.clone());
        async move {
            let path = path.to_str().unwrap().to_owned();
            let args = [
                "send",
                "--user",
                "alice",
                "--usersig",
                &alice,
                "--to",
                "bob",
                "--audio",
                &path,
            ];
            run(&url, &args).await
        }
    };
    let (ok, out, err) = send_to_bob(note.clone()).await;
    assert!(ok, "{err}");
    let sent: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(sent["type"], "TIMSoundElem");
    assert_eq!(sent["payload"]["second"], 2);
    assert_eq!(sent["payload"]["size"], printed["bytes"]);
    let (ok, out, err) = run(
        &url,
        &["history", "--user", "bob", "--usersig", &bob, "C2Calice"],
    )
    .await;
    assert!(ok, "{err}");
    let received: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let got = files.path().join("got.m4a");
    let (ok, _, err) = run(
        &url,
        &[
            "download",
            "--user",
            "bob",
            "--usersig",
            &bob,
            received["payload"]["url"].as_str().unwrap(),
            "--out",
            got.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&note).unwrap());

    // A fifth of a second is a valid note (sent as 1 s, the SDK's minimum).
    let short = files.path().join("short.wav");
    let (ok, out, err) = output(with_mic(
        &[
            "record",
            "--seconds",
            "0.2",
            "--out",
            short.to_str().unwrap(),
            "--device",
            "alsa:testmic",
        ],
        &alsa_conf,
    ))
    .await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap()["seconds"],
        0.2
    );
    let (ok, out, err) = send_to_bob(short.clone()).await;
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(out.trim()).unwrap()["payload"]["second"],
        1
    );

    // No microphone, an unknown one, a format that is not ours: a clear
    // error with its code, promptly, and no file left behind.
    let never = files.path().join("never.m4a");
    let never_arg = never.to_str().unwrap().to_owned();
    for (args, conf, code, says) in [
        (
            vec!["record", "--seconds", "5", "--out", &never_arg],
            &no_mic,
            2300,
            "cannot open",
        ),
        (
            vec![
                "record",
                "--seconds",
                "5",
                "--out",
                &never_arg,
                "--device",
                "no-such-mic",
            ],
            &alsa_conf,
            2300,
            "no input device named \"no-such-mic\"",
        ),
        (
            vec![
                "record",
                "--seconds",
                "5",
                "--out",
                "note.ogg",
                "--device",
                "testmic",
            ],
            &alsa_conf,
            2400,
            "not an M4A, WAV or MP3",
        ),
    ] {
        let started = std::time::Instant::now();
        let (ok, out, err) = output(with_mic(&args, conf)).await;
        assert!(!ok && out.is_empty(), "{args:?}: {out}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} took {:?}",
            started.elapsed()
        );
        let report: Value = serde_json::from_str(err.lines().last().unwrap()).unwrap();
        assert_eq!(report["code"], code, "{args:?}: {err}");
        assert!(
            report["message"].as_str().unwrap().contains(says),
            "{args:?}: {err}"
        );
        assert!(!never.exists());
    }
}
