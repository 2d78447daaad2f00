//! Password accounts (Natter's own `natter_account` service, no login needed).
//!
//! * `natter_account.register` `{UserID, Password, Nick?}` creates an account
//!   with a password (70402 if it already has one);
//! * `natter_account.login` `{UserID, Password}` checks it (70003 if wrong;
//!   70050 for a minute after 5 wrong passwords for the same account).
//!
//! Both answer `{UserSig, ExpireTime, SDKAppID}`: the desktop app then logs
//! in over WebSocket with that UserSig like any Tencent client. Hashes are
//! Argon2id, computed off the async runtime.

use natter_proto::{codes, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::parse;
use crate::auth::{hash_password, verify_password};
use crate::error::{Result, ServerError};
use crate::state::AppState;

/// Lifetime of a UserSig handed out for a password login: 30 days.
pub const PASSWORD_SIG_EXPIRE: u64 = 30 * 86_400;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "UserID")]
    user_id: String,
    #[serde(rename = "Password")]
    password: String,
    #[serde(rename = "Nick", default)]
    nick: String,
}

fn issued(state: &AppState, user: &str) -> Value {
    json!({
        "UserID": user,
        "UserSig": state.auth.issue_user_sig(user, PASSWORD_SIG_EXPIRE),
        "ExpireTime": PASSWORD_SIG_EXPIRE,
        "SDKAppID": state.auth.sdkappid(),
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ServerError::bad_request(codes::INTERNAL_ERROR, format!("hashing failed: {e}"))
    })
}

pub async fn register(state: &AppState, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    let id = UserId::new(req.user_id)?;
    if id.as_str() == state.config.admin {
        return Err(ServerError::AccountExists(id.to_string()));
    }
    if req.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ServerError::bad_request(
            codes::ACCOUNT_INVALID_PARAMETER,
            format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let password = req.password;
    let hash = blocking(move || hash_password(&password)).await??;
    if !state.store.set_password(id.as_str(), &hash, true).await? {
        return Err(ServerError::AccountExists(id.to_string()));
    }
    if !req.nick.is_empty() {
        state
            .store
            .import_account(id.as_str(), &req.nick, "")
            .await?;
        state.users_changed(&[id.to_string()]);
    }
    Ok(issued(state, id.as_str()))
}

pub async fn login(state: &AppState, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    let id = UserId::new(req.user_id).map_err(|_| ServerError::BadPassword)?;
    state.login_throttle.check(id.as_str())?;
    let hash = state.store.password_hash(id.as_str()).await?;
    let password = req.password;
    let ok = match hash {
        Some(hash) => blocking(move || verify_password(&password, &hash)).await?,
        None => false,
    };
    if !ok {
        state.login_throttle.failed(id.as_str());
        return Err(ServerError::BadPassword);
    }
    state.login_throttle.succeeded(id.as_str());
    Ok(issued(state, id.as_str()))
}
