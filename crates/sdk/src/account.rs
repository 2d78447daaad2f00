//! HTTP helpers: password sign-up/sign-in (`natter_account`) and admin REST
//! calls (`/v4/<service>/<command>` with the admin's UserSig).

use natter_proto::usersig;
use serde_json::Value;

use crate::error::{Result, SdkError};

/// `http(s)://host[:port]` from any accepted server URL.
pub fn http_base(server_url: &str) -> String {
    let ws = crate::chat::websocket_base(server_url);
    if let Some(rest) = ws.strip_prefix("wss://") {
        format!("https://{rest}")
    } else {
        format!("http://{}", ws.trim_start_matches("ws://"))
    }
}

/// A UserSig handed out by the server for a password account.
#[derive(Debug, Clone)]
pub struct IssuedSig {
    pub user_id: String,
    pub user_sig: String,
    pub sdkappid: u64,
}

async fn post(url: String, body: &Value) -> Result<Value> {
    let reply: Value = reqwest::Client::new()
        .post(&url)
        .json(body)
        .send()
        .await
        .map_err(|e| SdkError::Network(e.to_string()))?
        .json()
        .await
        .map_err(|e| SdkError::Network(e.to_string()))?;
    let code = reply.get("ErrorCode").and_then(Value::as_u64).unwrap_or(0);
    if code != 0 {
        let message = reply
            .get("ErrorInfo")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        return Err(SdkError::Server {
            code: code as u32,
            message,
        });
    }
    Ok(reply)
}

fn issued(reply: Value) -> Result<IssuedSig> {
    let get = |k: &str| reply.get(k).and_then(Value::as_str).map(str::to_owned);
    match (
        get("UserID"),
        get("UserSig"),
        reply.get("SDKAppID").and_then(Value::as_u64),
    ) {
        (Some(user_id), Some(user_sig), Some(sdkappid)) => Ok(IssuedSig {
            user_id,
            user_sig,
            sdkappid,
        }),
        _ => Err(SdkError::BadReply {
            servcmd: "natter_account".into(),
            reason: "UserSig missing".into(),
        }),
    }
}

/// Creates a password account and returns a UserSig for it.
pub async fn register(
    server_url: &str,
    user_id: &str,
    password: &str,
    nick: &str,
) -> Result<IssuedSig> {
    let body = serde_json::json!({"UserID": user_id, "Password": password, "Nick": nick});
    issued(
        post(
            format!("{}/v4/natter_account/register", http_base(server_url)),
            &body,
        )
        .await?,
    )
}

/// Signs in with a password and returns a UserSig.
pub async fn login_with_password(
    server_url: &str,
    user_id: &str,
    password: &str,
) -> Result<IssuedSig> {
    let body = serde_json::json!({"UserID": user_id, "Password": password});
    issued(
        post(
            format!("{}/v4/natter_account/login", http_base(server_url)),
            &body,
        )
        .await?,
    )
}

/// A REST client for the app administrator.
#[derive(Debug, Clone)]
pub struct AdminClient {
    base: String,
    sdkappid: u64,
    admin: String,
    user_sig: String,
}

impl AdminClient {
    /// With a UserSig of the admin identifier.
    pub fn new(server_url: &str, sdkappid: u64, admin: &str, user_sig: &str) -> Self {
        AdminClient {
            base: http_base(server_url),
            sdkappid,
            admin: admin.to_owned(),
            user_sig: user_sig.to_owned(),
        }
    }

    /// Signing its own UserSig with the app's secret key.
    pub fn with_key(server_url: &str, sdkappid: u64, admin: &str, secret_key: &str) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let sig = usersig::generate(sdkappid, secret_key, admin, 86_400, now);
        Self::new(server_url, sdkappid, admin, &sig)
    }

    /// Calls `/v4/<service>/<command>`; a non-zero `ErrorCode` becomes an error.
    pub async fn call(&self, service: &str, command: &str, body: &Value) -> Result<Value> {
        let url = format!(
            "{}/v4/{service}/{command}?sdkappid={}&identifier={}&usersig={}&random={}&contenttype=json",
            self.base,
            self.sdkappid,
            self.admin,
            self.user_sig,
            rand::random::<u32>()
        );
        post(url, body).await
    }
}
