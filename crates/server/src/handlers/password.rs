//! Password accounts (Natter's own `natter_account` service, no login needed).
//!
//! * `natter_account.register` `{UserID, Password, Nick?}` creates an account
//!   with a password. An ID that names an account of any kind (imported by
//!   the admin, created by a UserSig login, or the admin itself) is taken:
//!   70402. Each source address may create a limited number per hour (60007).
//! * `natter_account.login` `{UserID, Password}` checks it (70003 if wrong or
//!   unknown, in the same time; 70050 for a minute after 5 wrong passwords
//!   for the same account, counting attempts still being checked).
//!
//! Both answer `{UserSig, ExpireTime, SDKAppID}`: the desktop app then logs
//! in over WebSocket with that UserSig like any Tencent client. Hashing is
//! bounded by [`crate::passwords::Passwords`] (70169 when the queue is full).

use natter_proto::{codes, UserId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::common::{check_lengths, parse};
use crate::auth::unix_now;
use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

/// Lifetime of a UserSig handed out for a password login: 30 days.
pub const PASSWORD_SIG_EXPIRE: u64 = 30 * 86_400;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in bytes (hashing cost grows with it).
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Deserialize)]
struct Request {
    #[serde(rename = "UserID")]
    user_id: String,
    #[serde(rename = "Password")]
    password: String,
    #[serde(rename = "Nick", default)]
    nick: String,
}

/// A UserSig for `user`, dated after the account's latest revocation so a
/// sign-in right after a kick is not refused with it.
async fn issued(state: &AppState, user: &str) -> Result<Value> {
    let revoked_at = state.store.revoked_at(user).await?;
    let issued_at = unix_now().max(revoked_at + 1);
    Ok(json!({
        "UserID": user,
        "UserSig": state.auth.issue_user_sig_at(user, PASSWORD_SIG_EXPIRE, issued_at),
        "ExpireTime": PASSWORD_SIG_EXPIRE,
        "SDKAppID": state.auth.sdkappid(),
    }))
}

fn check_password_size(password: &str) -> Result<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ServerError::bad_request(
            codes::ACCOUNT_INVALID_PARAMETER,
            format!("the password is longer than {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

pub async fn register(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
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
    check_password_size(&req.password)?;
    check_lengths(
        &[("Nick", &req.nick, natter_proto::limits::MAX_NICK_BYTES)],
        codes::ACCOUNT_INVALID_PARAMETER,
    )?;
    if let Some(source) = caller.source {
        state.passwords.signups.take(source)?;
    }
    let hash = state.passwords.hash(req.password).await?;
    // One statement decides: two sign-ups for one ID cannot both win, and an
    // existing account of any kind is never given a password.
    if !state
        .store
        .create_password_account(id.as_str(), &hash, &req.nick)
        .await?
    {
        return Err(ServerError::AccountExists(id.to_string()));
    }
    state.users_changed(&[id.to_string()]);
    issued(state, id.as_str()).await
}

pub async fn login(state: &AppState, body: Value) -> Result<Value> {
    let req: Request = parse(body, codes::ACCOUNT_INVALID_PARAMETER)?;
    let id = UserId::new(req.user_id).map_err(|_| ServerError::BadPassword)?;
    check_password_size(&req.password)?;
    let stored = state.store.password_hash(id.as_str()).await?;
    state
        .passwords
        .verify(id.as_str(), req.password, stored)
        .await?;
    issued(state, id.as_str()).await
}
