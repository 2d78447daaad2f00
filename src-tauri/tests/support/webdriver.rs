//! Running the real app for tests and benchmarks: a virtual X display
//! (Xvfb), WebKit's WebDriver with the app as its browser, and a minimal
//! W3C WebDriver client over HTTP. Included by `tests/e2e.rs` and
//! `benches/desktop.rs` with `#[path]`.

#![allow(dead_code)] // each includer uses a different part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, InputFocus, MapState};

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
    /// The X display the apps it launches run on.
    pub display: String,
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

    /// Writes `<shots>/<name>.png`: the app's window as the X server shows
    /// it. (Not WebDriver's screenshot: WebKitGTK 2.50 never answers it when
    /// GPU compositing is off, as it is on machines without a GPU.)
    pub async fn screenshot(&self, name: &str) {
        // Let the page paint what the step changed before reading the screen.
        self.post(
            "/execute/async",
            json!({"script": "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)))", "args": []}),
        )
        .await;
        let path = self.shots.join(format!("{name}.png"));
        let display = self.driver.display.clone();
        let written = tokio::task::spawn_blocking(move || capture_window(&display, &path)).await;
        if let Ok(Err(e)) | Err(e) = written.map_err(|e| e.to_string()) {
            eprintln!("screenshot {name}: {e}");
        }
    }

    pub async fn close(self) {
        self.driver
            .call(reqwest::Method::DELETE, &self.url, None)
            .await;
    }
}

/// Moves the pointer to (`x`, `y`) on `display` as a user would. Keyboard
/// focus is first handed back to X's default, the window under the pointer
/// (there is no window manager; typing through WebDriver focuses the app
/// explicitly), so the app's window is focused exactly while the pointer
/// is over it.
pub fn point_at(display: &str, x: i16, y: i16) {
    let moved = (|| -> Result<(), String> {
        let (conn, screen) = x11rb::connect(Some(display)).map_err(|e| e.to_string())?;
        let root = conn.setup().roots[screen].root;
        let pointer_root = u32::from(InputFocus::POINTER_ROOT);
        // `check` waits for the server to have done each request.
        conn.set_input_focus(InputFocus::POINTER_ROOT, pointer_root, x11rb::CURRENT_TIME)
            .map_err(|e| e.to_string())?
            .check()
            .map_err(|e| e.to_string())?;
        conn.warp_pointer(x11rb::NONE, root, 0, 0, 0, 0, x, y)
            .map_err(|e| e.to_string())?
            .check()
            .map_err(|e| e.to_string())?;
        Ok(())
    })();
    if let Err(e) = moved {
        panic!("moving the pointer on {display}: {e}");
    }
}

/// Saves the largest window shown on `display` as a PNG (the whole screen
/// when none is shown).
pub fn capture_window(display: &str, path: &Path) -> Result<(), String> {
    let (conn, screen) = x11rb::connect(Some(display)).map_err(|e| e.to_string())?;
    let root = conn.setup().roots[screen].clone();
    let mut area = (0, 0, root.width_in_pixels, root.height_in_pixels);
    let tree = conn
        .query_tree(root.root)
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    let mut largest = 0;
    for window in tree.children {
        let viewable = conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE);
        let Some(g) = conn.get_geometry(window).ok().and_then(|c| c.reply().ok()) else {
            continue;
        };
        let size = u32::from(g.width) * u32::from(g.height);
        if viewable && size > largest && g.x >= 0 && g.y >= 0 {
            largest = size;
            // Clipped to the screen: GetImage fails outside it.
            let (x, y) = (g.x as u16, g.y as u16);
            let width = g.width.min(root.width_in_pixels.saturating_sub(x));
            let height = g.height.min(root.height_in_pixels.saturating_sub(y));
            area = (x as i16, y as i16, width, height);
        }
    }
    let (x, y, width, height) = area;
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, root.root, x, y, width, height, !0)
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    // Xvfb's 24-bit screens use 32 bits per pixel, blue first.
    let pixels = usize::from(width) * usize::from(height);
    if image.depth != 24 || image.data.len() != pixels * 4 {
        return Err(format!(
            "unexpected image format: depth {}, {} bytes for {pixels} pixels",
            image.depth,
            image.data.len()
        ));
    }
    let rgb: Vec<u8> = image
        .data
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut encoder = png::Encoder::new(
        std::io::BufWriter::new(file),
        u32::from(width),
        u32::from(height),
    );
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&rgb))
        .map_err(|e| e.to_string())
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
    let display = env
        .iter()
        .find(|(k, _)| k == "DISPLAY")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let driver = Driver {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
        display,
    };
    driver.wait_ready().await;
    (driver, guard)
}
