//! End to end: the real `natter` binary in a virtual X display (Xvfb),
//! driven through WebKitWebDriver, against a real natter-server started
//! here, with a natter-sdk client as the other user. Screenshots of every
//! step go to `<target>/tmp/e2e-screenshots/` for people to look at.
//!
//! Needs `Xvfb` and `WebKitWebDriver` (packages `xvfb`, `webkit2gtk-driver`;
//! `scripts/setup` installs them) and the UI built into `ui/dist`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use natter_sdk::Event;
use natter_system_tests::{Client, TestServer};
use serde_json::{json, Value};

/// How long the UI may take to show something.
const UI_WAIT: Duration = Duration::from_secs(20);
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const ENTER: &str = "\u{E007}";

/// A child process killed when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn require(binary: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{binary} is missing: install the `{package}` package (scripts/setup does)"
    );
}

/// Starts Xvfb on the first free display number; returns it with its guard.
fn start_xvfb() -> (String, Guard) {
    for n in 90..140 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            || Path::new(&format!("/tmp/.X{n}-lock")).exists()
        {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let guard = Guard(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return (display, guard);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("Xvfb did not open display {display}");
    }
    panic!("no free X display number");
}

/// A minimal W3C WebDriver client over HTTP.
struct Driver {
    http: reqwest::Client,
    base: String,
}

struct Session<'a> {
    driver: &'a Driver,
    url: String,
    shots: PathBuf,
}

impl Driver {
    async fn call(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: not JSON: {e}"));
        reply["value"].clone()
    }

    /// Waits for the driver to accept connections.
    async fn wait_ready(&self) {
        let deadline = Instant::now() + UI_WAIT;
        while self
            .http
            .get(format!("{}/status", self.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "WebKitWebDriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Launches the app; the session ends (and the app quits) on `close`.
    async fn launch<'a>(&'a self, app: &Path, shots: &Path) -> Session<'a> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "webkitgtk:browserOptions": {"binary": app, "args": []}}}});
        let deadline = Instant::now() + UI_WAIT;
        loop {
            let reply = self
                .call(
                    reqwest::Method::POST,
                    &format!("{}/session", self.base),
                    Some(caps.clone()),
                )
                .await;
            if let Some(id) = reply["sessionId"].as_str() {
                return Session {
                    driver: self,
                    url: format!("{}/session/{id}", self.base),
                    shots: shots.to_owned(),
                };
            }
            assert!(Instant::now() < deadline, "no WebDriver session: {reply}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("{}{path}", self.url),
                Some(body),
            )
            .await
    }

    async fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Waits until `script` (a function body) returns something truthy.
    async fn wait_js(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + UI_WAIT;
        loop {
            let v = self.js(script, args.clone()).await;
            if !(v.is_null() || v == json!(false) || v == json!("") || v.get("error").is_some()) {
                return v;
            }
            if Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!("timed out waiting for {what} (last: {v})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn find(&self, css: &str) -> String {
        self.wait_js(
            css,
            "return document.querySelector(arguments[0]) !== null",
            json!([css]),
        )
        .await;
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {v}"))
            .to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.post(&format!("/element/{id}/value"), json!({"text": text}))
            .await;
    }

    async fn screenshot(&self, name: &str) {
        let v = self
            .driver
            .call(
                reqwest::Method::GET,
                &format!("{}/screenshot", self.url),
                None,
            )
            .await;
        if let Some(png) = v
            .as_str()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        {
            let _ = std::fs::write(self.shots.join(format!("{name}.png")), png);
        }
    }

    async fn close(self) {
        self.driver
            .call(reqwest::Method::DELETE, &self.url, None)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_chats_through_the_real_app() {
    require("Xvfb", "xvfb");
    require("WebKitWebDriver", "webkit2gtk-driver");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let server = TestServer::start().await;
    let (display, _xvfb) = start_xvfb();
    let profile = tempfile::tempdir().unwrap();
    let port = free_port();
    let _webdriver = Guard(
        Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .env("DISPLAY", &display)
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            // The app's profile (settings, kept UserSig) lives here.
            .env("XDG_DATA_HOME", profile.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("WebKitWebDriver starts"),
    );
    let driver = Driver {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
    };
    driver.wait_ready().await;
    let app = Path::new(env!("CARGO_BIN_EXE_natter"));
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

    // 2. Bob writes; the conversation appears with an unread badge.
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
    ui.screenshot("03-unread-badge").await;

    // 3. Alice opens it and replies; Bob's client receives the reply.
    ui.click("[data-conversation=\"C2Cbob\"]").await;
    ui.wait_js(
        "bob's message in the chat",
        "return [...document.querySelectorAll('[data-message] .bubble')].some(b => b.textContent === \"hi alice, it's bob\")",
        json!([]),
    )
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
    ui.screenshot("04-replied").await;

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
    ui.close().await;
    eprintln!("screenshots: {}", shots.display());
}
