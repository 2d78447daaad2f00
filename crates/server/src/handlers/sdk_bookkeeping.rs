//! Replies to the bookkeeping commands the official Web SDK sends after
//! login and on first contact with a conversation (wire protocol §4.4).
//! Natter has no friend lists, blocklists or cloud config yet, so these
//! answer "empty and complete" — the exact fields matter: a bare success for
//! `black_list_get` or `page_get` makes the SDK page forever.

use serde_json::{json, Value};

use crate::auth::unix_now;

/// The reply for a bookkeeping command, or `None` if `servcmd` is not one.
pub fn reply(servcmd: &str, _body: &Value) -> Option<Value> {
    Some(match servcmd {
        "sns.black_list_get" => {
            json!({"BlackListItem": [], "StartIndex": 0, "CurruentSequence": 0})
        }
        "sns.friend_get" => {
            json!({"CompleteFlag": 1, "FriendNum": 0, "UserDataItem": [], "StandardSequence": 0, "CustomSequence": 0})
        }
        "sns.group_get" => json!({"ResultItem": [], "LastSequence": 0}),
        "sns.pendency_get" => {
            json!({"PendencyItem": [], "UnreadPendencyCount": 0, "StartTime": 0, "LastSequence": 0})
        }
        "recentcontact.get_contact_group" => {
            json!({"CompleteFlag": 1, "GroupItem": [], "ContactItem": []})
        }
        "recentcontact.search_contact_group" => json!({"ContactItem": []}),
        "million_group_open_http_svc.get_joined_group_list" => {
            json!({"TotalCount": 0, "GroupIdList": []})
        }
        "im_sdk_config_mgr.fetch_config" => {
            json!({"int32_error_code": 0, "str_json_config": "{}", "uint64_version": 1, "uint32_expired_time": 3600})
        }
        "im_sdk_config_mgr.fetch_imsdk_purchase_bitsv2" => {
            json!({"int32_error_code": 0, "str_purchase_bits": "0", "uint32_expired_time": 3600})
        }
        "openim.get_c2c_peer_mute_notifications" => json!({"MuteNotificationsList": []}),
        "im_open_status.wshello" => json!({}),
        "imopenstat.tim_web_report_v2" => json!({}),
        "heartbeat.alive" => json!({"ServerTime": unix_now()}),
        _ => return None,
    })
}
