//! `im_open_login_svc.account_delete`: delete accounts (admin). Their
//! sessions are closed; messages already delivered stay with their peers.

use std::sync::Arc;

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{parse, UserItem};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "DeleteItem")]
    delete_item: Vec<UserItem>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    let ids: Vec<String> = req.delete_item.into_iter().map(|i| i.user_id).collect();
    let groups: Vec<String> = {
        let mut all = Vec::new();
        for id in &ids {
            all.extend(
                state
                    .store
                    .joined_groups(id)
                    .await?
                    .into_iter()
                    .map(|(g, _)| g.group_id),
            );
        }
        all
    };
    state.store.delete_accounts(&ids).await?;
    state.users_changed(&ids);
    for g in groups {
        state.members_changed(&g);
    }
    state.close_sessions(Arc::from(ids.clone()), 4000);
    let results: Vec<Value> = ids
        .iter()
        .map(|id| json!({"UserID": id, "ResultCode": 0, "ResultInfo": ""}))
        .collect();
    Ok(json!({"ResultItem": results}))
}
