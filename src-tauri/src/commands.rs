//! Tauri commands: thin adapters from the UI to [`Desktop`]. Kept out of
//! `lib.rs` (commands at the crate root clash with generated items).
//! Every command here is listed in `build.rs` (the app manifest) and granted
//! in `capabilities/default.json`; nothing else is callable from the UI.

use tauri::ipc::Channel;
use tauri::State;

use std::path::PathBuf;

use crate::desktop::{Desktop, GroupMember, SentFiles, SessionInfo, SignInRequest, Startup};
use crate::error::Result;
use crate::view::{event_json, HistoryPage, MessageView};

/// The page's first call: from now on live events (messages, statuses,
/// conversation updates, connection state) go to `events`, for as long as
/// the page lives, across sign-ins. Answers with the remembered settings
/// and the session, if the kept UserSig still works, as of after the
/// subscription, so the page misses no change.
#[tauri::command]
pub async fn startup(
    desktop: State<'_, Desktop>,
    events: Channel<serde_json::Value>,
) -> Result<Startup> {
    forward_events(&desktop, events);
    let startup = desktop.startup().await;
    // The UI asks for this once its page runs; the desktop bench times launches up to this line.
    tracing::info!(signed_in = startup.session.is_some(), "startup answered");
    Ok(startup)
}

#[tauri::command]
pub async fn sign_in(desktop: State<'_, Desktop>, request: SignInRequest) -> Result<SessionInfo> {
    desktop.sign_in(request).await
}

/// The session as of now, for a page that must start over from a snapshot
/// (after a `resync` event).
#[tauri::command]
pub async fn session(desktop: State<'_, Desktop>) -> Result<SessionInfo> {
    desktop.session().await
}

#[tauri::command]
pub async fn sign_out(desktop: State<'_, Desktop>) -> Result<()> {
    desktop.sign_out().await
}

#[tauri::command]
pub async fn get_message_list(
    desktop: State<'_, Desktop>,
    conversation_id: String,
    next_req_message_id: Option<String>,
) -> Result<HistoryPage> {
    desktop
        .history(&conversation_id, next_req_message_id.as_deref())
        .await
}

#[tauri::command]
pub async fn send_text(
    desktop: State<'_, Desktop>,
    to: String,
    conversation_type: String,
    text: String,
    at_user_list: Vec<String>,
) -> Result<MessageView> {
    desktop
        .send_text(&to, &conversation_type, &text, &at_user_list)
        .await
}

/// Sends files by path (a drop on the window, or the attach dialog):
/// images, videos and other files become those messages, queued in order.
#[tauri::command]
pub async fn send_files(
    desktop: State<'_, Desktop>,
    to: String,
    conversation_type: String,
    paths: Vec<PathBuf>,
) -> Result<SentFiles> {
    desktop.send_files(&to, &conversation_type, &paths).await
}

/// Opens the system's file dialog and sends what the user picks (nothing
/// if the dialog is cancelled).
#[tauri::command]
pub async fn attach_files(
    desktop: State<'_, Desktop>,
    to: String,
    conversation_type: String,
) -> Result<SentFiles> {
    let picked = rfd::AsyncFileDialog::new()
        .set_title("Send files")
        .pick_files()
        .await
        .unwrap_or_default();
    let paths: Vec<PathBuf> = picked.iter().map(|f| f.path().to_owned()).collect();
    desktop.send_files(&to, &conversation_type, &paths).await
}

/// Sends an image pasted into the composer. The body is the image's raw
/// bytes (no JSON); `to`, `conversation-type` and `content-type` come as
/// headers.
#[tauri::command]
pub async fn send_pasted_image(
    desktop: State<'_, Desktop>,
    request: tauri::ipc::Request<'_>,
) -> Result<SentFiles> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(crate::error::DesktopError::from(
            natter_sdk::SdkError::Media {
                code: natter_proto::codes::FILE_EMPTY,
                message: "the pasted image has no bytes".into(),
            },
        ));
    };
    desktop
        .send_pasted_image(
            &header("to"),
            &header("conversation-type"),
            bytes,
            &header("content-type"),
        )
        .await
}

/// Starts recording a voice note (the default microphone, or `device`);
/// returns once the microphone is running. Levels arrive as
/// `recordingLevel` events; a recording that ends by itself (60 s, a lost
/// microphone) sends `recordingEnded`.
#[tauri::command]
pub async fn start_recording(
    desktop: State<'_, Desktop>,
    device: Option<String>,
) -> Result<crate::voice::RecordingStarted> {
    desktop.start_recording(device).await
}

/// Ends the recording; returns the note (duration, waveform) for the preview.
#[tauri::command]
pub async fn stop_recording(desktop: State<'_, Desktop>) -> Result<crate::voice::VoiceNote> {
    desktop.stop_recording().await
}

/// Discards the recording, running or finished; leaves no file.
#[tauri::command]
pub async fn cancel_recording(desktop: State<'_, Desktop>) -> Result<()> {
    desktop.cancel_recording().await;
    Ok(())
}

/// Sends the finished voice note `id` as a sound message.
#[tauri::command]
pub async fn send_voice(
    desktop: State<'_, Desktop>,
    to: String,
    conversation_type: String,
    id: String,
) -> Result<MessageView> {
    desktop.send_voice(&to, &conversation_type, &id).await
}

/// The waveform (40 levels, 0–1) of the voice message behind a
/// `natter-media:` URL.
#[tauri::command]
pub async fn voice_waveform(desktop: State<'_, Desktop>, src: String) -> Result<Vec<f32>> {
    desktop.voice_waveform(&src).await
}

/// Stops the upload of a media message (it becomes failed; resend resumes it).
#[tauri::command]
pub async fn cancel_upload(desktop: State<'_, Desktop>, message_id: String) -> Result<bool> {
    desktop.cancel_upload(&message_id).await
}

/// Downloads a message's file to the Downloads folder; progress arrives as
/// `downloadProgress` events with `id`. Returns the saved file's path.
#[tauri::command]
pub async fn download_file(
    desktop: State<'_, Desktop>,
    id: String,
    url: String,
    file_name: String,
) -> Result<PathBuf> {
    desktop.download(&id, &url, &file_name).await
}

/// Shows a downloaded file in the system's file manager.
#[tauri::command]
pub fn show_in_folder(path: PathBuf) -> Result<()> {
    tauri_plugin_opener::reveal_item_in_dir(&path)
        .map_err(|e| crate::error::DesktopError::Opener(e.to_string()))
}

#[tauri::command]
pub async fn resend_message(
    desktop: State<'_, Desktop>,
    message_id: String,
) -> Result<MessageView> {
    desktop.resend(&message_id).await
}

#[tauri::command]
pub async fn mark_read(desktop: State<'_, Desktop>, conversation_id: String) -> Result<()> {
    desktop.mark_read(&conversation_id).await
}

#[tauri::command]
pub async fn find_user(desktop: State<'_, Desktop>, user_id: String) -> Result<String> {
    desktop.find_user(&user_id).await
}

#[tauri::command]
pub async fn create_group(
    desktop: State<'_, Desktop>,
    name: String,
    group_type: String,
    members: Vec<String>,
) -> Result<String> {
    desktop.create_group(&name, &group_type, &members).await
}

#[tauri::command]
pub async fn add_group_members(
    desktop: State<'_, Desktop>,
    group_id: String,
    members: Vec<String>,
) -> Result<Vec<String>> {
    desktop.add_group_members(&group_id, &members).await
}

#[tauri::command]
pub async fn group_members(
    desktop: State<'_, Desktop>,
    group_id: String,
) -> Result<Vec<GroupMember>> {
    desktop.group_members(&group_id).await
}

/// Sends every app event to the page's channel until the page is gone.
fn forward_events(desktop: &Desktop, channel: Channel<serde_json::Value>) {
    let mut events = desktop.events();
    tauri::async_runtime::spawn(async move {
        while let Some(e) = events.recv().await {
            if channel.send(event_json(&e)).is_err() {
                break;
            }
        }
    });
}

/// Opens an http(s) or mailto link from a message in the system browser.
#[tauri::command]
pub fn open_link(url: String) -> Result<()> {
    crate::links::open_in_browser(&url)
}
