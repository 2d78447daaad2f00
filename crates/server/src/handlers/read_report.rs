//! Read positions.
//!
//! * `openim.admin_set_msg_read` (REST, admin): `Report_Account` has read
//!   its C2C conversation with `Peer_Account` up to `MsgReadTime` (default now).
//! * `openim.set_c2c_msg_read` (WebSocket, Natter): the same for the caller.
//! * `group_open_http_svc.msg_read_report` (WebSocket, Natter): the caller
//!   has read group `GroupId` up to `MsgReadedSeq` (default: everything).
//! * `openim.get_peer_read_time` (Web SDK): how far peers have read my messages.
//!
//! Each change is pushed to the reader's other sessions as a conversation
//! update (`natter.conversation_read`) so their unread badges follow.

use std::sync::Arc;

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{load_group, now, parse, require_member, u32_field};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

/// Push telling a user's sessions that one of their conversations was read.
pub const PUSH_CONVERSATION_READ: &str = "natter.conversation_read";

#[derive(Debug, Deserialize)]
struct AdminRequest {
    #[serde(rename = "Report_Account")]
    report_account: String,
    #[serde(rename = "Peer_Account")]
    peer_account: String,
}

pub async fn admin_set_msg_read(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let time = u32_field(&body, "MsgReadTime", codes::REQUEST_INVALID)?.unwrap_or_else(now);
    let req: AdminRequest = parse(body, codes::REQUEST_INVALID)?;
    mark_c2c_read(state, None, &req.report_account, &req.peer_account, time).await?;
    Ok(json!({}))
}

pub async fn set_c2c_msg_read(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let peer = body
        .get("Peer_Account")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ServerError::bad_request(codes::REQUEST_INVALID, "Peer_Account is required")
        })?
        .to_owned();
    let time = u32_field(&body, "MsgReadTime", codes::REQUEST_INVALID)?.unwrap_or_else(now);
    mark_c2c_read(state, caller.conn, &caller.user, &peer, time).await?;
    Ok(json!({}))
}

async fn mark_c2c_read(
    state: &AppState,
    except: Option<crate::sessions::ConnId>,
    user: &str,
    peer: &str,
    time: u64,
) -> Result<()> {
    state.store.set_c2c_read(user, peer, time).await?;
    state.push(
        Arc::from(vec![user.to_owned()]),
        except,
        PUSH_CONVERSATION_READ,
        json!({"ConversationID": format!("C2C{peer}"), "ReadTime": time}),
    );
    Ok(())
}

pub async fn group_msg_read_report(
    state: &AppState,
    caller: &Caller,
    body: Value,
) -> Result<Value> {
    let group_id = body
        .get("GroupId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ServerError::bad_request(codes::GROUP_INVALID_PARAMETER, "GroupId is required")
        })?
        .to_owned();
    let group = load_group(state, &group_id).await?;
    require_member(state, caller, &group_id).await?;
    // Nothing past the newest message can have been read.
    let seq = u32_field(&body, "MsgReadedSeq", codes::GROUP_INVALID_PARAMETER)?
        .map_or(group.last_seq, |seq| seq.min(group.last_seq));
    state
        .store
        .set_group_read(&caller.user, &group_id, seq)
        .await?;
    state.push(
        Arc::from(vec![caller.user.clone()]),
        caller.conn,
        PUSH_CONVERSATION_READ,
        json!({"ConversationID": format!("GROUP{group_id}"), "ReadSeq": seq}),
    );
    Ok(json!({}))
}

/// Accounts one `get_peer_read_time` may ask about.
pub const MAX_PEERS_PER_READ_TIME_QUERY: usize = 100;

pub async fn get_peer_read_time(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let peers: Vec<String> = super::common::string_list(&body, "To_Account");
    if peers.len() > MAX_PEERS_PER_READ_TIME_QUERY {
        return Err(ServerError::bad_request(
            codes::REQUEST_INVALID,
            format!("at most {MAX_PEERS_PER_READ_TIME_QUERY} accounts per call"),
        ));
    }
    let convs = state.store.c2c_conversations(&caller.user).await?;
    let times: Vec<u64> = peers
        .iter()
        .map(|p| {
            convs
                .iter()
                .find(|c| &c.peer == p)
                .map_or(0, |c| c.peer_read_time)
        })
        .collect();
    Ok(json!({"ReadTime": times}))
}
