//! Desktop app measurements (`cargo bench -p natter-desktop --bench desktop`):
//!
//! - launch → interactive: from asking WebDriver for a new app until the
//!   conversation list of the remembered user is on screen;
//! - memory: PSS of all the app's processes (main + WebKitWebProcess +
//!   WebKitNetworkProcess), idle, and with a 10,000-message conversation
//!   open and scrolled back to its first message;
//! - drop → thumbnail: from the page handing a dropped 12-megapixel photo
//!   to the backend (`send_files`, what a drop does) until its thumbnail is
//!   painted in the conversation.
//!
//! - voice recording (`-- voice` runs only this part): from the click on
//!   the microphone button until the app is recording (the backend has
//!   opened the microphone) and until the first level is drawn, and the
//!   app's extra memory while it records 10 s from a real-time microphone
//!   (a PulseAudio null sink's monitor playing speech, ALSA's default here).
//!
//! Runs the optimised app (`cargo bench` builds it with the release
//! settings) under Xvfb against a natter-server started here. Results are
//! printed; docs/benchmarks.md records them.

#[path = "../../crates/media/tests/common/mic.rs"]
mod mic;
#[path = "../tests/support/webdriver.rs"]
mod webdriver;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use natter_system_tests::{Client, TestServer};
use serde_json::json;
use webdriver::{app_env, require, start_driver, start_session_bus, start_xvfb, Guard};

const LAUNCHES: usize = 5;
const HISTORY: usize = 10_000;

/// Proportional set size of a process, in KiB.
fn pss_kib(pid: u32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            // Fields after the command name: state, then the parent's pid.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u32>().ok());
            parent == Some(pid)
        })
        .collect()
}

/// The app (the driver's child) and every process under it, with names.
fn app_processes(driver: &Guard) -> Vec<(u32, String)> {
    let mut all = Vec::new();
    let mut queue = children(driver.0.id());
    while let Some(pid) = queue.pop() {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        all.push((pid, name.trim().to_owned()));
        queue.extend(children(pid));
    }
    all
}

/// PSS of all the app's processes, in KiB.
fn app_pss_kib(driver: &Guard) -> u64 {
    app_processes(driver)
        .iter()
        .map(|(pid, _)| pss_kib(*pid))
        .sum()
}

fn report_memory(label: &str, driver: &Guard) {
    let mut total = 0;
    let mut parts = Vec::new();
    for (pid, name) in app_processes(driver) {
        let kib = pss_kib(pid);
        total += kib;
        parts.push(format!("{name} {:.1}", kib as f64 / 1024.0));
    }
    println!(
        "PSS {label}: {:.1} MiB ({})",
        total as f64 / 1024.0,
        parts.join(", ")
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks for a list; this bench has no parts.
    }
    require("Xvfb", "xvfb");
    require("WebKitWebDriver", "webkit2gtk-driver");
    let app = Path::new(env!("CARGO_BIN_EXE_natter"));
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let server = TestServer::start().await;
    let (display, _xvfb) = start_xvfb();
    let profile = tempfile::tempdir().expect("profile");
    let (bus, _bus) = start_session_bus();
    let mut env = app_env(&display, profile.path(), &bus);
    // The app's default microphone: speech played into a PulseAudio sink.
    let mic_dir = profile.path().join("mic");
    mic::make(&mic_dir);
    // Capture only: WebKit's own sound output goes elsewhere, as on a
    // desktop (playing into the sink behind the microphone would change
    // its latency).
    let alsa = mic::with_default(
        &mic_dir,
        "default-pulsemic.conf",
        "{ type asym capture.pcm \"pulsemic\" playback.pcm \"null\" }",
    );
    env.push((
        "ALSA_CONFIG_PATH".into(),
        alsa.to_string_lossy().into_owned(),
    ));
    let _sound_server = mic::SoundServer::start(&mic_dir);
    let (driver, driver_process) = start_driver(&env).await;
    let only_voice = std::env::args().any(|a| a == "voice");

    // Alice has an account; Bob has written her 10,000 messages.
    natter_sdk::account::register(&server.ws_url(), "alice", "alice-password", "")
        .await
        .expect("alice's account");
    let bob = Client::login(&server.ws_url(), "bob").await;
    let started = Instant::now();
    let history = if only_voice { 1 } else { HISTORY };
    for i in 0..history {
        bob.send_text(
            "alice",
            "C2C",
            &format!("message {i} of the long conversation"),
        )
        .await
        .expect("bob sends");
    }
    println!(
        "seeded {HISTORY} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Alice signs in once; later launches reuse the kept UserSig.
    let ui = driver.launch(app, &shots).await;
    ui.type_into("input[name=server]", &server.ws_url()).await;
    ui.type_into("input[name=user]", "alice").await;
    ui.type_into("input[name=password]", "alice-password").await;
    ui.click("button[type=submit]").await;
    ui.find("[data-conversation=\"C2Cbob\"]").await;
    if only_voice {
        ui.click("[data-conversation=\"C2Cbob\"]").await;
        ui.find("[data-message]").await;
        for _ in 0..LAUNCHES {
            voice_recording(&ui, &driver_process).await;
        }
        ui.close().await;
        return;
    }
    drop_to_thumbnail(&ui, profile.path()).await;
    ui.close().await;

    // The page marks `natter-interactive` once the remembered user's list
    // is rendered; its clock is the wall clock (timeOrigin + now).
    let mut launches = Vec::new();
    let mut phases = Vec::new();
    for _ in 0..LAUNCHES {
        let launched_at = SystemTime::now();
        let ui = driver.launch(app, &shots).await;
        let marks = ui
            .wait_js(
                "the conversation list",
                "const m = performance.getEntriesByName('natter-interactive')[0]; const n = performance.getEntriesByType('navigation')[0]; return document.querySelector('[data-conversation]') && m && [performance.timeOrigin, n.domContentLoadedEventEnd, m.startTime]",
                json!([]),
            )
            .await;
        let at = |i: usize| marks[i].as_f64().unwrap_or_default();
        let launched_ms = launched_at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or_default();
        let page_start = at(0) - launched_ms;
        let interactive = page_start + at(2);
        launches.push(Duration::from_secs_f64(interactive / 1000.0));
        phases.push(format!(
            "{page_start:.0}/{:.0}/{interactive:.0}",
            page_start + at(1)
        ));
        ui.close().await;
    }
    let runs: Vec<String> = launches
        .iter()
        .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
        .collect();
    launches.sort();
    println!(
        "launch → interactive conversation list: median {:.0} ms (runs: {} ms; page started/DOM ready/list shown: {} ms)",
        launches[LAUNCHES / 2].as_secs_f64() * 1000.0,
        runs.join(", "),
        phases.join(", ")
    );

    // Without WebDriver: spawn the app as a user would and time it until the
    // backend has answered the page's `startup` call (JavaScript ran, the
    // remembered user is signed in and the list is ready to render).
    let mut direct = Vec::new();
    for _ in 0..LAUNCHES {
        let t0 = Instant::now();
        let mut child = Guard(
            std::process::Command::new(app)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .env("RUST_LOG", "natter_desktop=info")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("natter starts"),
        );
        let out = child.0.stdout.take().expect("stdout");
        let answered = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            std::io::BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .any(|l| l.contains("startup answered") && l.contains("signed_in=true"))
        });
        let answered = tokio::time::timeout(Duration::from_secs(20), answered).await;
        assert!(matches!(answered, Ok(Ok(true))), "the app did not sign in");
        direct.push(t0.elapsed());
        drop(child);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let runs: Vec<String> = direct
        .iter()
        .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
        .collect();
    direct.sort();
    println!(
        "launch → startup answered (no WebDriver): median {:.0} ms (runs: {} ms)",
        direct[LAUNCHES / 2].as_secs_f64() * 1000.0,
        runs.join(", ")
    );

    let ui = driver.launch(app, &shots).await;
    ui.find("[data-conversation=\"C2Cbob\"]").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    report_memory("idle, conversation list", &driver_process);

    ui.click("[data-conversation=\"C2Cbob\"]").await;
    ui.find("[data-message]").await;
    let t0 = Instant::now();
    // Scroll to the top until the whole history is loaded.
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let done = ui
            .js(
                "const s = document.querySelector('.scroller'); s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); return s.dataset.hasOlder === 'false'",
                json!([]),
            )
            .await;
        if done == json!(true) {
            break;
        }
        assert!(Instant::now() < deadline, "history did not finish loading");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "scrolled back through {HISTORY} messages in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    ui.wait_js(
        "the first message",
        "return [...document.querySelectorAll('[data-message] .bubble')].some(b => b.textContent === 'message 0 of the long conversation')",
        json!([]),
    )
    .await;
    let rendered = ui
        .js(
            "return document.querySelectorAll('[data-message]').length",
            json!([]),
        )
        .await;
    println!("message rows in the DOM at the top of {HISTORY}: {rendered}");
    ui.screenshot("10k-top").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    report_memory(
        "10,000-message conversation scrolled to the top",
        &driver_process,
    );
    ui.close().await;
}

/// A 4000 × 3000 JPEG photo (12 MP) with detail, as a phone takes.
fn twelve_megapixel_jpeg(path: &Path) {
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 251) as u8])
    });
    img.save_with_format(path, image::ImageFormat::Jpeg)
        .expect("the test photo");
}

/// Times drop → thumbnail on screen, five times, in the open conversation with Bob.
async fn drop_to_thumbnail(ui: &webdriver::Session<'_>, dir: &Path) {
    let photo = dir.join("photo-12mp.jpg");
    twelve_megapixel_jpeg(&photo);
    ui.click("[data-conversation=\"C2Cbob\"]").await;
    ui.find("[data-message]").await;
    let mut runs = Vec::new();
    for _ in 0..LAUNCHES {
        let ms = ui
            .post(
                "/execute/async",
                json!({"script": "
                    const [path, done] = arguments;
                    const before = new Set([...document.querySelectorAll('[data-testid=image] img')]);
                    const t0 = performance.now();
                    const check = () => {
                      for (const img of document.querySelectorAll('[data-testid=image] img')) {
                        if (!before.has(img) && img.complete && img.naturalWidth > 0) {
                          requestAnimationFrame(() => done(performance.now() - t0));
                          return;
                        }
                      }
                      requestAnimationFrame(check);
                    };
                    check();
                    window.__TAURI_INTERNALS__.invoke('send_files', {to: 'bob', conversationType: 'C2C', paths: [path]});
                ", "args": [photo.to_string_lossy()]}),
            )
            .await;
        runs.push(ms.as_f64().unwrap_or(f64::NAN));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let shown: Vec<String> = runs.iter().map(|r| format!("{r:.0}")).collect();
    runs.sort_by(f64::total_cmp);
    println!(
        "drop → thumbnail on screen (12 MP JPEG): median {:.0} ms (runs: {} ms)",
        runs[LAUNCHES / 2],
        shown.join(", ")
    );
}

/// One voice note: click → recording → first level on screen, and the
/// app's memory before and while it records 10 s; then it is discarded.
async fn voice_recording(ui: &webdriver::Session<'_>, driver: &Guard) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = app_pss_kib(driver);
    ui.js(
        "window.__voice = {};
         new MutationObserver((_, observer) => {
           const now = performance.now();
           if (!window.__voice.recording && document.querySelector('[data-testid=stop-recording]:not([disabled])')) window.__voice.recording = now;
           const meter = document.querySelector('[data-testid=level-meter]');
           if (!window.__voice.level && meter && Number(meter.dataset.levels) > 0) { window.__voice.level = now; observer.disconnect(); }
         }).observe(document.body, {subtree: true, childList: true, attributes: true});
         window.__voice.clicked = performance.now();
         document.querySelector('[data-testid=record]').dispatchEvent(new PointerEvent('pointerdown', {bubbles: true, button: 0}));
         window.dispatchEvent(new PointerEvent('pointerup', {bubbles: true}));
         return true",
        json!([]),
    )
    .await;
    let times = ui
        .wait_js(
            "the first level drawn",
            "const v = window.__voice; return v.level ? [v.recording - v.clicked, v.level - v.clicked] : null",
            json!([]),
        )
        .await;
    let mut peak = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(app_pss_kib(driver));
    }
    ui.click("[data-testid=stop-recording]").await;
    ui.find("[data-testid=voice-preview]").await;
    ui.click("[data-testid=discard-recording]").await;
    println!(
        "voice: click → recording {:.0} ms, → first level drawn {:.0} ms; PSS {:.1} MiB before, {:.1} MiB at most while recording 10 s (+{:.1} MiB)",
        times[0].as_f64().unwrap_or_default(),
        times[1].as_f64().unwrap_or_default(),
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak as f64 - before as f64) / 1024.0
    );
}
