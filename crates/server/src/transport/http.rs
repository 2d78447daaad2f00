//! HTTP REST: `POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json`.
//!
//! Always HTTP 200 with `ActionStatus/ErrorCode/ErrorInfo`, malformed input
//! included: a body over [`MAX_REST_BODY_BYTES`], a query that does not
//! parse, an unknown path or method all get the protocol's error shape. The
//! body is parsed as JSON whatever the Content-Type (Tencent's own clients
//! differ). Only the app administrator may call, except the public
//! `natter_account` service (password sign-up and sign-in).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::{Extension, Json};
use natter_proto::codes;
use natter_proto::wire::{fail_body, ok_body};
use serde_json::Value;

use crate::error::{Result, ServerError};
use crate::handlers::{dispatch_strict, PUBLIC_SERVICE};
use crate::state::{AppState, Caller};
use crate::transport::listener::PeerAddr;

/// Largest accepted REST body. A 12 KB message, or a `batchsendmsg` to 500
/// accounts, is far below it.
pub const MAX_REST_BODY_BYTES: usize = 1024 * 1024;

pub async fn rest(
    State(state): State<Arc<AppState>>,
    Path((service, command)): Path<(String, String)>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    peer: Option<Extension<ConnectInfo<PeerAddr>>>,
    body: Result<Bytes, BytesRejection>,
) -> Json<Value> {
    let servcmd = format!("{service}.{command}");
    let source = peer.map(|Extension(ConnectInfo(PeerAddr(addr)))| addr.ip());
    let result = match (query, body) {
        (Ok(Query(query)), Ok(body)) => {
            call(&state, &servcmd, &service, &query, source, &body).await
        }
        (Err(e), _) => Err(ServerError::bad_request(
            codes::REST_BAD_URL,
            format!("the query string is not valid: {e}"),
        )),
        (_, Err(e)) => Err(ServerError::bad_request(
            codes::REST_BAD_JSON,
            format!("the request body cannot be read (at most {MAX_REST_BODY_BYTES} bytes): {e}"),
        )),
    };
    let reply = match result {
        Ok(v) => ok_body(v),
        Err(e) => {
            tracing::debug!(%servcmd, code = e.code(), error = %e, "REST call failed");
            fail_body(e.code(), &e.to_string())
        }
    };
    Json(reply)
}

/// The answer to a path or method that names no command (HTTP 200, 60002).
pub async fn unknown_path() -> Json<Value> {
    Json(fail_body(
        codes::REST_BAD_URL,
        "no such API: send POST /v4/<service>/<command>",
    ))
}

async fn call(
    state: &AppState,
    servcmd: &str,
    service: &str,
    query: &HashMap<String, String>,
    source: Option<std::net::IpAddr>,
    body: &[u8],
) -> Result<Value> {
    let caller = if service == PUBLIC_SERVICE {
        Caller::anonymous(source)
    } else {
        authenticate(state, query).await?
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
async fn authenticate(state: &AppState, query: &HashMap<String, String>) -> Result<Caller> {
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
    let claims = state.auth.verify_user_sig(identifier, user_sig)?;
    if *identifier != state.config.admin {
        return Err(ServerError::NotAdmin);
    }
    state.check_not_revoked(identifier, claims.time).await?;
    Ok(Caller::admin(identifier))
}
