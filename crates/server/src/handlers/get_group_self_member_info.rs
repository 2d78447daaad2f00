//! `group_open_http_svc.get_group_self_member_info`: the caller's membership
//! in some groups. The Web SDK needs a `GroupInfo` array (else error 2903).

use natter_proto::types;
use serde_json::{json, Value};

use crate::error::Result;
use crate::state::{AppState, Caller};

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let ids: Vec<String> = super::common::string_list(&body, "GroupIdList");
    let joined = state.store.joined_groups(&caller.user).await?;
    let infos: Vec<Value> = ids
        .iter()
        .map(|id| match joined.iter().find(|(g, _)| &g.group_id == id) {
            Some((g, m)) => json!({"GroupId": id, "ErrorCode": 0, "Type": g.group_type, "Name": g.name,
                "FaceUrl": g.face_url,
                "SelfInfo": {"Role": m.role, "JoinTime": m.join_time, "MsgFlag": types::MSG_REMIND_ACPT_AND_NOTE, "MsgSeq": m.read_seq},
                "MemberInfo": {"Role": m.role, "JoinTime": m.join_time, "MsgFlag": types::MSG_REMIND_ACPT_AND_NOTE}}),
            None => json!({"GroupId": id, "ErrorCode": natter_proto::codes::GROUP_NO_PERMISSION}),
        })
        .collect();
    Ok(json!({"GroupInfo": infos}))
}
