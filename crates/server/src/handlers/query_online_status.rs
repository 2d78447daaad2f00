//! `openim.query_online_status`: whether users have a live session on this node.

use natter_proto::codes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "To_Account")]
    to_account: Vec<String>,
    #[serde(rename = "IsNeedDetail", default)]
    is_need_detail: u32,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::TO_ACCOUNT_INVALID)?;
    if req.to_account.len() > 500 {
        return Err(ServerError::bad_request(
            codes::BATCH_TOO_MANY,
            "at most 500 accounts",
        ));
    }
    let results: Vec<Value> = req
        .to_account
        .iter()
        .map(|u| {
            let n = state.sessions.count(u);
            let status = if n > 0 { "Online" } else { "Offline" };
            let mut v = json!({"To_Account": u, "Status": status});
            if req.is_need_detail == 1 && n > 0 {
                v["Detail"] = json!((0..n)
                    .map(|_| json!({"Platform": "Web", "Status": "Online"}))
                    .collect::<Vec<_>>());
            }
            v
        })
        .collect();
    Ok(json!({"QueryResult": results, "ErrorList": []}))
}
