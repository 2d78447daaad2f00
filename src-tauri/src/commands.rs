//! Tauri commands: thin adapters from the UI to [`Desktop`]. Kept out of
//! `lib.rs` (commands at the crate root clash with generated items).

use tauri::ipc::Channel;
use tauri::State;

use crate::desktop::{Desktop, HistoryPage, Session, SignInRequest};
use crate::error::Result;
use natter_sdk::{Conversation, Message};

#[tauri::command]
pub async fn sign_in(desktop: State<'_, Desktop>, request: SignInRequest) -> Result<Session> {
    desktop.sign_in(request).await
}

#[tauri::command]
pub async fn list_conversations(desktop: State<'_, Desktop>) -> Result<Vec<Conversation>> {
    desktop.conversations().await
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
) -> Result<Message> {
    desktop
        .send_text(&to, &conversation_type, &text, &at_user_list)
        .await
}

#[tauri::command]
pub async fn mark_read(desktop: State<'_, Desktop>, conversation_id: String) -> Result<()> {
    desktop.mark_read(&conversation_id).await
}

/// Live events reach the UI through a channel, not global events.
#[tauri::command]
pub async fn subscribe(
    desktop: State<'_, Desktop>,
    channel: Channel<serde_json::Value>,
) -> Result<()> {
    desktop
        .subscribe(move |event| channel.send(event).is_ok())
        .await
}
