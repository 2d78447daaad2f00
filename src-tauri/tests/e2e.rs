//! End to end: the real `natter` binary in a virtual X display (Xvfb),
//! driven through WebKitWebDriver, against a real natter-server started
//! here, with a natter-sdk client as the other user. Screenshots of every
//! step go to `<target>/tmp/e2e-screenshots/` for people to look at.
//!
//! `NATTER_E2E_APP=/usr/bin/natter` drives another build of the app (CI
//! uses it on the app installed from the .deb).
//!
//! The app runs on a private D-Bus session with a notification server of
//! the test's own (`support/notifications.rs`), which records the
//! notifications the app shows and clicks them.
//!
//! Needs `Xvfb`, `WebKitWebDriver` and `dbus-daemon` (packages `xvfb`,
//! `webkit2gtk-driver`, `dbus-daemon`; `scripts/setup` installs them) and
//! the UI built into `ui/dist`.

#[path = "support/notifications.rs"]
mod notifications;
#[path = "support/webdriver.rs"]
mod webdriver;

#[path = "../../crates/media/tests/common/mic.rs"]
mod mic;

use std::path::{Path, PathBuf};

use natter_sdk::Event;
use natter_system_tests::{Client, TestServer};
use notifications::NotificationServer;
use serde_json::json;
use webdriver::{
    app_env, point_at, require, start_driver, start_session_bus, start_xvfb, Guard, ENTER,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_chats_through_the_real_app() {
    require("Xvfb", "xvfb");
    require("WebKitWebDriver", "webkit2gtk-driver");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let server = TestServer::start().await;
    let (display, _xvfb) = start_xvfb();
    let profile = tempfile::tempdir().unwrap();
    let (bus, _bus) = start_session_bus();
    let notifications = NotificationServer::start(&bus).await;
    let mut env = app_env(&display, profile.path(), &bus);
    // The app's default microphone replays speech (scripts/test-mic).
    env.push((
        "ALSA_CONFIG_PATH".into(),
        {
            let dir = profile.path().join("mic");
            mic::make(&dir);
            mic::with_default(&dir, "default-mic.conf", "\"testmic\"")
        }
        .to_string_lossy()
        .into_owned(),
    ));
    let (driver, _webdriver) = start_driver(&env).await;
    // CI points this at the app installed from the .deb.
    let app = std::env::var_os("NATTER_E2E_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_natter")));
    let app = app.as_path();
    eprintln!("driving {}", app.display());
    let mut bob = Client::login(&server.ws_url(), "bob").await;

    // 1. Alice creates her account in the app.
    let ui = driver.launch(app, &shots).await;
    ui.type_into("input[name=server]", &server.ws_url()).await;
    ui.type_into("input[name=user]", "alice").await;
    ui.click("input[name=mode][value=create]").await;
    ui.type_into("input[name=password]", "alice-password").await;
    ui.screenshot("01-sign-in").await;
    ui.click("button[type=submit]").await;
    ui.find("[data-testid=new-conversation]").await;
    ui.screenshot("02-signed-in").await;

    // 2. Alice looks away (the pointer leaves the window, and with it the
    //    focus: there is no window manager); Bob writes; the conversation
    //    appears with an unread badge.
    point_at(&display, 1270, 790);
    bob.send_text("alice", "C2C", "hi alice, it's bob")
        .await
        .unwrap();
    let badge = ui
        .wait_js(
            "the unread badge",
            "const b = document.querySelector('[data-conversation=\"C2Cbob\"] [data-testid=unread]'); return b && b.textContent",
            json!([]),
        )
        .await;
    assert_eq!(badge, "1");
    ui.wait_js(
        "the unread total in the title",
        "return document.title === '(1) Natter'",
        json!([]),
    )
    .await;
    ui.screenshot("03-unread-badge").await;
    // The window is not focused (no window manager gives it focus), so
    // the message also raised a system notification.
    let note = notifications.wait_for("bob", "hi alice, it's bob").await;
    assert_eq!(note.app_name, "Natter");
    assert!(note.actions.iter().any(|a| a == "default"));
    // Bob's next message replaces his notification rather than adding one.
    bob.send_text("alice", "C2C", "are you there?")
        .await
        .unwrap();
    let again = notifications.wait_for("bob", "are you there?").await;
    assert_eq!(again.id, note.id, "one notification per conversation");
    assert_eq!(notifications.shown().len(), 1);
    ui.wait_js(
        "two unread in the title",
        "return document.title === '(2) Natter'",
        json!([]),
    )
    .await;

    // A second launch on the same profile hands over to the running app
    // (which comes to the front) and exits.
    let second = std::process::Command::new(app)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .spawn()
        .expect("a second natter starts");
    let mut second = Guard(second);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let status = loop {
        if let Some(status) = second.0.try_wait().expect("wait for the second natter") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a second instance kept running"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "the second instance exits cleanly");
    assert_eq!(
        ui.js("return document.title", json!([])).await,
        "(2) Natter",
        "the first instance is still running"
    );

    // 3. Alice clicks the notification, which opens the conversation (and,
    //    read now, the notification goes away), and replies; Bob's client
    //    receives the reply.
    notifications.click(again.id).await;
    ui.wait_js(
        "bob's message in the chat",
        "return [...document.querySelectorAll('[data-message] .bubble')].some(b => b.textContent === \"hi alice, it's bob\")",
        json!([]),
    )
    .await;
    notifications
        .wait_for_none("reading the conversation takes its notification away")
        .await;
    ui.type_into("textarea[name=draft]", &format!("hello bob{ENTER}"))
        .await;
    let reply = bob.received(1).await;
    assert_eq!(reply[0].payload["text"], "hello bob");
    assert_eq!(reply[0].from, "alice");
    ui.wait_js(
        "the reply marked sent",
        "const out = [...document.querySelectorAll('.message.out')]; return out.length > 0 && !out.at(-1).querySelector('.status')",
        json!([]),
    )
    .await;
    let gap = ui
        .js(
            "const s = document.querySelector('.scroller').getBoundingClientRect(); const m = [...document.querySelectorAll('[data-message]')].at(-1).getBoundingClientRect(); return s.bottom - m.bottom",
            json!([]),
        )
        .await;
    assert!(
        gap.as_f64().is_some_and(|g| (0.0..40.0).contains(&g)),
        "a short conversation sits at the bottom, above the composer (gap {gap})"
    );
    ui.screenshot("04-replied").await;

    // 3b. Alice sends a photo the way a drop does: WebDriver cannot make a
    //     native drop, so the page's half of it is done here — the window
    //     hands the dropped paths to the page, which calls `send_files`.
    //     The bubble shows the local preview with a progress bar at once,
    //     then the thumbnail from the server; Bob receives the image and
    //     downloads it byte-exact.
    let photo = profile.path().join("photo.png");
    let mut encoded = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut encoded, 1600, 1200);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        let pixels: Vec<u8> = (0..1600u32 * 1200 * 3)
            .map(|i| ((i / 3 % 1600) * 255 / 1600) as u8 ^ ((i / 4800) as u8))
            .collect();
        writer.write_image_data(&pixels).unwrap();
    }
    std::fs::write(&photo, &encoded).unwrap();
    ui.js(
        "window.__seen = {progress: false, preview: false};
         new MutationObserver(() => {
           if (document.querySelector('[data-testid=upload-progress] progress')) window.__seen.progress = true;
           for (const img of document.querySelectorAll('[data-testid=image] img'))
             if (img.getAttribute('src').startsWith('natter-media://localhost/preview/')) window.__seen.preview = true;
         }).observe(document.body, {subtree: true, childList: true, attributes: true});
         return true",
        json!([]),
    )
    .await;
    ui.js(
        "window.__TAURI_INTERNALS__.invoke('send_files', {to: 'bob', conversationType: 'C2C', paths: [arguments[0]]}); return true",
        json!([photo.to_string_lossy()]),
    )
    .await;
    let image = bob.received(1).await.remove(0);
    assert_eq!(image.kind, "TIMImageElem");
    assert_eq!(image.payload["imageInfoArray"][0]["width"], 1600);
    let downloaded = profile.path().join("bob-got.png");
    bob.chat
        .download_file(
            image.payload["imageInfoArray"][0]["url"].as_str().unwrap(),
            &downloaded,
            None,
        )
        .await
        .unwrap();
    assert!(
        std::fs::read(&downloaded).unwrap() == encoded,
        "byte-exact at Bob"
    );
    ui.wait_js(
        "the sent image's thumbnail, loaded from the server",
        "const img = [...document.querySelectorAll('[data-testid=image] img')].at(-1);
         return img && img.getAttribute('src').includes('/remote?url=') && img.complete && img.naturalWidth === 264",
        json!([]),
    )
    .await;
    let seen = ui.js("return window.__seen", json!([])).await;
    assert_eq!(
        seen,
        json!({"progress": true, "preview": true}),
        "the upload showed its preview and progress"
    );
    let size = ui
        .js(
            "const b = [...document.querySelectorAll('[data-testid=image]')].at(-1).getBoundingClientRect(); return [b.width, b.height]",
            json!([]),
        )
        .await;
    assert_eq!(
        size,
        json!([260, 195]),
        "the bubble has the image's proportions"
    );
    ui.screenshot("04b-image-sent").await;

    // 3c. Alice records a voice note with the microphone button. The test
    //     microphone replays faster than real time, so the recording reaches
    //     the 1-minute limit at once and waits in the preview, which plays
    //     in the WebView (its <audio> reads the file's length); she sends
    //     it; Bob receives 60 s and downloads the very file she recorded.
    ui.click("[data-testid=record]").await;
    ui.wait_js(
        "the recording's preview",
        "return !!document.querySelector('[data-testid=voice-preview]')",
        json!([]),
    )
    .await;
    let notice = ui
        .js(
            "return document.querySelector('[data-testid=voice-notice]').textContent",
            json!([]),
        )
        .await;
    assert!(
        notice.as_str().is_some_and(|n| n.contains("1-minute")),
        "{notice}"
    );
    let previewed = ui
        .wait_js(
            "the preview's length from the WebView's <audio>",
            "const v = document.querySelector('[data-testid=voice-preview] [data-testid=voice]'); return v && v.dataset.duration ? Number(v.dataset.duration) : null",
            json!([]),
        )
        .await;
    assert!(
        previewed.as_f64().is_some_and(|d| (d - 60.0).abs() <= 0.05),
        "the WebView's <audio> says {previewed} s"
    );
    ui.screenshot("04c-voice-preview").await;
    ui.click("[data-testid=send-recording]").await;
    let voice = bob.received(1).await.remove(0);
    assert_eq!(voice.kind, "TIMSoundElem");
    assert_eq!(voice.payload["second"], 60);
    let recorded: Vec<PathBuf> = std::fs::read_dir(profile.path().join("natter/outgoing"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "m4a"))
        .collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let heard = profile.path().join("bob-got.m4a");
    bob.chat
        .download_file(voice.payload["url"].as_str().unwrap(), &heard, None)
        .await
        .unwrap();
    assert!(
        std::fs::read(&heard).unwrap() == std::fs::read(&recorded[0]).unwrap(),
        "byte-exact at Bob"
    );
    let bubble = ui
        .wait_js(
            "the sent voice bubble, playable from the server",
            "const v = [...document.querySelectorAll('.message.out [data-testid=voice]')].at(-1);
             return v && v.dataset.duration && v.dataset.src.includes('/remote?url=') ? Number(v.dataset.duration) : null",
            json!([]),
        )
        .await;
    assert!(
        bubble.as_f64().is_some_and(|d| (d - 60.0).abs() <= 0.05),
        "{bubble}"
    );
    ui.screenshot("04c-voice-sent").await;

    // 3d. A video plays in the WebView: sent the way a drop does, its bubble
    //     shows the snapshot; a click fetches the file and the <video>
    //     element reads its length (2 s).
    let clip = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/media/tests/data/h264-320x240-2s.mp4");
    ui.js(
        "window.__TAURI_INTERNALS__.invoke('send_files', {to: 'bob', conversationType: 'C2C', paths: [arguments[0]]}); return true",
        json!([clip.to_string_lossy()]),
    )
    .await;
    assert_eq!(bob.received(1).await.remove(0).kind, "TIMVideoFileElem");
    ui.wait_js(
        "the sent video's play button",
        "const b = [...document.querySelectorAll('[data-testid=video-play]')].at(-1); if (b) b.click(); return !!b",
        json!([]),
    )
    .await;
    let length = ui
        .wait_js(
            "the video's length from the WebView's <video>",
            "const v = [...document.querySelectorAll('[data-testid=video]')].at(-1); return v && Number.isFinite(v.duration) ? v.duration : null",
            json!([]),
        )
        .await;
    assert!(
        length.as_f64().is_some_and(|d| (d - 2.0).abs() <= 0.1),
        "the WebView's <video> says {length} s"
    );

    // Alice looks away again with Bob's chat open; his next message is
    // notified and unread until she comes back to the window, which reads
    // it (badge, title and notification go).
    point_at(&display, 1270, 790);
    bob.send_text("alice", "C2C", "one more thing")
        .await
        .unwrap();
    notifications.wait_for("bob", "one more thing").await;
    ui.wait_js(
        "one unread in the title",
        "return document.title === '(1) Natter'",
        json!([]),
    )
    .await;
    point_at(&display, 500, 300);
    ui.wait_js(
        "the title without unread",
        "return document.title === 'Natter'",
        json!([]),
    )
    .await;
    notifications
        .wait_for_none("coming back to the chat reads it")
        .await;

    // 4. Alice creates a group with Bob and @-mentions him with the picker.
    ui.click("[data-testid=new-conversation]").await;
    ui.click("[role=tab]:nth-child(2)").await;
    ui.type_into("input[name=group-name]", "Launch").await;
    ui.type_into("input[name=group-members]", "bob").await;
    ui.screenshot("05-new-group").await;
    ui.click(".dialog form button[type=submit]").await;
    ui.wait_js(
        "the group's members",
        "return document.querySelector('.title button')?.textContent.includes('(2)')",
        json!([]),
    )
    .await;
    ui.type_into("textarea[name=draft]", "@bo").await;
    ui.find("[role=listbox] [role=option]").await;
    ui.screenshot("06-mention-picker").await;
    ui.type_into("textarea[name=draft]", &format!("{ENTER}ship it{ENTER}"))
        .await;
    let mentioned = bob
        .wait_for("the group message", |e| match e {
            Event::MessageReceived(m) => m.iter().find(|m| m.conversation_type == "GROUP").cloned(),
            _ => None,
        })
        .await;
    assert_eq!(mentioned.at_user_list, ["bob"]);
    assert_eq!(mentioned.payload["text"], "@bob ship it");
    ui.screenshot("07-group-mention").await;
    ui.close().await;

    // 5. Restarted, the app signs in by itself and the history is there.
    let ui = driver.launch(app, &shots).await;
    ui.click("[data-conversation=\"C2Cbob\"]").await;
    ui.wait_js(
        "the history after a restart",
        "const t = [...document.querySelectorAll('[data-message] .bubble')].map(b => b.textContent); return t.includes(\"hi alice, it's bob\") && t.includes('hello bob')",
        json!([]),
    )
    .await;
    ui.screenshot("08-after-restart").await;

    // 6. Notified while away, Alice signs out: her notifications go with her
    //    session (a click must not open her chat for the next user), and the
    //    sign-in form comes back with her user ID in it.
    point_at(&display, 1270, 790);
    bob.send_text("alice", "C2C", "bye for now").await.unwrap();
    notifications.wait_for("bob", "bye for now").await;
    ui.click("[data-testid=sign-out]").await;
    notifications
        .wait_for_none("signing out takes her notifications away")
        .await;
    ui.wait_js(
        "the sign-in form, prefilled",
        "return document.querySelector('form.sign-in input[name=user]')?.value === 'alice'",
        json!([]),
    )
    .await;
    ui.screenshot("09-signed-out").await;
    // The form needs only her password to take her back to her chats.
    ui.type_into("input[name=password]", "alice-password").await;
    ui.click("button[type=submit]").await;
    ui.find("[data-conversation=\"C2Cbob\"]").await;

    // 7. The server's administrator kicks her out: the app says so on the
    //    sign-in form, in words rather than the SDK's reason code, and keeps
    //    her user ID in it.
    server
        .admin()
        .call("im_open_login_svc", "kick", &json!({"UserID": "alice"}))
        .await
        .unwrap();
    ui.wait_js(
        "the sign-in form after the kick",
        "const why = document.querySelector('[role=alert]')?.textContent ?? ''; return document.querySelector('form.sign-in input[name=user]')?.value === 'alice' && why !== '' && !why.includes('REST_API_Kick')",
        json!([]),
    )
    .await;
    ui.screenshot("10-kicked-out").await;
    ui.close().await;
    eprintln!("screenshots: {}", shots.display());
}
