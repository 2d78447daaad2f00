//! `im_open_login_svc.account_delete`: delete accounts (admin). Their
//! sessions are closed and every credential issued to them stops working
//! (70052), also once the ID is taken again. Messages already delivered stay
//! with their peers; a later account with the same ID starts with no
//! conversations and none of the old one's C2C history.

use std::sync::Arc;

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{parse, UserItem};
use crate::auth::unix_now;
use crate::error::Result;
use crate::state::{AppState, Caller};
use crate::transport::ws::CLOSE_LOGGED_OUT;

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
    let now = unix_now();
    state.store.delete_accounts(&ids, now).await?;
    for id in &ids {
        state.remember_revocation(id, now);
    }
    state.users_changed(&ids);
    for g in groups {
        state.members_changed(&g);
    }
    state.close_sessions(Arc::from(ids.clone()), CLOSE_LOGGED_OUT);
    let results: Vec<Value> = ids
        .iter()
        .map(|id| json!({"UserID": id, "ResultCode": 0, "ResultInfo": ""}))
        .collect();
    Ok(json!({"ResultItem": results}))
}
