//! The desktop shell's error type. It reaches the UI as `{code, message}`
//! with Tencent's codes, so the UI branches on `code`, never on text.

use natter_proto::codes;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error(transparent)]
    Sdk(#[from] natter_sdk::SdkError),
    #[error("the built-in server could not start: {0}")]
    EmbeddedServer(#[from] natter_server::ServerError),
    #[error("not signed in")]
    NotSignedIn,
    #[error(transparent)]
    Invalid(#[from] natter_proto::ProtoError),
    #[error("no user {0} on this server")]
    UnknownUser(String),
    #[error("no failed message {0} to send again")]
    NotRetryable(String),
    #[error("not a web or mail link: {0}")]
    Link(String),
    #[error("the system could not open the link: {0}")]
    Opener(String),
    #[error(transparent)]
    Voice(#[from] natter_media::MediaError),
    #[error("cannot save {path}: {source}")]
    Storage {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl DesktopError {
    pub fn code(&self) -> u32 {
        match self {
            DesktopError::Sdk(e) => e.code(),
            DesktopError::EmbeddedServer(e) => e.code(),
            DesktopError::NotSignedIn => codes::USER_NOT_LOGGED_IN,
            DesktopError::Invalid(e) => e.code(),
            DesktopError::UnknownUser(_) => codes::TO_ACCOUNT_NOT_REGISTERED,
            DesktopError::NotRetryable(_) => codes::MSG_INSTANCE_REQUIRED,
            DesktopError::Voice(e) => e.code(),
            DesktopError::Link(_) | DesktopError::Opener(_) | DesktopError::Storage { .. } => {
                codes::UNCAUGHT_ERROR
            }
        }
    }
}

impl Serialize for DesktopError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("DesktopError", 2)?;
        s.serialize_field("code", &self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

pub type Result<T, E = DesktopError> = std::result::Result<T, E>;
