//! `natter-desktop`: the Tauri shell. The UI (`ui/`) calls the commands in
//! [`commands`]; they adapt [`desktop::Desktop`], which sits on natter-sdk
//! and, when no server is configured, a natter-server built into the app.

pub mod commands;
pub mod desktop;
pub mod error;
mod links;
pub mod media;
mod notifications;
pub mod settings;
pub mod view;
pub mod voice;

use std::path::Path;

use desktop::{AppEvent, Desktop, FileDrag};
use natter_sdk::Event;
use sha2::{Digest, Sha256};
use tauri::{AppHandle, DragDropEvent, Manager, WindowEvent};

/// The commands the UI may call (each is also granted in `capabilities/`).
#[macro_export]
macro_rules! natter_commands {
    () => {
        tauri::generate_handler![
            $crate::commands::startup,
            $crate::commands::sign_in,
            $crate::commands::session,
            $crate::commands::sign_out,
            $crate::commands::get_message_list,
            $crate::commands::send_text,
            $crate::commands::send_files,
            $crate::commands::attach_files,
            $crate::commands::send_pasted_image,
            $crate::commands::cancel_upload,
            $crate::commands::start_recording,
            $crate::commands::stop_recording,
            $crate::commands::cancel_recording,
            $crate::commands::send_voice,
            $crate::commands::voice_waveform,
            $crate::commands::download_file,
            $crate::commands::show_in_folder,
            $crate::commands::resend_message,
            $crate::commands::mark_read,
            $crate::commands::find_user,
            $crate::commands::create_group,
            $crate::commands::add_group_members,
            $crate::commands::group_members,
            $crate::commands::open_link,
        ]
    };
}

/// The D-Bus name that makes the app single-instance per user profile: one
/// per data folder, so two profiles (or a test's) can run side by side.
fn instance_name(identifier: &str, data_dir: &Path) -> String {
    let digest = Sha256::digest(data_dir.to_string_lossy().as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{identifier}.p{hex}")
}

fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Notifies about incoming messages while the main window is not focused,
/// and takes a conversation's notification away once it has been read, and
/// all of them once their user's session ends.
fn spawn_notifier(app: AppHandle) {
    let mut events = app.state::<Desktop>().events();
    tauri::async_runtime::spawn(async move {
        let clicked = app.clone();
        let notifier = notifications::Notifier::connect(move |conversation_id| {
            clicked
                .state::<Desktop>()
                .open_conversation(&conversation_id);
            show_main_window(&clicked);
        })
        .await;
        let notifier = match notifier {
            Ok(notifier) => notifier,
            Err(e) => {
                tracing::info!("no system notifications: {e}");
                return;
            }
        };
        loop {
            let messages = match events.recv().await.map(|e| e.event) {
                Some(AppEvent::Chat(Event::MessageReceived(messages))) => messages,
                Some(AppEvent::Chat(Event::ConversationListUpdated(list))) => {
                    notifier.withdraw_read(&list).await;
                    continue;
                }
                Some(AppEvent::SignedOut | AppEvent::Chat(Event::KickedOut(_))) => {
                    notifier.withdraw_all().await;
                    continue;
                }
                Some(_) => continue,
                None => return,
            };
            let focused = app
                .get_webview_window("main")
                .and_then(|w| w.is_focused().ok())
                .unwrap_or(false);
            if focused {
                continue;
            }
            if let Some((title, body, conversation_id)) = notifications::summary(&messages) {
                if let Err(e) = notifier.show(&title, &body, &conversation_id).await {
                    tracing::info!("notification not shown: {e}");
                }
            }
        }
    });
}

/// Where the app's page is served from (Linux and macOS; Windows).
const APP_ORIGINS: [&str; 2] = ["tauri://localhost", "http://tauri.localhost"];

/// Answers the page's `natter-media:` requests (see `media.rs`).
/// The app's own page may read the answers with `fetch` (a voice bubble
/// plays its file as a blob: WebKitGTK's media player cannot load a custom
/// scheme); no other origin may.
fn media_response(
    result: error::Result<media::MediaResponse>,
    origin: Option<String>,
) -> tauri::http::Response<Vec<u8>> {
    let (status, content_type, content_range, body) = match result {
        Ok(r) => (r.status, r.content_type, r.content_range, r.body),
        Err(e) => {
            let status = match &e {
                error::DesktopError::Sdk(natter_sdk::SdkError::Http { status, .. }) => *status,
                error::DesktopError::NotSignedIn => 403,
                _ => 500,
            };
            tracing::debug!("natter-media request refused: {e}");
            (
                status,
                "text/plain".to_owned(),
                None,
                e.to_string().into_bytes(),
            )
        }
    };
    let mut builder = tauri::http::Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .header("X-Content-Type-Options", "nosniff")
        .header("Accept-Ranges", "bytes");
    if let Some(range) = content_range {
        builder = builder.header("Content-Range", range);
    }
    if let Some(origin) = origin.filter(|o| APP_ORIGINS.contains(&o.as_str())) {
        builder = builder
            .header("Access-Control-Allow-Origin", origin)
            .header("Vary", "Origin");
    }
    builder
        .body(body)
        .unwrap_or_else(|_| tauri::http::Response::new(b"cannot build the response".to_vec()))
}

/// Files dragged over the window: the page shows where they go and, on a
/// drop, sends the paths back with the conversation they were dropped on.
fn on_window_event(window: &tauri::Window, event: &WindowEvent) {
    let WindowEvent::DragDrop(drag) = event else {
        return;
    };
    let scale = window.scale_factor().unwrap_or(1.0);
    let at = |p: &tauri::PhysicalPosition<f64>| (p.x / scale, p.y / scale);
    let drag = match drag {
        DragDropEvent::Enter { position, .. } | DragDropEvent::Over { position } => {
            let (x, y) = at(position);
            FileDrag::Over { x, y }
        }
        DragDropEvent::Drop { paths, position } => {
            let (x, y) = at(position);
            FileDrag::Dropped {
                paths: paths.clone(),
                x,
                y,
            }
        }
        _ => FileDrag::Left,
    };
    window.state::<Desktop>().file_drag(drag);
}

/// Whether the machine has a GPU that renders: a DRM render node.
#[cfg(target_os = "linux")]
fn has_render_node() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Without a GPU, WebKit's GPU compositing runs on Mesa's software
/// rasteriser (llvmpipe): GL buffers and shaders emulated on the CPU, which
/// cost this app 60–75 MiB of PSS (docs/benchmarks.md) and are no faster
/// than painting on the CPU. So on such machines compositing is turned off,
/// as browsers do on software GL. A `WEBKIT_DISABLE_COMPOSITING_MODE` the user set is left
/// alone.
///
/// Must run before GTK and WebKit start, while the process has one thread
/// (the variable is read by WebKit and inherited by its processes).
#[cfg(target_os = "linux")]
fn choose_compositing() {
    const VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VARIABLE).is_none() && !has_render_node() {
        std::env::set_var(VARIABLE, "1");
        tracing::info!("no GPU render node: WebKit paints without GPU compositing");
    }
}

/// Starts the app (blocks until the last window closes).
pub fn run() {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    #[cfg(target_os = "linux")]
    choose_compositing();
    let context = tauri::generate_context!("../tauri.conf.json");
    let data_dir = Desktop::default_data_dir();
    let single_instance = tauri_plugin_single_instance::Builder::new()
        .dbus_id(instance_name(&context.config().identifier, &data_dir))
        .callback(|app, _argv, _cwd| show_main_window(app))
        .build();
    let result = tauri::Builder::default()
        .plugin(single_instance)
        .manage(Desktop::new(data_dir))
        .setup(|app| {
            // WebKit takes a few hundred milliseconds to start the page;
            // sign in with the kept UserSig meanwhile.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<Desktop>().sign_in_at_launch().await;
            });
            spawn_notifier(app.handle().clone());
            Ok(())
        })
        .on_window_event(on_window_event)
        .register_asynchronous_uri_scheme_protocol("natter-media", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let origin = request
                .headers()
                .get("origin")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let request = media::MediaRequest {
                uri: request.uri().to_string(),
                range: request
                    .headers()
                    .get("range")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            };
            tauri::async_runtime::spawn(async move {
                let result = app.state::<Desktop>().media(request).await;
                responder.respond(media_response(result, origin));
            });
        })
        .invoke_handler(natter_commands!())
        .run(context);
    if let Err(e) = result {
        eprintln!("natter: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_are_valid_dbus_names_per_profile() {
        let a = instance_name(
            "chat.natter.desktop",
            Path::new("/home/a/.local/share/natter"),
        );
        let b = instance_name(
            "chat.natter.desktop",
            Path::new("/home/b/.local/share/natter"),
        );
        assert_ne!(a, b);
        assert_eq!(
            a,
            instance_name(
                "chat.natter.desktop",
                Path::new("/home/a/.local/share/natter")
            )
        );
        for element in a.split('.') {
            assert!(!element.is_empty() && !element.starts_with(|c: char| c.is_ascii_digit()));
            assert!(element
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
    }
}
