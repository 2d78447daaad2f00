//! Events, the Rust form of `TencentCloudChat.EVENT`.

use natter_proto::Message;

use crate::conversation::Conversation;

/// Connection state (`NET_STATE_CHANGE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetState {
    Connected,
    Connecting,
    Disconnected,
}

impl NetState {
    /// The Web SDK's string (`connected`, `connecting`, `disconnected`).
    pub fn as_str(self) -> &'static str {
        match self {
            NetState::Connected => natter_proto::types::NET_STATE_CONNECTED,
            NetState::Connecting => natter_proto::types::NET_STATE_CONNECTING,
            NetState::Disconnected => natter_proto::types::NET_STATE_DISCONNECTED,
        }
    }
}

/// Why the user was kicked out (`KICKED_OUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KickReason {
    MultipleAccount,
    MultipleDevice,
    UserSigExpired,
    RestApiKick,
}

impl KickReason {
    pub fn from_kick_type(kick_type: u64) -> Self {
        match kick_type {
            1 => KickReason::MultipleAccount,
            2 => KickReason::MultipleDevice,
            _ => KickReason::RestApiKick,
        }
    }

    /// The Web SDK's string.
    pub fn as_str(self) -> &'static str {
        use natter_proto::types::*;
        match self {
            KickReason::MultipleAccount => KICKED_OUT_MULT_ACCOUNT,
            KickReason::MultipleDevice => KICKED_OUT_MULT_DEVICE,
            KickReason::UserSigExpired => KICKED_OUT_USERSIG_EXPIRED,
            KickReason::RestApiKick => KICKED_OUT_REST_API,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Logged in and synced: APIs may be used.
    SdkReady,
    /// Logged out, kicked out, or the session expired.
    SdkNotReady,
    /// New messages, in order; never one already delivered.
    MessageReceived(Vec<Message>),
    /// The full conversation list, newest first.
    ConversationListUpdated(Vec<Conversation>),
    /// Sum of unread counts.
    TotalUnreadMessageCountUpdated(u64),
    NetStateChange(NetState),
    KickedOut(KickReason),
}
