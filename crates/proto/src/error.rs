//! Tencent's numeric error codes, and the error type of this crate.
//!
//! Codes are Tencent's numbers so that clients (ours and Tencent's SDK)
//! branch on the same values. Only the codes Natter produces or must
//! recognise are named here; the full table is in the reference.

use thiserror::Error;

/// Named Tencent error codes.
pub mod codes {
    // Web SDK client-side codes.
    pub const NO_IDENTIFIER: u32 = 2002;
    pub const NO_USERSIG: u32 = 2003;
    pub const NO_TINYID: u32 = 2022;
    pub const NO_A2KEY: u32 = 2023;
    pub const REPEAT_LOGIN: u32 = 2025;
    pub const MESSAGE_SEND_FAIL: u32 = 2100;
    // Rich media (reference §9 of the upload notes): checks before an
    // upload, and its failures. The server answers the size codes too.
    pub const UPLOAD_PLUGIN_MISSING: u32 = 2040;
    pub const UPLOAD_SIGNATURE_FAILED: u32 = 2041;
    pub const FILE_EMPTY: u32 = 2108;
    pub const IMAGE_TYPE_UNSUPPORTED: u32 = 2252;
    pub const IMAGE_TOO_LARGE: u32 = 2253;
    pub const AUDIO_TOO_LARGE: u32 = 2301;
    pub const VIDEO_TOO_LARGE: u32 = 2351;
    pub const VIDEO_TYPE_UNSUPPORTED: u32 = 2352;
    pub const UPLOAD_FAILED: u32 = 2400;
    pub const FILE_TOO_LARGE: u32 = 2402;
    pub const MSG_INSTANCE_REQUIRED: u32 = 2105;
    pub const INVALID_CONVERSATION: u32 = 2106;
    pub const CONV_NOT_FOUND: u32 = 2500;
    pub const INVALID_CONV_ID: u32 = 2503;
    pub const NETWORK_ERROR: u32 = 2800;
    pub const NETWORK_TIMEOUT: u32 = 2801;
    pub const NO_NETWORK: u32 = 2805;
    pub const UNCAUGHT_ERROR: u32 = 2903;
    pub const SDK_IS_NOT_READY: u32 = 2999;
    pub const USER_NOT_LOGGED_IN: u32 = 2024;
    pub const LOGIN_FAILED: u32 = 3001;
    pub const KICKED_OUT_MULT_DEVICE: u32 = 3002;
    pub const KICKED_OUT_MULT_ACCOUNT: u32 = 3003;
    pub const KICKED_OUT_USERSIG_EXPIRED: u32 = 3004;
    pub const LOGGED_OUT: u32 = 3005;
    pub const KICKED_OUT_REST_API: u32 = 3006;
    pub const HELLO_ANSWER_KICKED_OUT: u32 = 1002;

    // C2C server codes.
    pub const REQUEST_INVALID: u32 = 20001;
    pub const A2KEY_EXPIRED: u32 = 20002;
    pub const INVALID_IDENTIFIER: u32 = 20003;
    pub const INTERNAL_ERROR: u32 = 20005;
    pub const NOT_FRIENDS: u32 = 20009;

    // Group server codes.
    pub const GROUP_INTERNAL_ERROR: u32 = 10002;
    pub const GROUP_BAD_COMMAND: u32 = 10003;
    pub const GROUP_INVALID_PARAMETER: u32 = 10004;
    pub const GROUP_TOO_MANY_ACCOUNTS: u32 = 10005;
    pub const GROUP_NO_PERMISSION: u32 = 10007;
    pub const GROUP_NOT_FOUND: u32 = 10010;
    pub const GROUP_ALREADY_MEMBER: u32 = 10013;
    pub const GROUP_FULL: u32 = 10014;
    pub const GROUP_INVALID_ID: u32 = 10015;
    pub const GROUP_ACCOUNT_NOT_FOUND: u32 = 10019;
    pub const GROUP_ID_IN_USE: u32 = 10021;

    // Common REST codes.
    pub const REST_BAD_URL: u32 = 60002;
    pub const REST_BAD_JSON: u32 = 60003;
    pub const REST_BAD_IDENTIFIER: u32 = 60004;
    pub const REST_BAD_SDKAPPID: u32 = 60006;
    pub const REST_FREQUENCY_LIMIT: u32 = 60007;
    pub const REST_NOT_ADMIN: u32 = 60010;
    pub const REST_MISSING_SDKAPPID: u32 = 60012;

    // UserSig / account codes.
    pub const USERSIG_EXPIRED: u32 = 70001;
    pub const USERSIG_EMPTY: u32 = 70002;
    pub const USERSIG_INVALID: u32 = 70003;
    pub const USERSIG_IDENTIFIER_MISMATCH: u32 = 70013;
    pub const USERSIG_SDKAPPID_MISMATCH: u32 = 70014;
    pub const TOO_MANY_FAILED_ATTEMPTS: u32 = 70050;
    pub const USERSIG_REVOKED: u32 = 70052;
    pub const ACCOUNT_NOT_FOUND: u32 = 70107;
    pub const SERVER_BUSY: u32 = 70169;
    pub const ACCOUNT_INVALID_PARAMETER: u32 = 70402;
    pub const ACCOUNT_ADMIN_REQUIRED: u32 = 70403;

    // Message content codes.
    pub const BODY_TOO_LONG: u32 = 80002;
    pub const JSON_PARSE_FAILED: u32 = 90001;
    pub const MSG_BODY_INVALID: u32 = 90002;
    pub const TO_ACCOUNT_INVALID: u32 = 90003;
    pub const MSG_RANDOM_INVALID: u32 = 90005;
    pub const MSG_BODY_NOT_ARRAY: u32 = 90007;
    pub const MSG_FORMAT_MISMATCH: u32 = 90010;
    pub const BATCH_TOO_MANY: u32 = 90011;
    pub const TO_ACCOUNT_NOT_REGISTERED: u32 = 90012;
    pub const MSG_LIFETIME_INVALID: u32 = 90026;
}

/// Errors raised while validating or decoding the shared vocabulary.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProtoError {
    #[error("message body is {size} bytes, more than the {limit}-byte limit")]
    BodyTooLong { size: usize, limit: usize },
    #[error("MsgBody is empty or not valid: {0}")]
    InvalidBody(String),
    #[error("@ list has {count} entries, more than {limit}")]
    TooManyAtUsers { count: usize, limit: usize },
    #[error("invalid user ID {0:?}: 1..=32 printable ASCII bytes required")]
    InvalidUserId(String),
    #[error("invalid group ID {0:?}: 1..=48 printable ASCII bytes required")]
    InvalidGroupId(String),
    #[error("invalid conversation ID {0:?}")]
    InvalidConversationId(String),
    #[error("the system conversation @TIM#SYSTEM cannot be sent to")]
    SystemConversation,
    #[error("UserSig is empty")]
    UserSigEmpty,
    #[error("UserSig cannot be decoded: {0}")]
    UserSigMalformed(String),
    #[error("UserSig signature does not match")]
    UserSigBadSignature,
    #[error("UserSig expired at {expired_at}")]
    UserSigExpired { expired_at: u64 },
    #[error("UserSig was issued for {in_sig:?}, not {requested:?}")]
    UserSigIdentifierMismatch { in_sig: String, requested: String },
    #[error("UserSig was issued for SDKAppID {in_sig}, not {expected}")]
    UserSigSdkAppIdMismatch { in_sig: u64, expected: u64 },
}

impl ProtoError {
    /// Tencent's numeric code for this error.
    pub fn code(&self) -> u32 {
        use codes::*;
        match self {
            ProtoError::BodyTooLong { .. } => BODY_TOO_LONG,
            ProtoError::InvalidBody(_) => MSG_BODY_INVALID,
            ProtoError::TooManyAtUsers { .. } => GROUP_INVALID_PARAMETER,
            ProtoError::InvalidUserId(_) => INVALID_IDENTIFIER,
            ProtoError::InvalidGroupId(_) => GROUP_INVALID_ID,
            ProtoError::InvalidConversationId(_) => INVALID_CONV_ID,
            ProtoError::SystemConversation => INVALID_CONVERSATION,
            ProtoError::UserSigEmpty => USERSIG_EMPTY,
            ProtoError::UserSigMalformed(_) | ProtoError::UserSigBadSignature => USERSIG_INVALID,
            ProtoError::UserSigExpired { .. } => USERSIG_EXPIRED,
            ProtoError::UserSigIdentifierMismatch { .. } => USERSIG_IDENTIFIER_MISMATCH,
            ProtoError::UserSigSdkAppIdMismatch { .. } => USERSIG_SDKAPPID_MISMATCH,
        }
    }
}
