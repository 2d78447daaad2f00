//! `im_open_login_svc.multiaccount_import`: create many accounts (admin).
//! Invalid IDs are reported in `FailAccounts`; the others are created.

use natter_proto::{codes, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "Accounts")]
    accounts: Vec<String>,
}

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    if req.accounts.len() > 100 {
        return Err(ServerError::bad_request(
            codes::ACCOUNT_INVALID_PARAMETER,
            "at most 100 accounts per call",
        ));
    }
    let mut failed = Vec::new();
    for raw in req.accounts {
        match UserId::new(raw.clone()) {
            Ok(id) => {
                state.store.ensure_user(id.as_str()).await?;
            }
            Err(_) => failed.push(raw),
        }
    }
    Ok(json!({"FailAccounts": failed}))
}
