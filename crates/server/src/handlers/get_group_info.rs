//! `group_open_http_svc.get_group_info`: profiles of groups (admin, or members).

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{group_json, parse, require_member};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "GroupIdList")]
    group_id_list: Vec<String>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::GROUP_INVALID_PARAMETER)?;
    if req.group_id_list.len() > 50 {
        return Err(ServerError::bad_request(
            codes::GROUP_TOO_MANY_ACCOUNTS,
            "at most 50 groups per call",
        ));
    }
    let mut infos = Vec::new();
    for id in req.group_id_list {
        let info = match state.store.group(&id).await? {
            None => {
                json!({"GroupId": id, "ErrorCode": codes::GROUP_NOT_FOUND, "ErrorInfo": "group not found"})
            }
            Some(g) => match require_member(state, caller, &id).await {
                Err(e) => json!({"GroupId": id, "ErrorCode": e.code(), "ErrorInfo": e.to_string()}),
                Ok(()) => {
                    let mut v = group_json(&g);
                    v["ErrorCode"] = json!(0);
                    v["ErrorInfo"] = json!("");
                    let members: Vec<Value> = state
                        .store
                        .members(&id)
                        .await?
                        .into_iter()
                        .map(|m| json!({"Member_Account": m.user_id, "Role": m.role, "JoinTime": m.join_time}))
                        .collect();
                    v["MemberList"] = json!(members);
                    v
                }
            },
        };
        infos.push(info);
    }
    Ok(json!({"GroupInfo": infos}))
}
