//! The server's error type. Every variant maps to one of Tencent's codes;
//! transports render it as `{ActionStatus: "FAIL", ErrorCode, ErrorInfo}`.

use natter_proto::codes;
use natter_proto::ProtoError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServerError {
    #[error(transparent)]
    Proto(#[from] ProtoError),
    #[error("request body is not valid JSON: {0}")]
    BadJson(String),
    #[error("{reason}")]
    BadRequest { code: u32, reason: String },
    #[error("command {0} does not exist")]
    UnknownCommand(String),
    #[error("account {0} does not exist")]
    UnknownAccount(String),
    #[error("group {0} does not exist or was dismissed")]
    GroupNotFound(String),
    #[error("group ID {0} is already in use")]
    GroupIdInUse(String),
    #[error("{0} is not a member of group {1}")]
    NotGroupMember(String, String),
    #[error("no permission: {0}")]
    NoPermission(String),
    #[error("group {0} is full")]
    GroupFull(String),
    #[error("this command needs the app administrator")]
    NotAdmin,
    #[error("not logged in: send im_open_status.wslogin first")]
    NotLoggedIn,
    #[error("session key expired, log in again")]
    SessionExpired,
    #[error("wrong user ID or password")]
    BadPassword,
    #[error("account {0} already exists")]
    AccountExists(String),
    #[error("SDKAppID {0} is not served here")]
    WrongSdkAppId(String),
    #[error("storage failed: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl ServerError {
    /// Tencent's numeric code.
    pub fn code(&self) -> u32 {
        match self {
            ServerError::Proto(e) => e.code(),
            ServerError::BadJson(_) => codes::JSON_PARSE_FAILED,
            ServerError::BadRequest { code, .. } => *code,
            ServerError::UnknownCommand(_) => codes::REST_BAD_URL,
            ServerError::UnknownAccount(_) => codes::INVALID_IDENTIFIER,
            ServerError::GroupNotFound(_) => codes::GROUP_NOT_FOUND,
            ServerError::GroupIdInUse(_) => codes::GROUP_ID_IN_USE,
            ServerError::NotGroupMember(..) | ServerError::NoPermission(_) => {
                codes::GROUP_NO_PERMISSION
            }
            ServerError::GroupFull(_) => codes::GROUP_FULL,
            ServerError::NotAdmin => codes::REST_NOT_ADMIN,
            ServerError::NotLoggedIn => codes::REST_BAD_IDENTIFIER,
            ServerError::SessionExpired => codes::USERSIG_EXPIRED,
            ServerError::BadPassword => codes::USERSIG_INVALID,
            ServerError::AccountExists(_) => codes::ACCOUNT_INVALID_PARAMETER,
            ServerError::WrongSdkAppId(_) => codes::REST_BAD_SDKAPPID,
            ServerError::Store(_) => codes::INTERNAL_ERROR,
        }
    }

    pub fn bad_request(code: u32, reason: impl Into<String>) -> Self {
        ServerError::BadRequest {
            code,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = ServerError> = std::result::Result<T, E>;
