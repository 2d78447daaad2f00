//! `openim.getmsg`: sync. The cookie is a position in the user's message
//! stream. Without a (valid) cookie the reply is the current position, no
//! messages, and the per-peer unread counts — offline messages then appear
//! through the conversation list and history, as in Tencent's login sync.
//! With a cookie the reply holds what arrived after it, oldest first;
//! `SyncFlag` 0 asks the client to call again at once, 2 means done.

use serde_json::{json, Value};

use super::common::outgoing;

use crate::error::Result;
use crate::state::{AppState, Caller};
use crate::store::SyncCursor;

/// Most messages per sync reply.
pub const SYNC_PAGE: usize = 100;

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let cookie = body
        .get("Cookie")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let unread: Vec<Value> = state
        .store
        .c2c_conversations(&caller.user)
        .await?
        .into_iter()
        .filter(|c| c.unread > 0)
        .map(|c| json!({"From_Account": c.peer, "UnreadCount": c.unread}))
        .collect();
    match SyncCursor::from_cookie(cookie) {
        None => {
            let head = state.store.sync_head().await?;
            Ok(
                json!({"Cookie": head.to_cookie(), "SyncFlag": 2, "MsgList": [], "C2CPairUnreadCount": unread}),
            )
        }
        Some(cursor) => {
            let batch = state.store.sync(&caller.user, cursor, SYNC_PAGE).await?;
            Ok(json!({
                "Cookie": batch.cursor.to_cookie(),
                "SyncFlag": if batch.complete { 2 } else { 0 },
                "MsgList": outgoing(state, &batch.items),
                "C2CPairUnreadCount": unread,
            }))
        }
    }
}
