//! Running the real app for tests and benchmarks: a virtual X display
//! (Xvfb), WebKit's WebDriver with the app as its browser, and a minimal
//! W3C WebDriver client over HTTP. Included by `tests/e2e.rs` and
//! `benches/desktop.rs` with `#[path]`.

#![allow(dead_code)] // each includer uses a different part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// How long the UI may take to show something.
pub const UI_WAIT: Duration = Duration::from_secs(20);
pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const ENTER: &str = "\u{E007}";

/// A child process killed when the test ends, however it ends.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn require(binary: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(binary).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{binary} is missing: install the `{package}` package (scripts/setup does)"
    );
}

/// Whether an X server holds display `n`: its lock file names a live process.
/// (A killed server leaves its lock and socket behind; Xvfb replaces both.)
fn display_in_use(n: u32) -> bool {
    std::fs::read_to_string(format!("/tmp/.X{n}-lock"))
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists())
}

/// Starts Xvfb on the first free display number; returns it with its guard.
pub fn start_xvfb() -> (String, Guard) {
    for n in 90..140 {
        if display_in_use(n) {
            continue;
        }
        let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
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
pub struct Driver {
    pub http: reqwest::Client,
    pub base: String,
}

pub struct Session<'a> {
    driver: &'a Driver,
    url: String,
    shots: PathBuf,
}

impl Driver {
    pub async fn call(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Value {
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
    pub async fn wait_ready(&self) {
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
    pub async fn launch<'a>(&'a self, app: &Path, shots: &Path) -> Session<'a> {
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
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("{}{path}", self.url),
                Some(body),
            )
            .await
    }

    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Waits until `script` (a function body) returns something truthy.
    pub async fn wait_js(&self, what: &str, script: &str, args: Value) -> Value {
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

    pub async fn find(&self, css: &str) -> String {
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

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.post(&format!("/element/{id}/value"), json!({"text": text}))
            .await;
    }

    pub async fn screenshot(&self, name: &str) {
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

    pub async fn close(self) {
        self.driver
            .call(reqwest::Method::DELETE, &self.url, None)
            .await;
    }
}

/// A private D-Bus session bus (what single-instance and notifications
/// talk to), with its address.
pub fn start_session_bus() -> (String, Guard) {
    use std::io::BufRead;
    let mut child = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon starts (package dbus-daemon)");
    let mut address = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = std::io::BufReader::new(out).read_line(&mut address);
    }
    let address = address.trim().to_owned();
    assert!(!address.is_empty(), "dbus-daemon printed no address");
    (address, Guard(child))
}

/// The environment the app runs in: the display, its profile (settings,
/// kept UserSig, built-in server data) under `data_home`, and the bus.
pub fn app_env(display: &str, data_home: &Path, bus: &str) -> Vec<(String, String)> {
    vec![
        ("DISPLAY".into(), display.into()),
        (
            "XDG_DATA_HOME".into(),
            data_home.to_string_lossy().into_owned(),
        ),
        ("DBUS_SESSION_BUS_ADDRESS".into(), bus.into()),
        ("RUST_LOG".into(), "warn".into()),
    ]
}

/// Starts WebKitWebDriver; the apps it launches get `env` (see [`app_env`]).
pub async fn start_driver(env: &[(String, String)]) -> (Driver, Guard) {
    let port = free_port();
    let guard = Guard(
        Command::new("WebKitWebDriver")
            .arg(format!("--port={port}"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .stdout(Stdio::null())
            .spawn()
            .expect("WebKitWebDriver starts"),
    );
    let driver = Driver {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
    };
    driver.wait_ready().await;
    (driver, guard)
}
