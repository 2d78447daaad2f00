//! `openim.batchsendmsg`: the same message to up to 500 users (admin only).
//! Each receiver gets its own stored message; failures are listed in `ErrorList`.

use natter_proto::{codes, limits::MAX_BATCH_RECIPIENTS};
use serde_json::{json, Value};

use super::common::parse;
use super::sendmsg::{send_c2c, SendMsgRequest};
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

pub async fn handle(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    caller.require_admin()?;
    let req: SendMsgRequest = parse(body, codes::MSG_FORMAT_MISMATCH)?;
    let receivers: Vec<String> = serde_json::from_value(req.to_account.clone()).map_err(|_| {
        ServerError::bad_request(
            codes::TO_ACCOUNT_INVALID,
            "To_Account must be an array of user IDs",
        )
    })?;
    if receivers.is_empty() {
        return Err(ServerError::bad_request(
            codes::TO_ACCOUNT_INVALID,
            "To_Account is empty",
        ));
    }
    if receivers.len() > MAX_BATCH_RECIPIENTS {
        return Err(ServerError::bad_request(
            codes::BATCH_TOO_MANY,
            "at most 500 receivers",
        ));
    }
    let mut errors = Vec::new();
    let mut last = None;
    for to in &receivers {
        match send_c2c(state, caller, &req, to).await {
            Ok(sent) => last = Some(sent.item),
            // Body errors are the same for every receiver: fail the whole call.
            Err(e)
                if matches!(
                    e.code(),
                    codes::BODY_TOO_LONG | codes::MSG_BODY_INVALID | codes::MSG_BODY_NOT_ARRAY
                ) =>
            {
                return Err(e)
            }
            Err(e) => errors.push(json!({"To_Account": to, "ErrorCode": e.code()})),
        }
    }
    let mut reply = json!({"ErrorList": errors});
    if let Some(item) = last {
        reply["MsgKey"] = json!(item.c2c_msg_key());
        reply["MsgTime"] = json!(item.msg_time_stamp);
    }
    Ok(reply)
}
