//! `group_open_http_svc.send_group_msg`: a message to a group.
//!
//! The group sequence is assigned inside the durable write, so it is gap-free
//! from 1. The push goes to every member's sessions except the sending
//! socket (which learns `MsgSeq`/`MsgTime` from the reply). A resend with the
//! same sender, `Random` and `ClientSeq` returns the first result. The
//! sender's nickname and avatar come from the sender's profile, never from
//! the request.

use natter_proto::element::validate_at_list;
use natter_proto::message::{GroupAtInfo, GroupInfoOfItem};
use natter_proto::{codes, types, GroupId, MsgItem, UserId};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{
    check_send_msg_control, check_u32, group_push, load_group, now, parse, require_member,
};
use super::sendmsg::parse_body;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};
use crate::store::Sent;

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupId")]
    group_id: String,
    #[serde(rename = "From_Account", default)]
    from_account: Option<String>,
    #[serde(rename = "Random", default)]
    random: Option<u64>,
    #[serde(rename = "ClientSeq", default)]
    client_seq: u64,
    #[serde(rename = "MsgPriority", default)]
    msg_priority: Option<String>,
    #[serde(rename = "MsgBody")]
    msg_body: Value,
    #[serde(rename = "CloudCustomData", default)]
    cloud_custom_data: String,
    #[serde(rename = "OnlineOnlyFlag", default)]
    online_only_flag: u32,
    #[serde(rename = "SendMsgControl", default)]
    send_msg_control: Vec<String>,
    #[serde(rename = "GroupAtInfo", default)]
    group_at_info: Vec<GroupAtInfo>,
    #[serde(rename = "MsgClientTime", default)]
    msg_client_time: Option<u64>,
    #[serde(rename = "NeedReadReceipt", default)]
    need_read_receipt: u32,
    #[serde(rename = "SupportMessageExtension", default)]
    support_message_extension: u32,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    let sent = send(state, caller, req).await?;
    Ok(json!({"MsgTime": sent.item.msg_time_stamp, "MsgSeq": sent.item.msg_seq}))
}

async fn send(state: &AppState, caller: &Caller, req: Request) -> Result<Sent> {
    GroupId::new(req.group_id.clone())?;
    let from = match (&req.from_account, caller.is_admin) {
        (Some(f), true) if !f.is_empty() => f.clone(),
        (Some(f), false) if !f.is_empty() && *f != caller.user => {
            return Err(ServerError::bad_request(
                codes::GROUP_INVALID_PARAMETER,
                "From_Account must be the logged-in user",
            ))
        }
        _ => caller.user.clone(),
    };
    check_u32("Random", req.random, codes::GROUP_INVALID_PARAMETER)?;
    check_u32(
        "ClientSeq",
        Some(req.client_seq),
        codes::GROUP_INVALID_PARAMETER,
    )?;
    check_u32(
        "MsgClientTime",
        req.msg_client_time,
        codes::GROUP_INVALID_PARAMETER,
    )?;
    check_send_msg_control(&req.send_msg_control, codes::GROUP_INVALID_PARAMETER)?;
    let mut msg_body = parse_body(&req.msg_body, &req.cloud_custom_data)?;
    state.media.urls.strip_tokens(&mut msg_body);
    let at_list: Vec<String> = req.group_at_info.iter().map(GroupAtInfo::to_user).collect();
    validate_at_list(&at_list)?;
    if let Some(bad) = req
        .group_at_info
        .iter()
        .find(|a| a.at_all_flag == 0 && UserId::new(a.account.as_str()).is_err())
    {
        return Err(ServerError::bad_request(
            codes::GROUP_INVALID_PARAMETER,
            format!("GroupAt_Account {:?} is not a user ID", bad.account),
        ));
    }
    if req.online_only_flag != 0 && !req.send_msg_control.is_empty() {
        return Err(ServerError::bad_request(
            codes::GROUP_INVALID_PARAMETER,
            "SendMsgControl cannot be used with OnlineOnlyFlag",
        ));
    }
    let group = load_group(state, &req.group_id).await?;
    // The admin may speak as any member; a user only in groups they belong to.
    require_member(
        state,
        &Caller {
            user: from.clone(),
            ..caller.clone()
        },
        &group.group_id,
    )
    .await?;
    let random = match (req.random, caller.is_admin) {
        (Some(r), _) => r,
        (None, true) => {
            return Err(ServerError::bad_request(
                codes::GROUP_INVALID_PARAMETER,
                "Random is required",
            ))
        }
        (None, false) => rand::rng().random_range(0..100_000_000),
    };
    let sender = state
        .users(std::slice::from_ref(&from))
        .await?
        .pop()
        .ok_or_else(|| ServerError::UnknownAccount(from.clone()))?;
    let (nick, headurl) = (sender.nick, sender.face_url);
    let time = now();
    let priority = match req.msg_priority.as_deref() {
        Some(
            p @ (types::MSG_PRIORITY_HIGH | types::MSG_PRIORITY_LOW | types::MSG_PRIORITY_LOWEST),
        ) => p.to_owned(),
        _ => types::MSG_PRIORITY_NORMAL.to_owned(),
    };
    let item = MsgItem {
        from_account: from,
        to_account: None,
        to_group_id: Some(group.group_id.clone()),
        group_info: Some(GroupInfoOfItem {
            group_id: group.group_id.clone(),
            group_type: group.group_type.clone(),
            from_account_nick: nick.clone(),
            from_account_headurl: headurl.clone(),
        }),
        msg_seq: 0,
        msg_random: random,
        msg_time_stamp: time,
        msg_client_time: req.msg_client_time.filter(|t| *t > 0).unwrap_or(time),
        tiny_id: sender.tiny_id.to_string(),
        msg_key: String::new(),
        client_seq: req.client_seq,
        msg_priority: priority,
        from_account_nick: nick,
        from_account_headurl: headurl,
        cloud_custom_data: req.cloud_custom_data,
        msg_body,
        group_at_info: req.group_at_info,
        online_only_flag: req.online_only_flag.min(1),
        send_msg_control: req.send_msg_control,
        need_read_receipt: req.need_read_receipt,
        support_message_extension: req.support_message_extension,
    };
    let sent = if item.online_only_flag == 1 {
        // Online-only messages take no sequence of their own.
        let mut item = item;
        item.msg_seq = group.last_seq;
        Sent {
            item,
            duplicate: false,
        }
    } else {
        state.store.store_group(item).await?
    };
    if !sent.duplicate {
        let members = state.member_ids(&group.group_id).await?;
        state.push(
            members,
            caller.conn,
            natter_proto::wire::PUSH_MSG,
            group_push(state, &[&sent.item]),
        );
    }
    Ok(sent)
}
