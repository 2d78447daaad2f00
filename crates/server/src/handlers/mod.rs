//! Command handlers, one file per command (or per small family of SDK
//! bookkeeping commands). [`dispatch`] is the single router behind both
//! transports: HTTP `/v4/<service>/<command>` and the WebSocket `servcmd`.
//!
//! A handler takes the caller and the request body (Tencent REST names) and
//! returns the reply fields; the transport adds `ActionStatus/ErrorCode/ErrorInfo`.

mod common;

mod account_check;
mod account_delete;
mod account_import;
mod add_group_member;
mod admin_getroammsg;
mod batchsendmsg;
mod cos_msg;
mod create_group;
mod delete_group_member;
mod destroy_group;
mod get_appid_group_list;
mod get_c2c_unread_msg_num;
mod get_group_info;
mod get_group_member_info;
mod get_group_self_member_info;
mod get_joined_group_list;
mod getmsg;
mod getroammsg;
mod group_msg_get;
mod group_msg_get_simple;
mod kick;
mod multiaccount_import;
mod page_get;
mod password;
mod portrait_get_all;
mod query_online_status;
mod read_report;
mod sdk_bookkeeping;
mod send_group_msg;
mod sendmsg;

use serde_json::Value;

use crate::error::{Result, ServerError};
use crate::state::{AppState, Caller};

pub use common::now;

/// Services whose commands need no login at all.
pub const PUBLIC_SERVICE: &str = "natter_account";

/// Routes `servcmd` (`"<service>.<command>"`) to its handler.
///
/// `Ok(None)` means "unknown command": the WebSocket answers it with a bare
/// success (the official SDK sends many commands Natter has no use for, and
/// an unanswered one costs it a 15 s timeout), HTTP answers 60002.
pub async fn dispatch(
    state: &AppState,
    caller: &Caller,
    servcmd: &str,
    body: Value,
) -> Result<Option<Value>> {
    let reply = match servcmd {
        "im_open_login_svc.account_import" => account_import::handle(state, caller, body).await?,
        "im_open_login_svc.multiaccount_import" => {
            multiaccount_import::handle(state, caller, body).await?
        }
        "im_open_login_svc.account_check" => account_check::handle(state, caller, body).await?,
        "im_open_login_svc.account_delete" => account_delete::handle(state, caller, body).await?,
        "im_open_login_svc.kick" => kick::handle(state, caller, body).await?,

        "openim.sendmsg" => sendmsg::handle(state, caller, body).await?,
        "openim.batchsendmsg" => batchsendmsg::handle(state, caller, body).await?,
        "openim.admin_getroammsg" => admin_getroammsg::handle(state, caller, body).await?,
        "openim.getroammsg" => getroammsg::handle(state, caller, body).await?,
        "openim.admin_set_msg_read" => read_report::admin_set_msg_read(state, caller, body).await?,
        "openim.set_c2c_msg_read" => read_report::set_c2c_msg_read(state, caller, body).await?,
        "openim.get_c2c_unread_msg_num" => {
            get_c2c_unread_msg_num::handle(state, caller, body).await?
        }
        "openim.query_online_status" => query_online_status::handle(state, caller, body).await?,
        "openim.getmsg" => getmsg::handle(state, caller, body).await?,
        "openim.get_peer_read_time" => read_report::get_peer_read_time(state, caller, body).await?,

        "group_open_http_svc.create_group" => create_group::handle(state, caller, body).await?,
        "group_open_http_svc.get_group_info" => get_group_info::handle(state, caller, body).await?,
        "group_open_http_svc.get_group_member_info" => {
            get_group_member_info::handle(state, caller, body).await?
        }
        "group_open_http_svc.add_group_member" => {
            add_group_member::handle(state, caller, body).await?
        }
        "group_open_http_svc.delete_group_member" => {
            delete_group_member::handle(state, caller, body).await?
        }
        "group_open_http_svc.destroy_group" => destroy_group::handle(state, caller, body).await?,
        "group_open_http_svc.get_joined_group_list" => {
            get_joined_group_list::handle(state, caller, body).await?
        }
        "group_open_http_svc.get_appid_group_list" => {
            get_appid_group_list::handle(state, caller, body).await?
        }
        "group_open_http_svc.send_group_msg" => send_group_msg::handle(state, caller, body).await?,
        "group_open_http_svc.group_msg_get_simple" => {
            group_msg_get_simple::handle(state, caller, body).await?
        }
        "group_open_http_svc.group_msg_get" => group_msg_get::handle(state, caller, body).await?,
        "group_open_http_svc.msg_read_report" => {
            read_report::group_msg_read_report(state, caller, body).await?
        }
        "group_open_http_svc.get_group_self_member_info" => {
            get_group_self_member_info::handle(state, caller, body).await?
        }

        "im_cos_msg.pre_sig" => cos_msg::pre_sig(state, caller, body).await?,
        "im_cos_msg.simple_sig" => cos_msg::simple_sig(state, caller, body).await?,
        "im_cos_msg.get_imageinfo" => cos_msg::get_imageinfo(state, caller, body).await?,
        "im_cos_msg.video_cover" => cos_msg::video_cover(state, caller, body).await?,

        "recentcontact.page_get" => page_get::handle(state, caller, body).await?,
        "profile.portrait_get_all" | "profile.portrait_get" => {
            portrait_get_all::handle(state, caller, body).await?
        }

        "natter_account.register" => password::register(state, caller, body).await?,
        "natter_account.login" => password::login(state, body).await?,

        other => match sdk_bookkeeping::reply(other, &body) {
            Some(v) => v,
            None => return Ok(None),
        },
    };
    Ok(Some(reply))
}

/// The same as [`dispatch`], with unknown commands as an error (for HTTP).
pub async fn dispatch_strict(
    state: &AppState,
    caller: &Caller,
    servcmd: &str,
    body: Value,
) -> Result<Value> {
    dispatch(state, caller, servcmd, body)
        .await?
        .ok_or_else(|| ServerError::UnknownCommand(servcmd.to_owned()))
}
