//! `recentcontact.page_get`: the caller's conversations with last message
//! and unread count, in the `SessionItem` shape the Web SDK reads (wire
//! protocol §7.3). `NatterLastMsg` carries the whole last message for
//! natter-sdk; the Web SDK ignores it. One page, `CompleteFlag` 1.

use serde_json::{json, Value};

use super::common::now;

use crate::error::Result;
use crate::state::{AppState, Caller};

pub async fn handle(state: &AppState, caller: &Caller, _body: Value) -> Result<Value> {
    let mut sessions: Vec<(u64, Value)> = Vec::new();
    for c in state.store.c2c_conversations(&caller.user).await? {
        let Some(last) = c.last else { continue };
        let last = state.media.urls.signed(&last, now()).into_owned();
        let item = json!({
            "Type": 1, "To_Account": c.peer, "MsgTime": last.msg_time_stamp, "MsgSeq": last.msg_seq,
            "MsgRandom": last.msg_random, "LastC2CMsgFromAccount": last.from_account,
            "LastMsg": {"MsgBody": last.msg_body}, "LastMsgFlags": 0, "C2cPeerReadTime": c.peer_read_time,
            "UnreadMsgCount": c.unread, "NatterLastMsg": last,
        });
        sessions.push((last.msg_time_stamp, item));
    }
    for g in state.store.group_conversations(&caller.user).await? {
        let last = g
            .last
            .as_ref()
            .map(|l| state.media.urls.signed(l, now()).into_owned());
        let time = g
            .last
            .as_ref()
            .map_or(g.group.created_at, |l| l.msg_time_stamp);
        let item = json!({
            "Type": 2, "ToAccount": g.group.group_id, "MsgTime": time,
            "MsgSeq": last.as_ref().map_or(0, |l| l.msg_seq),
            "MsgGroupFromAccount": last.as_ref().map(|l| l.from_account.clone()).unwrap_or_default(),
            "LastMsg": {"MsgBody": last.as_ref().map(|l| json!(l.msg_body)).unwrap_or(json!([]))},
            "UnreadMsgCount": g.unread, "MsgGroupReadedSeq": g.read_seq, "GroupNextMsgSeq": g.group.last_seq + 1,
            "GroupName": g.group.name, "GroupType": g.group.group_type, "NatterLastMsg": last,
        });
        sessions.push((time, item));
    }
    sessions.sort_by_key(|s| std::cmp::Reverse(s.0));
    Ok(json!({
        "CompleteFlag": 1, "TimeStamp": crate::auth::unix_now(), "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0,
        "SessionItem": sessions.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    }))
}
