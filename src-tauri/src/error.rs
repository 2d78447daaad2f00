//! The desktop shell's error type. It reaches the UI as `{code, message}`
//! with Tencent's codes, so the UI branches on `code`, never on text.

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
}

impl DesktopError {
    pub fn code(&self) -> u32 {
        match self {
            DesktopError::Sdk(e) => e.code(),
            DesktopError::EmbeddedServer(e) => e.code(),
            DesktopError::NotSignedIn => natter_proto::codes::USER_NOT_LOGGED_IN,
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
