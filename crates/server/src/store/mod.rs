//! Storage. Handlers talk to the [`Store`] trait only, so the SQLite
//! implementation (the embedded default) and a PostgreSQL one can be swapped
//! without touching them.
//!
//! Contract shared by every implementation:
//! * a write method returns only after its effect is durable (committed and
//!   synced), so a reply sent after it survives a crash;
//! * `store_c2c` / `store_group` are idempotent: the same sender, `MsgRandom`
//!   and client sequence again returns the first stored message with
//!   `duplicate = true` and stores nothing; `store_c2c` with a
//!   [`C2cDedupe::RandomSince`] also treats any message of the same sender,
//!   receiver and `MsgRandom` stored since then as the first one;
//! * an account ID that is deleted and created again is a new account: the
//!   new owner sees none of the old account's C2C messages or conversations
//!   (its peers keep theirs);
//! * revocations outlive the account they name, so credentials issued
//!   before an account was deleted stay refused for the ID's next owner;
//! * group sequences start at 1 per group and have no gaps for stored messages.

pub mod sqlite;

use async_trait::async_trait;
use natter_proto::MsgItem;

pub use crate::error::ServerError;

pub use sqlite::SqliteStore;

/// Store methods fail with the server's error type (`Db`, `Corrupt`,
/// `WriterGone`, `GroupNotFound`, `GroupIdInUse`).
pub type StoreResult<T> = Result<T, ServerError>;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: String,
    /// Numeric user id the Web SDK puts first in message IDs.
    pub tiny_id: u64,
    pub nick: String,
    pub face_url: String,
}

/// A group's profile and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub group_id: String,
    /// `Private`, `Public` or `ChatRoom` (Tencent's strings).
    pub group_type: String,
    pub name: String,
    pub owner: String,
    pub introduction: String,
    pub notification: String,
    pub face_url: String,
    pub max_members: u32,
    pub created_at: u64,
    /// Sequence of the newest stored message (0 = none).
    pub last_seq: u64,
    pub last_msg_time: u64,
    pub member_count: u32,
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub user_id: String,
    pub role: String,
    pub join_time: u64,
    /// The member has read up to this sequence.
    pub read_seq: u64,
}

/// Result of storing a message.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The stored message (with server time and, for groups, its sequence).
    pub item: MsgItem,
    /// True when this was a resend of an already stored message.
    pub duplicate: bool,
}

/// Which stored C2C message makes a new one a resend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum C2cDedupe {
    /// Same sender, receiver, `MsgRandom` and `MsgSeq` (the client chose the sequence).
    Exact,
    /// Same sender, receiver and `MsgRandom`, stored at or after this time
    /// (unix seconds): a REST client that retries without a `MsgSeq`.
    RandomSince(u64),
}

/// Position in a user's stream of messages, carried in the `openim.getmsg` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncCursor {
    pub c2c: i64,
    pub group: i64,
}

impl SyncCursor {
    /// The opaque cookie text (never empty: the Web SDK drops empty cookies).
    pub fn to_cookie(self) -> String {
        format!("n1.{}.{}", self.c2c, self.group)
    }
    pub fn from_cookie(cookie: &str) -> Option<SyncCursor> {
        let mut parts = cookie.strip_prefix("n1.")?.split('.');
        let c2c = parts.next()?.parse().ok()?;
        let group = parts.next()?.parse().ok()?;
        if parts.next().is_some() || c2c < 0 || group < 0 {
            return None;
        }
        Some(SyncCursor { c2c, group })
    }
}

/// Messages after a cursor, oldest first.
#[derive(Debug, Clone)]
pub struct SyncBatch {
    pub items: Vec<MsgItem>,
    pub cursor: SyncCursor,
    pub complete: bool,
}

/// One page of C2C history, oldest first.
#[derive(Debug, Clone)]
pub struct C2cPage {
    pub items: Vec<MsgItem>,
    pub complete: bool,
}

/// A user's one-to-one conversation.
#[derive(Debug, Clone)]
pub struct C2cConversation {
    pub peer: String,
    pub last: Option<MsgItem>,
    pub unread: u64,
    /// Time up to which the peer has read my messages.
    pub peer_read_time: u64,
}

/// A user's group conversation.
#[derive(Debug, Clone)]
pub struct GroupConversation {
    pub group: GroupRecord,
    pub last: Option<MsgItem>,
    pub unread: u64,
    pub read_seq: u64,
}

/// Where an upload is in its life. Only `Complete` uploads are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// An upload URL was handed out (`im_cos_msg.pre_sig`); no byte yet.
    Pending,
    /// Bytes are arriving; `offset` of them are durable in staging.
    Receiving,
    /// Every byte is in the blob store.
    Complete,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Pending => "pending",
            UploadState::Receiving => "receiving",
            UploadState::Complete => "complete",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(UploadState::Pending),
            "receiving" => Some(UploadState::Receiving),
            "complete" => Some(UploadState::Complete),
            _ => None,
        }
    }
}

/// An uploaded (or uploading) media object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// 32 lowercase hex digits (128 random bits): the blob's name.
    pub key: String,
    pub owner: String,
    /// Tencent's file type: 1 image, 2 video, 3 audio, 255 file.
    pub kind: u32,
    /// The name the uploader gave (the Web SDK sends a random one).
    pub file_name: String,
    /// What the uploader said the content is; downloads only trust it
    /// for passive types (see `media::content_type`).
    pub content_type: String,
    /// Total bytes, once known (tus: at creation; PUT: when it starts).
    pub length: Option<u64>,
    /// Bytes durable in staging (equal to `length` once complete).
    pub offset: u64,
    pub state: UploadState,
    pub created_at: u64,
    /// Unix seconds after which an unfinished upload is deleted.
    pub expires_at: u64,
    /// Facts learnt about the content (image size), as JSON; empty if none.
    pub info: String,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Returns the account, creating it if it does not exist (a valid UserSig logs anyone in).
    async fn ensure_user(&self, user: &str) -> StoreResult<UserRecord>;
    /// Creates or updates an account's profile.
    async fn import_account(
        &self,
        user: &str,
        nick: &str,
        face_url: &str,
    ) -> StoreResult<UserRecord>;
    /// The accounts among `users` that exist.
    async fn get_users(&self, users: &[String]) -> StoreResult<Vec<UserRecord>>;
    /// Deletes accounts with their memberships and conversation lists, and
    /// revokes every credential issued to them until `revoked_at`.
    async fn delete_accounts(&self, users: &[String], revoked_at: u64) -> StoreResult<()>;
    /// Creates a password account; false (and nothing changed) if an account
    /// of any kind already has this ID.
    async fn create_password_account(
        &self,
        user: &str,
        hash: &str,
        nick: &str,
    ) -> StoreResult<bool>;
    async fn password_hash(&self, user: &str) -> StoreResult<Option<String>>;
    /// Refuses, from now on, credentials of `user` issued at or before
    /// `revoked_at` (unix seconds). Later calls only move it forward.
    async fn revoke_credentials(&self, user: &str, revoked_at: u64) -> StoreResult<()>;
    /// The latest revocation of `user`'s credentials (0: none).
    async fn revoked_at(&self, user: &str) -> StoreResult<u64>;

    /// Stores a C2C message (idempotent, see [`C2cDedupe`]) and updates both conversations.
    async fn store_c2c(&self, item: MsgItem, dedupe: C2cDedupe) -> StoreResult<Sent>;
    /// History between `owner` and `peer`, newest page first; `before` is a
    /// `MsgKey` cursor from an earlier page.
    async fn c2c_history(
        &self,
        owner: &str,
        peer: &str,
        before: Option<&str>,
        limit: usize,
    ) -> StoreResult<C2cPage>;
    async fn c2c_conversations(&self, user: &str) -> StoreResult<Vec<C2cConversation>>;
    async fn set_c2c_read(&self, user: &str, peer: &str, time: u64) -> StoreResult<()>;

    async fn create_group(&self, group: GroupRecord, members: Vec<MemberRecord>)
        -> StoreResult<()>;
    async fn group(&self, group_id: &str) -> StoreResult<Option<GroupRecord>>;
    async fn members(&self, group_id: &str) -> StoreResult<Vec<MemberRecord>>;
    /// Adds members; returns the user IDs that were already members.
    async fn add_members(
        &self,
        group_id: &str,
        members: Vec<MemberRecord>,
    ) -> StoreResult<Vec<String>>;
    async fn remove_members(&self, group_id: &str, users: &[String]) -> StoreResult<()>;
    async fn destroy_group(&self, group_id: &str) -> StoreResult<()>;
    async fn joined_groups(&self, user: &str) -> StoreResult<Vec<(GroupRecord, MemberRecord)>>;
    /// Group IDs in creation order, after `after`.
    async fn list_groups(&self, after: u64, limit: usize) -> StoreResult<(Vec<String>, u64)>;
    /// Stores a group message (idempotent), assigning the next group sequence.
    async fn store_group(&self, item: MsgItem) -> StoreResult<Sent>;
    /// Group history, newest first, with `MsgSeq <= max_seq`.
    async fn group_history(
        &self,
        group_id: &str,
        max_seq: Option<u64>,
        limit: usize,
    ) -> StoreResult<Vec<MsgItem>>;
    async fn group_conversations(&self, user: &str) -> StoreResult<Vec<GroupConversation>>;
    async fn set_group_read(&self, user: &str, group_id: &str, seq: u64) -> StoreResult<()>;

    /// Messages for `user` after `cursor`, oldest first.
    async fn sync(&self, user: &str, cursor: SyncCursor, limit: usize) -> StoreResult<SyncBatch>;
    /// The cursor of the newest stored message.
    async fn sync_head(&self) -> StoreResult<SyncCursor>;

    /// Records a new upload; false (nothing changed) if the key exists.
    async fn create_upload(&self, upload: UploadRecord) -> StoreResult<bool>;
    async fn upload(&self, key: &str) -> StoreResult<Option<UploadRecord>>;
    /// Moves a `Pending` upload of `owner` to `Receiving` with its length;
    /// false if it is not pending (an upload URL works once).
    async fn claim_upload(&self, key: &str, owner: &str, length: u64) -> StoreResult<bool>;
    /// Records that `offset` bytes are durable, and the new expiry.
    async fn set_upload_offset(&self, key: &str, offset: u64, expires_at: u64) -> StoreResult<()>;
    /// Marks an upload complete: every one of its `length` bytes is in the blob store.
    async fn complete_upload(&self, key: &str, length: u64) -> StoreResult<()>;
    async fn set_upload_info(&self, key: &str, info: &str) -> StoreResult<()>;
    async fn delete_upload(&self, key: &str) -> StoreResult<()>;
    /// Keys of unfinished uploads that expired before `now`.
    async fn expired_uploads(&self, now: u64, limit: usize) -> StoreResult<Vec<String>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_round_trip_and_rejects_garbage() {
        let c = SyncCursor { c2c: 12, group: 40 };
        assert_eq!(SyncCursor::from_cookie(&c.to_cookie()), Some(c));
        assert!(!SyncCursor::default().to_cookie().is_empty());
        for bad in ["", "n1.", "n1.1", "n1.1.2.3", "x.1.2", "n1.-1.2", "n1.a.b"] {
            assert_eq!(SyncCursor::from_cookie(bad), None, "{bad}");
        }
    }
}
