//! Limits from the reference (§3.1).

/// Maximum message body (sum over elements plus cloud custom data), in bytes. Error 80002.
pub const MAX_BODY_BYTES: usize = 12 * 1024;
/// Maximum entries in an @ list, @all included.
pub const MAX_AT_USERS: usize = 30;
/// Maximum user ID length in bytes.
pub const MAX_USER_ID_BYTES: usize = 32;
/// Maximum custom group ID length in bytes.
pub const MAX_GROUP_ID_BYTES: usize = 48;
/// Maximum recipients of `batchsendmsg`.
pub const MAX_BATCH_RECIPIENTS: usize = 500;
/// Default and maximum page of `getMessageList`.
pub const HISTORY_PAGE: usize = 15;
/// Most history messages one request brings back (`MaxCnt`,
/// `ReqMsgNumber`): Tencent's SDK asks for 15 at a time, and Natter's own
/// clients may ask for more when they show more at once.
pub const HISTORY_REQUEST_MAX: usize = 100;
/// Maximum `MsgLifeTime` in seconds (7 days).
pub const MAX_MSG_LIFETIME: u64 = 604_800;
/// Maximum members added when a group is created.
pub const MAX_INITIAL_MEMBERS: usize = 500;
/// Maximum group name length in bytes.
pub const MAX_GROUP_NAME_BYTES: usize = 30;
/// Maximum group introduction length in bytes.
pub const MAX_GROUP_INTRODUCTION_BYTES: usize = 240;
/// Maximum group notification length in bytes.
pub const MAX_GROUP_NOTIFICATION_BYTES: usize = 300;
/// Maximum group avatar URL length in bytes.
pub const MAX_GROUP_FACE_URL_BYTES: usize = 100;
/// Maximum nickname length in bytes (Tencent's `Tag_Profile_IM_Nick`).
pub const MAX_NICK_BYTES: usize = 500;
/// Maximum avatar URL length in bytes (Tencent's `Tag_Profile_IM_Image`).
pub const MAX_FACE_URL_BYTES: usize = 500;
/// Maximum entries of `SendMsgControl` (it has four distinct flags).
pub const MAX_SEND_MSG_CONTROL: usize = 4;
/// Largest value of the 32-bit unsigned fields of the protocol (`MsgRandom`,
/// `MsgSeq`, group `Random`, `ClientSeq`, times in seconds).
pub const MAX_U32_FIELD: u64 = u32::MAX as u64;
