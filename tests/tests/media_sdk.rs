//! Image, file and video messages through natter-sdk end to end: created
//! from files, uploaded with progress (resuming after a cut connection),
//! sent in C2C and groups, received with URLs, downloaded byte-exact.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use natter_sdk::{types, Message, OnProgress, Progress, SdkError, SendOptions};
use natter_system_tests::{Client, Proxy, TestServer};

fn png_file(dir: &Path, name: &str, width: u32, height: u32) -> PathBuf {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    let path = dir.join(name);
    std::fs::write(&path, out.into_inner()).unwrap();
    path
}

fn noise_file(dir: &Path, name: &str, len: usize) -> PathBuf {
    let path = dir.join(name);
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn video_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/media/tests/data/h264-320x240-2s.mp4")
}

/// Progress values seen by a send, for checking.
fn recorder() -> (OnProgress, Arc<Mutex<Vec<Progress>>>) {
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let s2 = seen.clone();
    (OnProgress::new(move |p| s2.lock().unwrap().push(p)), seen)
}

fn assert_progress_is_sane(seen: &[Progress]) {
    assert!(!seen.is_empty(), "progress was reported");
    for pair in seen.windows(2) {
        assert!(pair[1].bytes >= pair[0].bytes, "monotonic: {seen:?}");
    }
    let last = seen.last().unwrap();
    assert_eq!(last.fraction(), 1.0, "ends at 1.0: {seen:?}");
}

async fn download(client: &Client, url: &str, dir: &Path, name: &str) -> Vec<u8> {
    let out = dir.join(name);
    client
        .chat
        .download_file(url, &out, None)
        .await
        .unwrap_or_else(|e| panic!("download {url}: {e}"));
    std::fs::read(out).unwrap()
}

async fn send(client: &Client, message: &mut Message) -> Vec<Progress> {
    let (on_progress, seen) = recorder();
    let options = SendOptions {
        on_progress: Some(on_progress),
        ..SendOptions::default()
    };
    client
        .chat
        .send_message(message, &options)
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    let seen = seen.lock().unwrap().clone();
    seen
}

#[tokio::test]
async fn image_file_and_video_arrive_and_download_byte_exact() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    // Image: original, 720 and 198 px thumbnails made on the sender.
    let png = png_file(dir.path(), "photo.png", 1600, 1200);
    let mut msg = alice
        .chat
        .create_image_message("bob", types::CONV_C2C, &png)
        .await
        .unwrap();
    assert_eq!(msg.kind, types::MSG_IMAGE);
    assert_eq!(msg.payload["imageInfoArray"][0]["width"], 1600);
    assert!(alice.chat.local_preview(&msg.id).unwrap().jpeg.is_some());
    let seen = send(&alice, &mut msg).await;
    assert_progress_is_sane(&seen);
    assert_eq!(msg.status, "success");
    let sent_urls: Vec<String> = msg.payload["imageInfoArray"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["url"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        sent_urls.iter().all(|u| u.starts_with("http")),
        "{sent_urls:?}"
    );

    let got = bob.received(1).await.remove(0);
    assert_eq!(got.kind, types::MSG_IMAGE);
    let infos = got.payload["imageInfoArray"].as_array().unwrap().clone();
    // Web order: original, thumbnail (198), large (720).
    assert_eq!(
        (infos[0]["width"].as_u64(), infos[0]["height"].as_u64()),
        (Some(1600), Some(1200))
    );
    assert_eq!(
        (infos[1]["width"].as_u64(), infos[1]["height"].as_u64()),
        (Some(264), Some(198))
    );
    assert_eq!(
        (infos[2]["width"].as_u64(), infos[2]["height"].as_u64()),
        (Some(960), Some(720))
    );
    let original = download(&bob, infos[0]["url"].as_str().unwrap(), dir.path(), "o.png").await;
    assert!(
        original == std::fs::read(&png).unwrap(),
        "original byte-exact"
    );
    let small = download(&bob, infos[1]["url"].as_str().unwrap(), dir.path(), "s.jpg").await;
    let small = image::load_from_memory(&small).unwrap();
    assert_eq!((small.width(), small.height()), (264, 198));

    // File.
    let file = noise_file(dir.path(), "report.bin", 3_000_000);
    let mut msg = alice
        .chat
        .create_file_message("bob", types::CONV_C2C, &file)
        .await
        .unwrap();
    assert_progress_is_sane(&send(&alice, &mut msg).await);
    let got = bob.received(1).await.remove(0);
    assert_eq!(got.payload["fileName"], "report.bin");
    assert_eq!(got.payload["fileSize"], 3_000_000);
    let bytes = download(
        &bob,
        got.payload["fileUrl"].as_str().unwrap(),
        dir.path(),
        "r.bin",
    )
    .await;
    assert!(bytes == std::fs::read(&file).unwrap(), "file byte-exact");

    // Video: duration and first-frame snapshot from the file.
    let mut msg = alice
        .chat
        .create_video_message("bob", types::CONV_C2C, &video_file())
        .await
        .unwrap();
    assert_progress_is_sane(&send(&alice, &mut msg).await);
    let got = bob.received(1).await.remove(0);
    assert_eq!(got.kind, types::MSG_VIDEO);
    assert_eq!(got.payload["videoSecond"], 2);
    assert_eq!(got.payload["videoFormat"], "mp4");
    assert_eq!(
        (
            got.payload["thumbWidth"].as_u64(),
            got.payload["thumbHeight"].as_u64()
        ),
        (Some(320), Some(240))
    );
    let video = download(
        &bob,
        got.payload["videoUrl"].as_str().unwrap(),
        dir.path(),
        "v.mp4",
    )
    .await;
    assert!(
        video == std::fs::read(video_file()).unwrap(),
        "video byte-exact"
    );
    let snapshot = download(
        &bob,
        got.payload["thumbUrl"].as_str().unwrap(),
        dir.path(),
        "t.jpg",
    )
    .await;
    assert_eq!(image::load_from_memory(&snapshot).unwrap().width(), 320);
}

#[tokio::test]
async fn media_in_a_group_reaches_members_only() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob", "carol"]).await;
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let carol = Client::login(&server.ws_url(), "carol").await;
    let group = alice
        .chat
        .create_group("media", "Work", &["bob".to_owned()])
        .await
        .unwrap();
    let png = png_file(dir.path(), "g.png", 300, 300);
    let mut msg = alice
        .chat
        .create_image_message(&group, types::CONV_GROUP, &png)
        .await
        .unwrap();
    send(&alice, &mut msg).await;
    let got = bob
        .wait_for("the group image", |e| match e {
            natter_sdk::Event::MessageReceived(ms) => {
                ms.iter().find(|m| m.kind == types::MSG_IMAGE).cloned()
            }
            _ => None,
        })
        .await;
    let url = got.payload["imageInfoArray"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(download(&bob, &url, dir.path(), "b.png").await == std::fs::read(&png).unwrap());
    // Carol is not in the group: a link without its token is refused even with her login.
    let bare = url.split('?').next().unwrap();
    let err = carol
        .chat
        .download_file(bare, &dir.path().join("c.png"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SdkError::Http {
                status: 403,
                code: 70003,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!dir.path().join("c.png").exists(), "no file is left behind");
}

#[tokio::test]
async fn bad_files_are_refused_with_their_codes() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::login(&server.ws_url(), "alice").await;
    let empty = noise_file(dir.path(), "empty.png", 0);
    let code = |r: Result<Message, SdkError>| r.unwrap_err().code();
    assert_eq!(
        code(alice.chat.create_image_message("bob", "C2C", &empty).await),
        2108
    );
    let text = noise_file(dir.path(), "notes.txt", 10);
    assert_eq!(
        code(alice.chat.create_image_message("bob", "C2C", &text).await),
        2252
    );
    let fake = noise_file(dir.path(), "fake.png", 1000);
    assert_eq!(
        code(alice.chat.create_image_message("bob", "C2C", &fake).await),
        2252
    );
    assert_eq!(
        code(alice.chat.create_video_message("bob", "C2C", &text).await),
        2352
    );
    let fake_video = noise_file(dir.path(), "fake.mp4", 1000);
    assert_eq!(
        code(
            alice
                .chat
                .create_video_message("bob", "C2C", &fake_video)
                .await
        ),
        2352
    );
    let big = dir.path().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(natter_sdk::FILE_MAX_BYTES + 1)
        .unwrap();
    assert_eq!(
        code(alice.chat.create_file_message("bob", "C2C", &big).await),
        2402
    );
    let missing = dir.path().join("nope.bin");
    assert_eq!(
        code(alice.chat.create_file_message("bob", "C2C", &missing).await),
        2400
    );
}

#[tokio::test]
async fn a_cut_upload_resumes_and_a_cancelled_one_stops() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    let proxy = Arc::new(Proxy::start(server.addr()).await);
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::login(&proxy.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    let size = 60_000_000usize;
    let file = noise_file(dir.path(), "big.bin", size);
    let mut msg = alice
        .chat
        .create_file_message("bob", types::CONV_C2C, &file)
        .await
        .unwrap();
    let before = proxy.upstream_bytes();
    let cut_once = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (p, c) = (proxy.clone(), cut_once.clone());
    let options = SendOptions {
        on_progress: Some(OnProgress::new(move |progress| {
            if progress.fraction() > 0.4 && !c.swap(true, std::sync::atomic::Ordering::SeqCst) {
                p.cut();
            }
        })),
        ..SendOptions::default()
    };
    // The cut also drops the WebSocket: the send step may fail once and is
    // retried (as the app's outbox does) without uploading again.
    let mut attempts = 0;
    loop {
        attempts += 1;
        match alice.chat.send_message(&mut msg, &options).await {
            Ok(()) => break,
            Err(e) if attempts < 20 && matches!(e.code(), 2800 | 2801 | 2805) => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("send failed: {e}"),
        }
    }
    assert!(
        cut_once.load(std::sync::atomic::Ordering::SeqCst),
        "the connection was cut mid-upload"
    );
    let sent = proxy.upstream_bytes() - before;
    assert!(
        sent < size as u64 * 13 / 10,
        "{sent} bytes went up for a {size}-byte file: the upload resumed, it did not start over"
    );
    let got = bob.received(1).await.remove(0);
    let bytes = download(
        &bob,
        got.payload["fileUrl"].as_str().unwrap(),
        dir.path(),
        "got.bin",
    )
    .await;
    assert!(
        bytes == std::fs::read(&file).unwrap(),
        "byte-exact after the resume"
    );

    // Cancel: the send fails with the cancel, and nothing reaches Bob.
    let mut msg = alice
        .chat
        .create_file_message("bob", types::CONV_C2C, &file)
        .await
        .unwrap();
    let chat = alice.chat.clone();
    let id = msg.id.clone();
    let options = SendOptions {
        on_progress: Some(OnProgress::new(move |_| {
            chat.cancel_upload(&id);
        })),
        ..SendOptions::default()
    };
    let err = alice
        .chat
        .send_message(&mut msg, &options)
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::Cancelled), "{err:?}");
    assert_eq!(msg.status, "fail");
    bob.assert_no_message(std::time::Duration::from_millis(300))
        .await;
}

/// The pipeline: an upload runs beside text sends (the text typed after a
/// big file arrives first), a cancelled upload fails the message, and a
/// retry resumes it to the end.
#[tokio::test]
async fn the_outbox_sends_text_beside_an_upload_and_retries_a_cancelled_one() {
    use natter_sdk::{NetState, Outbox, OutboxEvent};
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outbox = Outbox::new(alice.chat.clone(), move |e| {
        let _ = tx.send(e);
    });
    let (_net_tx, net) = tokio::sync::watch::channel(NetState::Connected);
    let runner = outbox.clone();
    tokio::spawn(async move { runner.run(net).await });

    let big = noise_file(dir.path(), "big.bin", 60_000_000);
    let file = alice
        .chat
        .create_file_message("bob", types::CONV_C2C, &big)
        .await
        .unwrap();
    let file_id = file.id.clone();
    outbox.push(file);
    let text = alice
        .chat
        .create_text_message("bob", types::CONV_C2C, "sent while the file uploads")
        .unwrap();
    outbox.push(text);
    let first = bob.received(1).await.remove(0);
    assert_eq!(
        first.payload["text"], "sent while the file uploads",
        "the text is not held back"
    );

    // Cancel the upload once it is under way: the message fails.
    let mut progress_seen = false;
    loop {
        match rx.recv().await.expect("outbox events") {
            OutboxEvent::Progress { message_id, .. } if message_id == file_id && !progress_seen => {
                progress_seen = true;
                assert!(outbox.cancel(&file_id));
            }
            OutboxEvent::Status { message, error } if message.id == file_id => {
                assert_eq!(message.status, "fail");
                assert!(matches!(error, Some(SdkError::Cancelled)), "{error:?}");
                break;
            }
            _ => {}
        }
    }
    assert!(outbox.unacknowledged().iter().any(|m| m.id == file_id));

    // Retry: it uploads to the end and is sent.
    let again = outbox.retry(&file_id).expect("a failed message to retry");
    assert_eq!(again.status, "unSend");
    loop {
        if let OutboxEvent::Status { message, error } = rx.recv().await.expect("outbox events") {
            if message.id == file_id {
                assert!(error.is_none(), "{error:?}");
                assert_eq!(message.status, "success");
                break;
            }
        }
    }
    let got = bob.received(1).await.remove(0);
    assert_eq!(got.payload["fileSize"], 60_000_000);
    assert!(outbox.unacknowledged().is_empty());
}

#[tokio::test]
async fn audio_files_arrive_with_their_duration() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::login(&server.ws_url(), "alice").await;
    let mut bob = Client::login(&server.ws_url(), "bob").await;
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/media/tests/data");
    for (name, seconds) in [
        ("tone-2.5s.m4a", 2),
        ("tone-2.5s.mp3", 2),
        ("tone-1.2s-noxing.mp3", 1),
    ] {
        let path = data.join(name);
        let mut msg = alice
            .chat
            .create_audio_message("bob", types::CONV_C2C, &path)
            .await
            .unwrap();
        assert_eq!(msg.kind, types::MSG_AUDIO);
        assert_progress_is_sane(&send(&alice, &mut msg).await);
        let got = bob.received(1).await.remove(0);
        assert_eq!(got.kind, types::MSG_AUDIO);
        assert_eq!(got.payload["second"], seconds, "{name}");
        assert_eq!(got.payload["size"], std::fs::metadata(&path).unwrap().len());
        let url = got.payload["url"].as_str().unwrap();
        assert_eq!(got.payload["remoteAudioUrl"], url);
        let bytes = download(&bob, url, dir.path(), name).await;
        assert!(bytes == std::fs::read(&path).unwrap(), "{name} byte-exact");
    }
    let notes = noise_file(dir.path(), "notes.mp3", 500);
    let err = alice
        .chat
        .create_audio_message("bob", types::CONV_C2C, &notes)
        .await
        .unwrap_err();
    assert_eq!(err.code(), 2400);
}
