//! `natter-sdk` — a Rust twin of Tencent Cloud Chat's Web SDK message API,
//! speaking the same WebSocket protocol as the official SDK.
//!
//! ```no_run
//! # async fn demo() -> Result<(), natter_sdk::SdkError> {
//! use natter_sdk::{Chat, ChatOptions, SendOptions};
//! let chat = Chat::create(ChatOptions::new("ws://127.0.0.1:8080", 1_400_000_000));
//! let mut events = chat.events();
//! chat.login("alice", "<UserSig>").await?;
//! let mut msg = chat.create_text_message("bob", "C2C", "hello")?;
//! chat.send_message(&mut msg, &SendOptions::default()).await?;
//! # Ok(()) }
//! ```

pub mod account;
mod chat;
mod connection;
pub mod conversation;
pub mod error;
pub mod events;
pub mod outbox;
pub mod upload;

pub use chat::{
    websocket_base, Chat, ChatOptions, GroupMember, LocalPreview, MessageListPage, OnProgress,
    Profile, Progress, SendOptions, AUDIO_MAX_BYTES, FILE_MAX_BYTES, IMAGE_MAX_BYTES, PAGE_SIZE,
    VIDEO_MAX_BYTES,
};
pub use conversation::Conversation;
pub use error::SdkError;
pub use events::{Event, KickReason, NetState};
pub use natter_proto::{types, Message};
pub use outbox::{Outbox, OutboxEvent};
