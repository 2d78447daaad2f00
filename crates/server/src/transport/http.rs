//! HTTP REST: `POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json`.
//!
//! Always HTTP 200 with `ActionStatus/ErrorCode/ErrorInfo`, malformed input
//! included. The body is parsed as JSON whatever the Content-Type (Tencent's
//! own clients differ). Only the app administrator may call, except the
//! public `natter_account` service (password sign-up and sign-in).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use natter_proto::codes;
use natter_proto::wire::{fail_body, ok_body};
use serde_json::Value;

use crate::error::{Result, ServerError};
use crate::handlers::{dispatch_strict, PUBLIC_SERVICE};
use crate::state::{AppState, Caller};

pub async fn rest(
    State(state): State<Arc<AppState>>,
    Path((service, command)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Json<Value> {
    let servcmd = format!("{service}.{command}");
    let reply = match call(&state, &servcmd, &service, &query, &body).await {
        Ok(v) => ok_body(v),
        Err(e) => {
            tracing::debug!(%servcmd, code = e.code(), error = %e, "REST call failed");
            fail_body(e.code(), &e.to_string())
        }
    };
    Json(reply)
}

async fn call(
    state: &AppState,
    servcmd: &str,
    service: &str,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Result<Value> {
    let caller = if service == PUBLIC_SERVICE {
        Caller::user("", None)
    } else {
        authenticate(state, query)?
    };
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| ServerError::BadJson(e.to_string()))?
    };
    if !body.is_object() {
        return Err(ServerError::BadJson(
            "the body must be a JSON object".into(),
        ));
    }
    dispatch_strict(state, &caller, servcmd, body).await
}

/// Checks `sdkappid`, `identifier` and `usersig`; the identifier must be the admin.
fn authenticate(state: &AppState, query: &HashMap<String, String>) -> Result<Caller> {
    let sdkappid = query.get("sdkappid").ok_or_else(|| {
        ServerError::bad_request(codes::REST_MISSING_SDKAPPID, "sdkappid is missing")
    })?;
    if sdkappid.parse::<u64>().ok() != Some(state.auth.sdkappid()) {
        return Err(ServerError::WrongSdkAppId(sdkappid.clone()));
    }
    let identifier = query
        .get("identifier")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            ServerError::bad_request(codes::REST_BAD_IDENTIFIER, "identifier is missing")
        })?;
    let user_sig = query.get("usersig").map(String::as_str).unwrap_or_default();
    state.auth.verify_user_sig(identifier, user_sig)?;
    if *identifier != state.config.admin {
        return Err(ServerError::NotAdmin);
    }
    Ok(Caller::admin(identifier))
}
