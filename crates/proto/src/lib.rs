//! `natter-proto` — the vocabulary every Natter component shares.
//!
//! Everything here mirrors Tencent Cloud Chat so that tools written for that
//! API (and Tencent's own Web SDK) can talk to Natter unchanged:
//!
//! * [`element`] — the `MsgBody` element types with their exact REST field names;
//! * [`message`] — the wire message item and the Web SDK `Message` shape handed to UIs;
//! * [`ids`] — user, group and conversation identifiers and their rules;
//! * [`types`] — the `TencentCloudChat.TYPES` constants with their exact values;
//! * [`error`] — Tencent's numeric error codes and this crate's error type;
//! * [`limits`] — body size, @ list and other limits;
//! * [`usersig`] — TLSSigAPIv2 UserSig generation and verification;
//! * [`wire`] — the `{head, body}` WebSocket envelope of the Web SDK protocol.

pub mod element;
pub mod error;
pub mod ids;
pub mod limits;
pub mod message;
pub mod types;
pub mod usersig;
pub mod wire;

pub use element::{Element, MsgBody};
pub use error::{codes, ProtoError};
pub use ids::{ConversationId, GroupId, UserId};
pub use message::{Message, MsgItem};
