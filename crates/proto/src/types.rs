//! `TencentCloudChat.TYPES` constants with the exact values of Web SDK 3.6.6.

pub const MSG_TEXT: &str = "TIMTextElem";
pub const MSG_IMAGE: &str = "TIMImageElem";
pub const MSG_AUDIO: &str = "TIMSoundElem";
pub const MSG_VIDEO: &str = "TIMVideoFileElem";
pub const MSG_FILE: &str = "TIMFileElem";
pub const MSG_CUSTOM: &str = "TIMCustomElem";
pub const MSG_FACE: &str = "TIMFaceElem";
pub const MSG_LOCATION: &str = "TIMLocationElem";
pub const MSG_MERGER: &str = "TIMRelayElem";
pub const MSG_GRP_TIP: &str = "TIMGroupTipElem";
pub const MSG_GRP_SYS_NOTICE: &str = "TIMGroupSystemNoticeElem";

pub const MSG_PRIORITY_HIGH: &str = "High";
pub const MSG_PRIORITY_NORMAL: &str = "Normal";
pub const MSG_PRIORITY_LOW: &str = "Low";
pub const MSG_PRIORITY_LOWEST: &str = "Lowest";

pub const CONV_C2C: &str = "C2C";
pub const CONV_GROUP: &str = "GROUP";
pub const CONV_TOPIC: &str = "TOPIC";
pub const CONV_SYSTEM: &str = "@TIM#SYSTEM";

pub const CONV_AT_ME: u32 = 1;
pub const CONV_AT_ALL: u32 = 2;
pub const CONV_AT_ALL_AT_ME: u32 = 3;

pub const GRP_WORK: &str = "Private";
pub const GRP_PUBLIC: &str = "Public";
pub const GRP_MEETING: &str = "ChatRoom";
pub const GRP_AVCHATROOM: &str = "AVChatRoom";
pub const GRP_COMMUNITY: &str = "Community";

pub const GRP_MBR_ROLE_OWNER: &str = "Owner";
pub const GRP_MBR_ROLE_ADMIN: &str = "Admin";
pub const GRP_MBR_ROLE_MEMBER: &str = "Member";

pub const MSG_REMIND_ACPT_AND_NOTE: &str = "AcceptAndNotify";

pub const KICKED_OUT_MULT_ACCOUNT: &str = "multipleAccount";
pub const KICKED_OUT_MULT_DEVICE: &str = "multipleDevice";
pub const KICKED_OUT_USERSIG_EXPIRED: &str = "userSigExpired";
pub const KICKED_OUT_REST_API: &str = "REST_API_Kick";

pub const NET_STATE_CONNECTED: &str = "connected";
pub const NET_STATE_CONNECTING: &str = "connecting";
pub const NET_STATE_DISCONNECTED: &str = "disconnected";

/// The @all marker, misspelling ("Messsage") included: it must match byte for byte.
pub const MSG_AT_ALL: &str = "__kImSDK_MesssageAtALL__";

pub const USER_STATUS_UNKNOWN: u32 = 0;
pub const USER_STATUS_ONLINE: u32 = 1;
pub const USER_STATUS_OFFLINE: u32 = 2;
pub const USER_STATUS_UNLOGINED: u32 = 3;

/// Normalises a group type given by a client: the REST API also accepts the
/// product names `Work` and `Meeting`. Returns `None` for unknown types.
pub fn normalize_group_type(raw: &str) -> Option<&'static str> {
    match raw {
        "Private" | "Work" => Some(GRP_WORK),
        "Public" => Some(GRP_PUBLIC),
        "ChatRoom" | "Meeting" => Some(GRP_MEETING),
        "AVChatRoom" => Some(GRP_AVCHATROOM),
        "Community" => Some(GRP_COMMUNITY),
        _ => None,
    }
}

/// Default maximum member count per group type.
pub fn default_max_members(group_type: &str) -> u32 {
    match group_type {
        GRP_WORK => 200,
        GRP_PUBLIC => 2000,
        GRP_MEETING => 10000,
        _ => 100_000,
    }
}

/// Numeric wire form of a priority (1 High .. 4 Lowest); unknown → Normal.
pub fn priority_number(priority: &str) -> u32 {
    match priority {
        MSG_PRIORITY_HIGH => 1,
        MSG_PRIORITY_LOW => 3,
        MSG_PRIORITY_LOWEST => 4,
        _ => 2,
    }
}

/// The priority string for a number or string given on the wire.
pub fn priority_name(n: u32) -> &'static str {
    match n {
        1 => MSG_PRIORITY_HIGH,
        3 => MSG_PRIORITY_LOW,
        4 => MSG_PRIORITY_LOWEST,
        _ => MSG_PRIORITY_NORMAL,
    }
}

pub const GRP_TIP_MBR_JOIN: u32 = 1;
pub const GRP_TIP_MBR_QUIT: u32 = 2;
pub const GRP_TIP_MBR_KICKED_OUT: u32 = 3;
pub const GRP_TIP_MBR_SET_ADMIN: u32 = 4;
pub const GRP_TIP_MBR_CANCELED_ADMIN: u32 = 5;
pub const GRP_TIP_GRP_PROFILE_UPDATED: u32 = 6;
pub const GRP_TIP_MBR_PROFILE_UPDATED: u32 = 7;
pub const GRP_TIP_BAN_AVCHATROOM_MEMBER: u32 = 10;
pub const GRP_TIP_UNBAN_AVCHATROOM_MEMBER: u32 = 11;

/// Conversation marks are bit flags; the shipped JS uses 4 and 8 for FOLD and HIDE.
pub const CONV_MARK_TYPE_STAR: u32 = 1;
pub const CONV_MARK_TYPE_UNREAD: u32 = 2;
pub const CONV_MARK_TYPE_FOLD: u32 = 4;
pub const CONV_MARK_TYPE_HIDE: u32 = 8;

pub const MSG_REMIND_ACPT_NOT_NOTE: &str = "AcceptNotNotify";
pub const MSG_REMIND_DISCARD: &str = "Discard";
pub const NOT_RECEIVE_OFFLINE_PUSH_EXCEPT_AT: &str = "AcceptNotNotifyExceptAt";
pub const NOT_RECEIVE_MSG_EXCEPT_AT: &str = "NotReceiveMsgExceptAt";

pub const JOIN_OPTIONS_FREE_ACCESS: &str = "FreeAccess";
pub const JOIN_OPTIONS_NEED_PERMISSION: &str = "NeedPermission";
pub const JOIN_OPTIONS_DISABLE_APPLY: &str = "DisableApply";
pub const JOIN_STATUS_SUCCESS: &str = "JoinedSuccess";
pub const JOIN_STATUS_ALREADY_IN_GROUP: &str = "AlreadyInGroup";
pub const JOIN_STATUS_WAIT_APPROVAL: &str = "WaitAdminApproval";

pub const READ_ALL_C2C_MSG: &str = "readAllC2CMessage";
pub const READ_ALL_GROUP_MSG: &str = "readAllGroupMessage";
pub const READ_ALL_MSG: &str = "readAllMessage";

/// Image format codes (`ImageFormat`).
pub const IMAGE_FORMAT_JPG: u32 = 1;
pub const IMAGE_FORMAT_GIF: u32 = 2;
pub const IMAGE_FORMAT_PNG: u32 = 3;
pub const IMAGE_FORMAT_BMP: u32 = 4;
pub const IMAGE_FORMAT_OTHER: u32 = 255;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_types_accept_product_names() {
        assert_eq!(normalize_group_type("Work"), Some(GRP_WORK));
        assert_eq!(normalize_group_type("Meeting"), Some(GRP_MEETING));
        assert_eq!(normalize_group_type("ChatRoom"), Some("ChatRoom"));
        assert_eq!(normalize_group_type("work"), None);
        assert_eq!(default_max_members(GRP_WORK), 200);
    }

    #[test]
    fn priorities_map_both_ways() {
        for (name, n) in [("High", 1), ("Normal", 2), ("Low", 3), ("Lowest", 4)] {
            assert_eq!(priority_number(name), n);
            assert_eq!(priority_name(n), name);
        }
        assert_eq!(
            priority_number("Urgent"),
            2,
            "unknown priorities are Normal"
        );
    }
}
