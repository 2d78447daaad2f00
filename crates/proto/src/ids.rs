//! Identifiers: users, groups and conversations.
//!
//! User IDs are 1..=32 bytes of printable ASCII (0x20..=0x7e); custom group
//! IDs are 1..=48 bytes of printable ASCII and must not start with `@TGS#`,
//! which is reserved for server-generated IDs. Conversation IDs are
//! `C2C<user>`, `GROUP<group>` or the system conversation `@TIM#SYSTEM`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ProtoError;
use crate::limits::{MAX_GROUP_ID_BYTES, MAX_USER_ID_BYTES};

/// Prefix of server-generated group IDs.
pub const GENERATED_GROUP_PREFIX: &str = "@TGS#";
/// The system conversation.
pub const SYSTEM_CONVERSATION: &str = "@TIM#SYSTEM";

fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// A validated user ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    pub fn new(raw: impl Into<String>) -> Result<Self, ProtoError> {
        let raw = raw.into();
        if raw.is_empty() || raw.len() > MAX_USER_ID_BYTES || !printable_ascii(&raw) {
            return Err(ProtoError::InvalidUserId(raw));
        }
        Ok(UserId(raw))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserId {
    type Error = ProtoError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        UserId::new(s)
    }
}
impl From<UserId> for String {
    fn from(u: UserId) -> String {
        u.0
    }
}
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated group ID (generated `@TGS#…` or custom).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupId(String);

impl GroupId {
    /// Accepts any well-formed group ID, generated or custom.
    pub fn new(raw: impl Into<String>) -> Result<Self, ProtoError> {
        let raw = raw.into();
        if raw.is_empty() || raw.len() > MAX_GROUP_ID_BYTES || !printable_ascii(&raw) {
            return Err(ProtoError::InvalidGroupId(raw));
        }
        Ok(GroupId(raw))
    }
    /// Accepts an ID a client chose itself: it must not use the generated prefix.
    pub fn new_custom(raw: impl Into<String>) -> Result<Self, ProtoError> {
        let id = GroupId::new(raw)?;
        if id.0.starts_with(GENERATED_GROUP_PREFIX) {
            return Err(ProtoError::InvalidGroupId(id.0));
        }
        Ok(id)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GroupId {
    type Error = ProtoError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        GroupId::new(s)
    }
}
impl From<GroupId> for String {
    fn from(g: GroupId) -> String {
        g.0
    }
}
impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A conversation, as named by the Web SDK's `conversationID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConversationId {
    C2c(UserId),
    Group(GroupId),
    System,
}

impl ConversationId {
    pub fn parse(raw: &str) -> Result<Self, ProtoError> {
        if raw == SYSTEM_CONVERSATION {
            Ok(ConversationId::System)
        } else if let Some(user) = raw.strip_prefix("C2C") {
            UserId::new(user)
                .map(ConversationId::C2c)
                .map_err(|_| ProtoError::InvalidConversationId(raw.to_owned()))
        } else if let Some(group) = raw.strip_prefix("GROUP") {
            GroupId::new(group)
                .map(ConversationId::Group)
                .map_err(|_| ProtoError::InvalidConversationId(raw.to_owned()))
        } else {
            Err(ProtoError::InvalidConversationId(raw.to_owned()))
        }
    }

    /// `C2C`, `GROUP` or `@TIM#SYSTEM`.
    pub fn kind(&self) -> &'static str {
        match self {
            ConversationId::C2c(_) => crate::types::CONV_C2C,
            ConversationId::Group(_) => crate::types::CONV_GROUP,
            ConversationId::System => crate::types::CONV_SYSTEM,
        }
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConversationId::C2c(u) => write!(f, "C2C{u}"),
            ConversationId::Group(g) => write!(f, "GROUP{g}"),
            ConversationId::System => f.write_str(SYSTEM_CONVERSATION),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_rules() {
        assert!(UserId::new("alice").is_ok());
        assert!(UserId::new("a".repeat(32)).is_ok());
        assert_eq!(UserId::new("a".repeat(33)).unwrap_err().code(), 20003);
        assert!(UserId::new("").is_err());
        assert!(UserId::new("tab\there").is_err());
        assert!(UserId::new("ünicode").is_err());
    }

    #[test]
    fn group_id_rules() {
        assert!(GroupId::new("@TGS#2C5SZEAEF").is_ok());
        assert!(GroupId::new_custom("@TGS#mine").is_err());
        assert!(GroupId::new_custom("team-1").is_ok());
        assert_eq!(GroupId::new("g".repeat(49)).unwrap_err().code(), 10015);
    }

    #[test]
    fn conversation_ids_round_trip() {
        for raw in ["C2Cbob", "GROUP@TGS#abc", "@TIM#SYSTEM"] {
            assert_eq!(ConversationId::parse(raw).unwrap().to_string(), raw);
        }
        assert_eq!(ConversationId::parse("C2Cbob").unwrap().kind(), "C2C");
        assert!(ConversationId::parse("bob").is_err());
        assert!(ConversationId::parse("C2C").is_err());
    }
}
