//! The server's one error type. Every variant maps to one of Tencent's codes;
//! transports render it as `{ActionStatus: "FAIL", ErrorCode, ErrorInfo}`.
//! Storage, configuration and start-up failures are variants too (code
//! 20005, internal error) so every layer speaks the same type.

use std::net::SocketAddr;
use std::path::PathBuf;

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
    #[error("too many failed sign-in attempts; try again in a minute")]
    TooManyAttempts,
    #[error("too many accounts created from this address; try again later")]
    TooManySignups,
    #[error("the server is busy checking passwords; try again shortly")]
    Busy,
    #[error("the credentials of {0} were revoked (kicked or deleted); log in with a new UserSig")]
    Revoked(String),
    #[error("account {0} already exists")]
    AccountExists(String),
    #[error("SDKAppID {0} is not served here")]
    WrongSdkAppId(String),
    #[error("no such file: {0}")]
    MediaNotFound(String),
    #[error("not allowed to access this file: {0}")]
    MediaForbidden(String),
    #[error("this file link has expired; reload the message for a fresh one")]
    MediaLinkExpired,
    #[error("the file is {size} bytes, more than the {limit}-byte limit for this kind")]
    MediaTooLarge { code: u32, size: u64, limit: u64 },
    #[error("the file is empty")]
    MediaEmpty,
    #[error("the upload is at offset {expected}, not {got}")]
    UploadOffsetMismatch { expected: u64, got: u64 },
    #[error("{0}")]
    UploadInvalid(String),
    #[error("blob storage error: {0}")]
    Blob(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the storage writer has stopped")]
    WriterGone,
    #[error("cannot read {path}: {source}")]
    ConfigRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    ConfigParse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid {name}: {value:?}")]
    ConfigInvalid { name: &'static str, value: String },
    #[error("cannot prepare {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for ServerError {
    fn from(e: rusqlite::Error) -> Self {
        ServerError::Db(e.to_string())
    }
}

impl From<r2d2::Error> for ServerError {
    fn from(e: r2d2::Error) -> Self {
        ServerError::Db(e.to_string())
    }
}

/// Only the store decodes JSON it wrote itself; failing that means corrupt data.
impl From<serde_json::Error> for ServerError {
    fn from(e: serde_json::Error) -> Self {
        ServerError::Corrupt(e.to_string())
    }
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
            ServerError::TooManyAttempts => codes::TOO_MANY_FAILED_ATTEMPTS,
            ServerError::TooManySignups => codes::REST_FREQUENCY_LIMIT,
            ServerError::Busy => codes::SERVER_BUSY,
            ServerError::Revoked(_) => codes::USERSIG_REVOKED,
            ServerError::AccountExists(_) => codes::ACCOUNT_INVALID_PARAMETER,
            ServerError::WrongSdkAppId(_) => codes::REST_BAD_SDKAPPID,
            ServerError::MediaNotFound(_)
            | ServerError::UploadOffsetMismatch { .. }
            | ServerError::UploadInvalid(_) => codes::REQUEST_INVALID,
            ServerError::MediaForbidden(_) => codes::USERSIG_INVALID,
            ServerError::MediaLinkExpired => codes::USERSIG_EXPIRED,
            ServerError::MediaTooLarge { code, .. } => *code,
            ServerError::MediaEmpty => codes::FILE_EMPTY,
            // Internal failures; configuration and start-up errors never reach a client.
            ServerError::Db(_)
            | ServerError::Corrupt(_)
            | ServerError::WriterGone
            | ServerError::Blob(_)
            | ServerError::ConfigRead { .. }
            | ServerError::ConfigParse { .. }
            | ServerError::ConfigInvalid { .. }
            | ServerError::DataDir { .. }
            | ServerError::Bind { .. } => codes::INTERNAL_ERROR,
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
