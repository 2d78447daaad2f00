//! Tencent's unmodified official Web SDK (`@tencentcloud/chat` 3.6.6, run
//! under Node by `official-sdk/client.js`) as a second client of
//! natter-server, chatting with natter-sdk users.
//!
//! Needs `node` and `npm ci` in `tests/official-sdk` (`scripts/setup` does it).

#[path = "../../crates/media/tests/common/mic.rs"]
mod mic;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use natter_sdk::{types, SendOptions};
use natter_system_tests::{sig, Client, Proxy, TestServer, SDKAPPID};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// The official SDK reconnects on a ~3 s cadence with backoff; give it room on a loaded machine.
const SDK_WAIT: Duration = Duration::from_secs(60);

struct OfficialClient {
    name: String,
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<Value>,
    /// Events seen while waiting for something else.
    backlog: VecDeque<Value>,
    /// Received messages not yet asked for.
    inbox: VecDeque<Value>,
    next_id: u64,
}

impl OfficialClient {
    async fn spawn(name: &str, ws_url: &str) -> OfficialClient {
        Self::spawn_in_mode(name, ws_url, false).await
    }

    /// `browser`: the SDK is loaded with browser globals (needed for video).
    async fn spawn_in_mode(name: &str, ws_url: &str, browser: bool) -> OfficialClient {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("official-sdk");
        assert!(
            dir.join("node_modules/@tencentcloud/chat").exists(),
            "the official SDK is not installed: run scripts/setup (npm ci in tests/official-sdk)"
        );
        let mut child = Command::new("node")
            .arg("client.js")
            .current_dir(&dir)
            .env("NATTER_WS", ws_url)
            .env("NATTER_SDKAPPID", SDKAPPID.to_string())
            .env("NATTER_BROWSER_MODE", if browser { "1" } else { "0" })
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts (is Node.js installed?)");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                // The SDK prints its own log lines; ours are JSON objects.
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v.is_object() {
                        let _ = tx.send(v);
                    }
                }
            }
        });
        let mut c = OfficialClient {
            name: name.to_owned(),
            child,
            stdin,
            lines,
            backlog: VecDeque::new(),
            inbox: VecDeque::new(),
            next_id: 1,
        };
        c.event("started", |_| true).await;
        c
    }

    async fn recv(&mut self, what: &str) -> Value {
        match tokio::time::timeout(SDK_WAIT, self.lines.recv()).await {
            Ok(Some(v)) => v,
            Ok(None) => panic!("{}: node exited while waiting for {what}", self.name),
            Err(_) => panic!(
                "{}: timed out waiting for {what}; other output: {:?}",
                self.name, self.backlog
            ),
        }
    }

    /// Runs a command and returns its `data`, or panics with the SDK's error.
    async fn call(&mut self, cmd: Value) -> Value {
        match self.try_call(cmd.clone()).await {
            Ok(v) => v,
            Err((code, msg)) => panic!("{}: {cmd} failed: {code} {msg}", self.name),
        }
    }

    async fn try_call(&mut self, mut cmd: Value) -> Result<Value, (Value, String)> {
        let id = self.next_id;
        self.next_id += 1;
        cmd["id"] = json!(id);
        let line = format!("{cmd}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to node");
        loop {
            let v = self.recv(&format!("reply to {cmd}")).await;
            if v.get("reply") == Some(&json!(id)) {
                return if v["ok"] == true {
                    Ok(v["data"].clone())
                } else {
                    Err((
                        v["code"].clone(),
                        v["message"].as_str().unwrap_or_default().to_owned(),
                    ))
                };
            }
            self.backlog.push_back(v);
        }
    }

    /// Waits for the event `name` whose data satisfies `pred`.
    async fn event(&mut self, name: &str, pred: impl FnMut(&Value) -> bool) -> Value {
        self.event_described(name, name, pred).await
    }

    async fn event_described(
        &mut self,
        name: &str,
        what: &str,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Value {
        if let Some(pos) = self
            .backlog
            .iter()
            .position(|v| v["event"] == name && pred(&v["data"]))
        {
            return self
                .backlog
                .remove(pos)
                .map(|v| v["data"].clone())
                .unwrap_or_default();
        }
        loop {
            let v = self.recv(what).await;
            if v["event"] == name && pred(&v["data"]) {
                return v["data"].clone();
            }
            if v["event"] == "unhandledRejection" || v["event"] == "onmessageError" {
                panic!("{}: SDK internal error: {v}", self.name);
            }
            self.backlog.push_back(v);
        }
    }

    /// Waits for a received message with this text. One `messageReceived`
    /// event may carry several messages: the others stay in `inbox`.
    async fn message(&mut self, text: &str) -> Value {
        loop {
            if let Some(pos) = self.inbox.iter().position(|m| m["payload"]["text"] == text) {
                return self.inbox.remove(pos).unwrap_or_default();
            }
            let data = self
                .event_described("messageReceived", &format!("message {text:?}"), |_| true)
                .await;
            self.inbox
                .extend(data.as_array().cloned().unwrap_or_default());
        }
    }

    async fn send_text(&mut self, to: &str, conversation_type: &str, text: &str) -> Value {
        self.call(json!({"cmd": "sendText", "to": to, "conversationType": conversation_type, "text": text})).await
    }
}

impl Drop for OfficialClient {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn texts(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_web_sdk_chats_with_natter_sdk_users() {
    let server = TestServer::start().await;
    let proxy = Proxy::start(server.addr()).await;
    let mut alice = OfficialClient::spawn("alice(official)", &proxy.ws_url()).await;
    let mut bob = OfficialClient::spawn("bob(official)", &server.ws_url()).await;

    alice
        .call(json!({"cmd": "login", "userID": "alice", "userSig": sig("alice")}))
        .await;
    alice.event("ready", |_| true).await;
    bob.call(json!({"cmd": "login", "userID": "bob", "userSig": sig("bob")}))
        .await;
    bob.event("ready", |_| true).await;
    let mut carol = Client::login(&server.ws_url(), "carol").await;

    // C2C between two official clients: the same message ID on both sides.
    let sent = alice.send_text("bob", "C2C", "hello bob").await;
    assert_eq!(sent["status"], "success");
    let got = bob.message("hello bob").await;
    assert_eq!(got["ID"], sent["ID"]);
    assert_eq!(
        (got["flow"].as_str(), got["conversationID"].as_str()),
        (Some("in"), Some("C2Calice"))
    );
    let reply = bob.send_text("alice", "C2C", "hi alice").await;
    assert_eq!(alice.message("hi alice").await["ID"], reply["ID"]);

    // Official ⇄ natter-sdk.
    let mut m = carol
        .chat
        .create_text_message("alice", "C2C", "from carol")
        .unwrap();
    carol
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    let got = alice.message("from carol").await;
    assert_eq!(got["ID"], m.id);
    assert_eq!(got["from"], "carol");
    let sent = alice.send_text("carol", "C2C", "to carol").await;
    let got = carol.received(1).await;
    assert_eq!(got[0].id, sent["ID"].as_str().unwrap());
    assert_eq!(got[0].payload["text"], "to carol");

    // A group of the three.
    let g = server
        .admin()
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Owner_Account": "alice", "Type": "Public", "Name": "Mixed",
            "MemberList": [{"Member_Account": "bob"}, {"Member_Account": "carol"}]}),
        )
        .await
        .unwrap();
    let gid = g["GroupId"].as_str().unwrap().to_owned();
    let sent = alice.send_text(&gid, "GROUP", "group hello").await;
    assert_eq!(sent["sequence"], 1);
    let got = bob.message("group hello").await;
    assert_eq!(got["ID"], sent["ID"]);
    assert_eq!(got["conversationID"], format!("GROUP{gid}"));
    let got = carol.received(1).await;
    assert_eq!(got[0].id, sent["ID"].as_str().unwrap());
    let at = bob
        .call(json!({"cmd": "sendText", "to": gid, "conversationType": "GROUP", "text": "@alice @all see",
            "atUserList": ["alice", "__kImSDK_MesssageAtALL__"]}))
        .await;
    let got = alice.message("@alice @all see").await;
    assert_eq!(got["ID"], at["ID"]);
    assert_eq!(
        got["atUserList"],
        json!(["alice", "__kImSDK_MesssageAtALL__"])
    );
    let got = carol.received(1).await;
    assert_eq!(
        got[0].at_user_list,
        vec!["alice".to_owned(), "__kImSDK_MesssageAtALL__".to_owned()]
    );
    let mut m = carol
        .chat
        .create_text_message(&gid, "GROUP", "carol in group")
        .unwrap();
    carol
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    assert_eq!(alice.message("carol in group").await["ID"], m.id);
    assert_eq!(bob.message("carol in group").await["ID"], m.id);

    // History paging with getMessageList, C2C and group.
    for i in 1..=20 {
        alice.send_text("bob", "C2C", &format!("h{i}")).await;
    }
    let h = bob
        .call(json!({"cmd": "history", "conversationID": "C2Calice"}))
        .await;
    assert_eq!(h["completed"], true);
    let mut expected = vec!["hello bob".to_owned(), "hi alice".to_owned()];
    expected.extend((1..=20).map(|i| format!("h{i}")));
    assert_eq!(texts(&h["messages"]), expected);
    assert!(h["pages"].as_u64().unwrap() >= 2);
    let gh = carol
        .chat
        .get_message_list(&format!("GROUP{gid}"), None)
        .await
        .unwrap();
    assert_eq!(gh.message_list.len(), 3);
    let h = alice
        .call(json!({"cmd": "history", "conversationID": format!("GROUP{gid}")}))
        .await;
    assert_eq!(
        texts(&h["messages"]),
        vec!["group hello", "@alice @all see", "carol in group"]
    );

    // A dropped connection: the official SDK reconnects, logs in again and gets what it missed.
    proxy.set_down(true);
    proxy.cut();
    alice.event("netStateChange", |s| s != "connected").await;
    let mut missed = carol
        .chat
        .create_text_message("alice", "C2C", "while you were away")
        .unwrap();
    carol
        .chat
        .send_message(&mut missed, &SendOptions::default())
        .await
        .unwrap();
    bob.send_text("alice", "C2C", "me too").await;
    // Both are acknowledged (stored) while alice cannot connect.
    proxy.set_down(false);
    // After three failed attempts the official SDK waits for a reason to try
    // again (its heartbeat, or a request); sending is one, as for a user who
    // types while offline. The message goes out once it is back.
    let sent = alice.send_text("bob", "C2C", "back online").await;
    alice.event("netStateChange", |s| s == "connected").await;
    assert_eq!(alice.message("while you were away").await["ID"], missed.id);
    alice.message("me too").await;
    assert_eq!(bob.message("back online").await["ID"], sent["ID"]);

    // Conversations and logout.
    let convs = bob.call(json!({"cmd": "conversations"})).await;
    assert!(convs
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["conversationID"] == "C2Calice" && c["lastMessage"] == "back online"));
    alice.call(json!({"cmd": "logout"})).await;
    alice.event("notReady", |_| true).await;
    bob.call(json!({"cmd": "logout"})).await;
    bob.event("notReady", |_| true).await;
}

/// The unmodified SDK with `tim-upload-plugin` sends an image, a file, an
/// audio file and a video (pre_sig + PUT, browser mode) to a natter-sdk user
/// (C2C) and to a group with another official-SDK user; everyone downloads
/// what arrives byte-exact, and the derived thumbnail URLs give real images.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_web_sdk_sends_media() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob", "carol"]).await;
    let admin = server.admin();
    admin
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Type": "Work", "Name": "media", "GroupId": "media", "Owner_Account": "alice",
                    "MemberList": [{"Member_Account": "bob"}, {"Member_Account": "carol"}]}),
        )
        .await
        .expect("group created");
    let mut alice = OfficialClient::spawn_in_mode("alice(official)", &server.ws_url(), true).await;
    alice
        .call(json!({"cmd": "login", "userID": "alice", "userSig": sig("alice")}))
        .await;
    alice.event("ready", |_| true).await;
    let mut bob = OfficialClient::spawn("bob(official)", &server.ws_url()).await;
    bob.call(json!({"cmd": "login", "userID": "bob", "userSig": sig("bob")}))
        .await;
    bob.event("ready", |_| true).await;
    let mut carol = Client::login(&server.ws_url(), "carol").await;

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("photo.png");
    image::RgbImage::from_fn(1000, 800, |x, y| image::Rgb([x as u8, y as u8, 60]))
        .save(&png)
        .unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "the agenda, in plain text\n").unwrap();
    let voice = dir.path().join("voice.mp3");
    std::fs::write(
        &voice,
        (0..30_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>(),
    )
    .unwrap();
    let video = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/media/tests/data/h264-320x240-2s.mp4");
    let sends = [
        ("image", &png, "photo.png", "image/png", types::MSG_IMAGE),
        ("file", &notes, "notes.txt", "text/plain", types::MSG_FILE),
        ("audio", &voice, "voice.mp3", "audio/mp3", types::MSG_AUDIO),
        ("video", &video, "clip.mp4", "video/mp4", types::MSG_VIDEO),
    ];
    let http = reqwest::Client::new();
    let fetch = |url: String| {
        let http = http.clone();
        async move {
            let resp = http.get(&url).send().await.expect("GET");
            assert_eq!(resp.status().as_u16(), 200, "{url}");
            resp.bytes().await.expect("body").to_vec()
        }
    };
    /// The URL of the file itself in a Web `payload`.
    fn main_url(kind: &str, payload: &Value) -> String {
        let url = match kind {
            "image" => &payload["imageInfoArray"][0]["url"],
            "file" => &payload["fileUrl"],
            "audio" => &payload["url"],
            _ => &payload["videoUrl"],
        };
        url.as_str().unwrap_or_default().to_owned()
    }

    for (kind, path, name, mime, msg_type) in sends {
        let original = std::fs::read(path).unwrap();
        for (to, conversation_type) in [("carol", "C2C"), ("media", "GROUP")] {
            let sent = alice
                .call(json!({"cmd": "sendMedia", "to": to, "conversationType": conversation_type, "kind": kind,
                             "path": path, "name": name, "mime": mime, "durationMs": 3000}))
                .await;
            assert_eq!(sent["message"]["type"], msg_type, "{sent}");
            let progress = sent["progress"].as_array().unwrap();
            assert_eq!(
                progress.last().and_then(Value::as_f64),
                Some(1.0),
                "{kind}: {sent}"
            );

            // carol (natter-sdk) gets both; her copy downloads byte-exact.
            let got = carol
                .wait_for(&format!("{kind} to {to}"), |e| match e {
                    natter_sdk::Event::MessageReceived(ms) => {
                        ms.iter().find(|m| m.kind == msg_type).cloned()
                    }
                    _ => None,
                })
                .await;
            let url = main_url(kind, &got.payload);
            let out = dir.path().join(format!("carol-{kind}-{to}"));
            carol
                .chat
                .download_file(&url, &out, None)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(
                std::fs::read(&out).unwrap() == original,
                "{kind} to {to}: byte-exact for natter-sdk"
            );
            match kind {
                "image" => {
                    // Web order: original, thumbnail, large — thumbnails are real.
                    let infos = got.payload["imageInfoArray"].as_array().unwrap();
                    let small = image::load_from_memory(
                        &fetch(infos[1]["url"].as_str().unwrap().to_owned()).await,
                    )
                    .unwrap();
                    assert_eq!((small.width(), small.height()), (248, 198));
                    let large = image::load_from_memory(
                        &fetch(infos[2]["url"].as_str().unwrap().to_owned()).await,
                    )
                    .unwrap();
                    assert_eq!((large.width(), large.height()), (900, 720));
                }
                "file" => {
                    assert_eq!(got.payload["fileName"], "notes.txt");
                    assert_eq!(got.payload["fileSize"], original.len());
                }
                "audio" => assert_eq!(got.payload["second"], 3),
                _ => {
                    assert_eq!(got.payload["videoFormat"], "mp4");
                    // The server made the cover the SDK asked for (video_cover).
                    let cover = got.payload["thumbUrl"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    assert!(!cover.is_empty(), "a cover: {}", got.payload);
                    let cover = image::load_from_memory(&fetch(cover).await).unwrap();
                    assert_eq!((cover.width(), cover.height()), (320, 240));
                    assert_eq!(got.payload["thumbWidth"], 320);
                }
            }

            // bob (official SDK) is in the group: his copy downloads too.
            if conversation_type == "GROUP" {
                let data = bob
                    .event_described("messageReceived", &format!("{kind} in the group"), |d| {
                        d.as_array()
                            .is_some_and(|ms| ms.iter().any(|m| m["type"] == msg_type))
                    })
                    .await;
                let m = data
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["type"] == msg_type)
                    .unwrap()
                    .clone();
                let url = main_url(kind, &m["payload"]);
                assert!(
                    fetch(url).await == original,
                    "{kind}: byte-exact for the official SDK"
                );
            }
        }
    }

    // A voice note recorded from a microphone — what the desktop app does:
    // natter-media's recorder on the test microphone (scripts/test-mic),
    // sent with natter-sdk — reaches the official SDK as a sound message
    // with its duration, and downloads byte-exact from its URL.
    let mic = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("official-sdk-mic");
    mic::make(&mic);
    // Only this test of the binary touches ALSA, which reads this on first use.
    std::env::set_var("ALSA_CONFIG_PATH", mic.join("alsa.conf"));
    let voice = dir.path().join("recorded.m4a");
    let recording = natter_media::capture::Recorder::start(
        &voice,
        natter_media::capture::RecordOptions {
            device: Some("testmic".into()),
            max_duration: std::time::Duration::from_millis(3_500),
            ..Default::default()
        },
        |_| {},
    )
    .unwrap()
    .wait()
    .unwrap();
    assert_eq!(recording.file.duration_ms, 3_500);
    let mut m = carol
        .chat
        .create_audio_message("media", "GROUP", &voice)
        .await
        .unwrap();
    carol
        .chat
        .send_message(&mut m, &SendOptions::default())
        .await
        .unwrap();
    let data = bob
        .event_described("messageReceived", "carol's voice message", |d| {
            d.as_array()
                .is_some_and(|ms| ms.iter().any(|m| m["type"] == types::MSG_AUDIO))
        })
        .await;
    let got = data
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["type"] == types::MSG_AUDIO)
        .unwrap()
        .clone();
    assert_eq!(got["payload"]["second"], 3);
    let url = got["payload"]["url"].as_str().unwrap().to_owned();
    assert!(
        fetch(url).await == std::fs::read(&voice).unwrap(),
        "the recorded voice note, byte-exact"
    );
}
