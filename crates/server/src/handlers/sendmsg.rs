//! `openim.sendmsg`: one C2C message.
//!
//! Order of work: validate → store durably (idempotent on sender, receiver,
//! `MsgRandom` and `MsgSeq`; without a `MsgSeq`, on sender, receiver and
//! `MsgRandom` within `c2c_dedupe_window_secs`, which is what a REST client
//! retrying after a timeout sends) → reply → push to the receiver's sessions
//! and the sender's other sessions. A resend of a stored message returns the
//! first result and pushes nothing.
//!
//! The sender's nickname and avatar come from the sender's profile; what a
//! client puts in `From_AccountNick` / `From_AccountHeadurl` is ignored, so
//! nobody can appear under another's name.

use std::sync::Arc;

use natter_proto::element::{validate_body, Element};
use natter_proto::ids::SYSTEM_CONVERSATION;
use natter_proto::{codes, MsgItem, UserId};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{c2c_push, check_send_msg_control, check_u32, now, parse};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};
use crate::store::{C2cDedupe, Sent};

/// Request fields (Tencent REST names; the Web SDK sends the same over WebSocket).
#[derive(Debug, Deserialize)]
pub struct SendMsgRequest {
    #[serde(rename = "From_Account", default)]
    pub from_account: Option<String>,
    #[serde(rename = "To_Account")]
    pub to_account: Value,
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: Option<u64>,
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: Option<u64>,
    #[serde(rename = "MsgBody")]
    pub msg_body: Value,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
    #[serde(rename = "MsgLifeTime", default)]
    pub msg_life_time: Option<u64>,
    #[serde(rename = "SendMsgControl", default)]
    pub send_msg_control: Vec<String>,
    #[serde(rename = "MsgClientTime", default)]
    pub msg_client_time: Option<u64>,
    #[serde(rename = "IsNeedReadReceipt", default)]
    pub is_need_read_receipt: u32,
    #[serde(rename = "SupportMessageExtension", default)]
    pub support_message_extension: u32,
    #[serde(rename = "SyncOtherMachine", default)]
    pub sync_other_machine: Option<u32>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: SendMsgRequest = parse(body, codes::MSG_FORMAT_MISMATCH)?;
    let to = match &req.to_account {
        Value::String(s) => s.clone(),
        _ => {
            return Err(ServerError::bad_request(
                codes::TO_ACCOUNT_INVALID,
                "To_Account must be a string",
            ))
        }
    };
    let sent = send_c2c(state, caller, &req, &to).await?;
    Ok(
        json!({"MsgTime": sent.item.msg_time_stamp, "MsgSeq": sent.item.msg_seq, "MsgKey": sent.item.c2c_msg_key()}),
    )
}

/// Parses and checks `MsgBody` with Tencent's codes (90007 not an array, 90002 invalid, 80002 too long).
pub fn parse_body(raw: &Value, cloud_custom_data: &str) -> Result<Vec<Element>> {
    if !raw.is_array() {
        return Err(ServerError::bad_request(
            codes::MSG_BODY_NOT_ARRAY,
            "MsgBody must be an array",
        ));
    }
    let body: Vec<Element> = serde_json::from_value(raw.clone()).map_err(|e| {
        ServerError::bad_request(
            codes::MSG_BODY_INVALID,
            format!("MsgBody is not valid: {e}"),
        )
    })?;
    validate_body(&body, cloud_custom_data)?;
    Ok(body)
}

/// Sends one C2C message from the caller (or, for the admin, `From_Account`) to `to`.
pub async fn send_c2c(
    state: &AppState,
    caller: &Caller,
    req: &SendMsgRequest,
    to: &str,
) -> Result<Sent> {
    let from = match (&req.from_account, caller.is_admin) {
        (Some(f), true) if !f.is_empty() => f.clone(),
        (Some(f), false) if !f.is_empty() && *f != caller.user => {
            return Err(ServerError::bad_request(
                codes::REQUEST_INVALID,
                "From_Account must be the logged-in user",
            ))
        }
        _ => caller.user.clone(),
    };
    if to == SYSTEM_CONVERSATION {
        return Err(natter_proto::ProtoError::SystemConversation.into());
    }
    let not_registered = if caller.is_admin {
        codes::TO_ACCOUNT_NOT_REGISTERED
    } else {
        codes::INVALID_IDENTIFIER
    };
    UserId::new(to).map_err(|_| {
        ServerError::bad_request(not_registered, format!("invalid To_Account {to:?}"))
    })?;
    check_u32("MsgRandom", req.msg_random, codes::MSG_RANDOM_INVALID)?;
    check_u32("MsgSeq", req.msg_seq, codes::JSON_PARSE_FAILED)?;
    check_u32(
        "MsgClientTime",
        req.msg_client_time,
        codes::JSON_PARSE_FAILED,
    )?;
    check_send_msg_control(&req.send_msg_control, codes::JSON_PARSE_FAILED)?;
    let mut msg_body = parse_body(&req.msg_body, &req.cloud_custom_data)?;
    state.media.urls.strip_tokens(&mut msg_body);
    if matches!(req.msg_life_time, Some(t) if t > natter_proto::limits::MAX_MSG_LIFETIME) {
        return Err(ServerError::bad_request(
            codes::MSG_LIFETIME_INVALID,
            "MsgLifeTime is at most 604800",
        ));
    }
    let random = match (req.msg_random, caller.is_admin) {
        (Some(r), _) => r,
        (None, true) => {
            return Err(ServerError::bad_request(
                codes::MSG_RANDOM_INVALID,
                "MsgRandom is required",
            ))
        }
        (None, false) => rand::rng().random_range(0..100_000_000),
    };

    let users = state.users(&[from.clone(), to.to_owned()]).await?;
    let sender = users
        .iter()
        .find(|u| u.user_id == from)
        .ok_or_else(|| ServerError::UnknownAccount(from.clone()))?;
    if !users.iter().any(|u| u.user_id == to) {
        return Err(ServerError::bad_request(
            not_registered,
            format!("account {to} does not exist"),
        ));
    }

    let time = now();
    let item = MsgItem {
        from_account: from.clone(),
        to_account: Some(to.to_owned()),
        to_group_id: None,
        group_info: None,
        msg_seq: req
            .msg_seq
            .unwrap_or_else(|| rand::rng().random_range(1..u64::from(u32::MAX))),
        msg_random: random,
        msg_time_stamp: time,
        msg_client_time: req.msg_client_time.filter(|t| *t > 0).unwrap_or(time),
        tiny_id: sender.tiny_id.to_string(),
        msg_key: String::new(),
        client_seq: 0,
        msg_priority: String::new(),
        from_account_nick: sender.nick.clone(),
        from_account_headurl: sender.face_url.clone(),
        cloud_custom_data: req.cloud_custom_data.clone(),
        msg_body,
        group_at_info: Vec::new(),
        online_only_flag: 0,
        send_msg_control: req.send_msg_control.clone(),
        need_read_receipt: req.is_need_read_receipt,
        support_message_extension: req.support_message_extension,
    };

    let online_only = req.msg_life_time == Some(0);
    let sent = if online_only {
        // Online-only: never stored, delivered to whoever is connected now.
        let mut item = item;
        item.online_only_flag = 1;
        item.msg_key = item.c2c_msg_key();
        Sent {
            item,
            duplicate: false,
        }
    } else {
        let dedupe = match req.msg_seq {
            Some(_) => C2cDedupe::Exact,
            None => C2cDedupe::RandomSince(
                time.saturating_sub(state.config.limits.c2c_dedupe_window_secs),
            ),
        };
        state.store.store_c2c(item, dedupe).await?
    };
    if !sent.duplicate {
        let body = c2c_push(state, &[&sent.item]);
        let sync_sender = req.sync_other_machine != Some(2);
        let targets: Arc<[String]> = if sync_sender && from != to {
            vec![to.to_owned(), from].into()
        } else {
            vec![to.to_owned()].into()
        };
        state.push(targets, caller.conn, natter_proto::wire::PUSH_MSG, body);
    }
    Ok(sent)
}
