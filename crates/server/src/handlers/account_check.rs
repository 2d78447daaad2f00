//! `im_open_login_svc.account_check`: which accounts exist (admin).

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{parse, UserItem};
use crate::error::Result;
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "CheckItem")]
    check_item: Vec<UserItem>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    let ids: Vec<String> = req.check_item.into_iter().map(|i| i.user_id).collect();
    let found = state.store.get_users(&ids).await?;
    let results: Vec<Value> = ids
        .iter()
        .map(|id| {
            let status = if found.iter().any(|u| &u.user_id == id) {
                "Imported"
            } else {
                "NotImported"
            };
            json!({"UserID": id, "ResultCode": 0, "ResultInfo": "", "AccountStatus": status})
        })
        .collect();
    Ok(json!({"ResultItem": results}))
}
