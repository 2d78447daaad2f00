//! The SDK's error type. Every variant has Tencent's code, so apps branch
//! on `code()` exactly as they would with the Web SDK.

use natter_proto::{codes, ProtoError};
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SdkError {
    /// The server refused the request.
    #[error("server error {code}: {message}")]
    Server { code: u32, message: String },
    /// No reply within the request timeout.
    #[error("{servcmd} timed out")]
    Timeout { servcmd: String },
    /// The connection failed or closed.
    #[error("network error: {0}")]
    Network(String),
    /// An API that needs a logged-in user was called without one.
    #[error("not logged in")]
    NotLoggedIn,
    /// A user is already logged in on this instance.
    #[error("already logged in as {0}")]
    AlreadyLoggedIn(String),
    /// The message was not created by this SDK instance.
    #[error("the message was not created by this Chat instance")]
    NotAnSdkMessage,
    /// @-messages are only for groups.
    #[error("@ messages can only be sent to groups")]
    AtOutsideGroup,
    /// The server replied with something this SDK cannot read.
    #[error("unexpected reply to {servcmd}: {reason}")]
    BadReply { servcmd: String, reason: String },
    /// Input that fails the shared rules (ids, body size, @ list ...).
    #[error(transparent)]
    Invalid(#[from] ProtoError),
    /// The user was kicked out or logged out while the call was pending.
    #[error("kicked out or logged out")]
    LoggedOut,
    /// An upload or download was refused: the HTTP status and Tencent's code.
    #[error("HTTP {status}, error {code}: {message}")]
    Http {
        status: u16,
        code: u32,
        message: String,
    },
    /// A local file cannot be read or written.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    /// The file cannot be sent as this kind of message (size, type, empty).
    #[error("{message}")]
    Media { code: u32, message: String },
    /// The upload was cancelled.
    #[error("the upload was cancelled")]
    Cancelled,
}

impl From<natter_media::MediaError> for SdkError {
    fn from(e: natter_media::MediaError) -> Self {
        SdkError::Media {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl SdkError {
    pub fn code(&self) -> u32 {
        match self {
            SdkError::Server { code, .. } => *code,
            SdkError::Timeout { .. } => codes::NETWORK_TIMEOUT,
            SdkError::Network(_) => codes::NETWORK_ERROR,
            SdkError::NotLoggedIn => codes::USER_NOT_LOGGED_IN,
            SdkError::AlreadyLoggedIn(_) => codes::REPEAT_LOGIN,
            SdkError::NotAnSdkMessage => codes::MSG_INSTANCE_REQUIRED,
            SdkError::AtOutsideGroup => codes::INVALID_CONVERSATION,
            SdkError::BadReply { .. } => codes::UNCAUGHT_ERROR,
            SdkError::Invalid(e) => e.code(),
            SdkError::LoggedOut => codes::LOGGED_OUT,
            SdkError::Http { code, .. } | SdkError::Media { code, .. } => *code,
            SdkError::File { .. } | SdkError::Cancelled => codes::UPLOAD_FAILED,
        }
    }
}

pub type Result<T, E = SdkError> = std::result::Result<T, E>;
