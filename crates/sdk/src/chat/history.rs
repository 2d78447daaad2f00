//! Paged message history of a conversation.

use natter_proto::{ConversationId, Message, MsgItem};
use serde_json::{json, Value};

use super::{Chat, MessageListPage, PAGE_SIZE};
use crate::error::{Result, SdkError};

impl Chat {
    /// A page of history (`getMessageList`): newest page first, 15 a page,
    /// each page oldest first. Pass `next_req_message_id` from the previous page.
    pub async fn get_message_list(
        &self,
        conversation_id: &str,
        next_req_message_id: Option<&str>,
    ) -> Result<MessageListPage> {
        self.get_message_list_with_count(conversation_id, next_req_message_id, PAGE_SIZE)
            .await
    }

    /// [`Self::get_message_list`] in pages of `count` messages, in one
    /// request each: beyond Tencent's 15, up to
    /// [`limits::HISTORY_REQUEST_MAX`](natter_proto::limits::HISTORY_REQUEST_MAX)
    /// (a larger `count` is taken as that, 0 as 1), for a client that shows
    /// many messages at once.
    pub async fn get_message_list_with_count(
        &self,
        conversation_id: &str,
        next_req_message_id: Option<&str>,
        count: usize,
    ) -> Result<MessageListPage> {
        let count = count.clamp(1, natter_proto::limits::HISTORY_REQUEST_MAX);
        let me = self.login_user().ok_or(SdkError::NotLoggedIn)?;
        let cursor = next_req_message_id
            .filter(|c| !c.is_empty())
            .map(|id| self.state().cursors.get(id).cloned().unwrap_or_default());
        match ConversationId::parse(conversation_id)? {
            ConversationId::C2c(peer) => {
                let reply = self
                    .request("openim.getroammsg", json!({"Peer_Account": peer.as_str(), "MaxCnt": count,
                        "LastMsgTime": 0, "MsgKey": cursor.unwrap_or_default(), "WithRecalledMsg": 1, "GetDirection": 0}))
                    .await?;
                let items: Vec<MsgItem> = parse_list(&reply, "MsgList", "openim.getroammsg")?;
                let complete = reply.get("Complete").and_then(Value::as_u64) == Some(1);
                let list: Vec<Message> = items.iter().map(|i| Message::from_item(i, &me)).collect();
                let next = if complete {
                    String::new()
                } else {
                    list.first().map(|m| m.id.clone()).unwrap_or_default()
                };
                if !next.is_empty() {
                    let key = reply
                        .get("MsgKey")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    self.state().cursors.insert(next.clone(), key);
                }
                Ok(MessageListPage {
                    message_list: list,
                    is_completed: next.is_empty(),
                    next_req_message_id: next,
                })
            }
            ConversationId::Group(group) => {
                let req_seq: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
                let reply = self
                    .request(
                        "group_open_http_svc.group_msg_get",
                        json!({"GroupId": group.as_str(),
                        "ReqMsgNumber": count, "ReqMsgSeq": req_seq, "WithRecalledMsg": 1}),
                    )
                    .await?;
                let mut items: Vec<MsgItem> =
                    parse_list(&reply, "RspMsgList", "group_open_http_svc.group_msg_get")?;
                items.reverse();
                let next_seq = reply
                    .get("NextReqMsgSeq")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let finished =
                    reply.get("IsFinished").and_then(Value::as_u64) == Some(2) || next_seq < 1;
                let list: Vec<Message> = items.iter().map(|i| Message::from_item(i, &me)).collect();
                let next = if finished {
                    String::new()
                } else {
                    next_seq.to_string()
                };
                if !next.is_empty() {
                    self.state().cursors.insert(next.clone(), next.clone());
                }
                Ok(MessageListPage {
                    message_list: list,
                    is_completed: finished,
                    next_req_message_id: next,
                })
            }
            ConversationId::System => Ok(MessageListPage {
                message_list: Vec::new(),
                next_req_message_id: String::new(),
                is_completed: true,
            }),
        }
    }
}

fn parse_list(reply: &Value, key: &str, servcmd: &str) -> Result<Vec<MsgItem>> {
    match reply.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| SdkError::BadReply {
            servcmd: servcmd.to_owned(),
            reason: e.to_string(),
        }),
    }
}
