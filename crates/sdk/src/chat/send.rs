//! Creating messages and sending them.

use natter_proto::element::{validate_at_list, validate_body, Element};
use natter_proto::ids::SYSTEM_CONVERSATION;
use natter_proto::message::{status, GroupAtInfo as WireAtInfo};
use natter_proto::{types, ConversationId, Message, MsgItem};
use rand::Rng;
use serde_json::{json, Value};

use super::{Chat, Outgoing, SendOptions};
use crate::conversation::Conversation;
use crate::error::{Result, SdkError};

impl Chat {
    /// Creates a text message (`createTextMessage`).
    pub fn create_text_message(
        &self,
        to: &str,
        conversation_type: &str,
        text: &str,
    ) -> Result<Message> {
        self.create_message(to, conversation_type, vec![Element::text(text)], Vec::new())
    }

    /// Creates a text message with @-mentions (`createTextAtMessage`), groups only.
    /// `at_user_list` may contain [`types::MSG_AT_ALL`] for @all.
    pub fn create_text_at_message(
        &self,
        to: &str,
        text: &str,
        at_user_list: &[String],
    ) -> Result<Message> {
        validate_at_list(at_user_list)?;
        self.create_message(
            to,
            types::CONV_GROUP,
            vec![Element::text(text)],
            at_user_list.to_vec(),
        )
    }

    /// Creates a message of any elements (custom, face, location … bodies).
    pub fn create_message(
        &self,
        to: &str,
        conversation_type: &str,
        elements: Vec<Element>,
        at_user_list: Vec<String>,
    ) -> Result<Message> {
        let conversation_id = match conversation_type {
            types::CONV_C2C if to == SYSTEM_CONVERSATION => {
                return Err(natter_proto::ProtoError::SystemConversation.into())
            }
            types::CONV_C2C => ConversationId::C2c(natter_proto::UserId::new(to)?),
            types::CONV_GROUP => ConversationId::Group(natter_proto::GroupId::new(to)?),
            _ => return Err(natter_proto::ProtoError::SystemConversation.into()),
        };
        if !at_user_list.is_empty() && conversation_type != types::CONV_GROUP {
            return Err(SdkError::AtOutsideGroup);
        }
        validate_body(&elements, "")?;
        let now = self.server_time();
        let mut st = self.state();
        let me = st.user.clone().ok_or(SdkError::NotLoggedIn)?;
        st.client_seq += 1;
        let client_seq = st.client_seq;
        let random = rand::rng().random_range(0..100_000_000u64);
        let item = MsgItem {
            from_account: me.clone(),
            to_account: (conversation_type == types::CONV_C2C).then(|| to.to_owned()),
            to_group_id: (conversation_type == types::CONV_GROUP).then(|| to.to_owned()),
            group_info: None,
            msg_seq: if conversation_type == types::CONV_C2C {
                client_seq
            } else {
                0
            },
            msg_random: random,
            msg_time_stamp: now,
            msg_client_time: now,
            tiny_id: st.tiny_id.clone(),
            msg_key: String::new(),
            client_seq,
            msg_priority: String::new(),
            from_account_nick: String::new(),
            from_account_headurl: String::new(),
            cloud_custom_data: String::new(),
            msg_body: elements.clone(),
            group_at_info: at_user_list
                .iter()
                .map(|u| WireAtInfo::from_user(u))
                .collect(),
            online_only_flag: 0,
            send_msg_control: Vec::new(),
            need_read_receipt: 0,
            support_message_extension: 0,
        };
        let mut m = Message::from_item(&item, &me);
        m.status = status::UNSEND.to_owned();
        m.conversation_id = conversation_id.to_string();
        st.outbox.insert(
            m.id.clone(),
            Outgoing {
                elements,
                at_user_list,
                media: None,
            },
        );
        Ok(m)
    }

    /// Sends a message created by this instance (`sendMessage`); an image,
    /// file or video message is uploaded first (progress to
    /// `options.on_progress`). On success
    /// `message` gets `status: success`, the server time and (groups) the
    /// group sequence; on failure `status: fail` and the error. Sending the
    /// same message again after a failure is safe: the server deduplicates.
    pub async fn send_message(&self, message: &mut Message, options: &SendOptions) -> Result<()> {
        if let Err(e) = self
            .upload_attachments(message, options.on_progress.as_ref())
            .await
        {
            message.status = status::FAIL.to_owned();
            return Err(e);
        }
        let (elements, at_user_list) = {
            let st = self.state();
            let out = st
                .outbox
                .get(&message.id)
                .ok_or(SdkError::NotAnSdkMessage)?;
            (out.elements.clone(), out.at_user_list.clone())
        };
        validate_body(&elements, &message.cloud_custom_data)?;
        let mut control = Vec::new();
        if options.excluded_from_unread_count {
            control.push("NoUnread");
        }
        if options.excluded_from_last_message {
            control.push("NoLastMsg");
        }
        let result = if message.conversation_type == types::CONV_GROUP {
            let mut body = json!({
                "GroupId": message.to, "Random": message.random, "ClientSeq": message.client_sequence,
                "MsgPriority": message.priority, "MsgBody": elements, "CloudCustomData": message.cloud_custom_data,
                "MsgClientTime": message.client_time,
                "GroupAtInfo": at_user_list.iter().map(|u| WireAtInfo::from_user(u)).collect::<Vec<_>>(),
                "OnlineOnlyFlag": u32::from(options.online_user_only),
                "NeedReadReceipt": u32::from(message.need_read_receipt),
            });
            if !options.online_user_only {
                body["SendMsgControl"] = json!(control);
            }
            self.request("group_open_http_svc.send_group_msg", body)
                .await
        } else {
            let mut body = json!({
                "To_Account": message.to, "MsgSeq": message.client_sequence, "MsgRandom": message.random,
                "MsgBody": elements, "CloudCustomData": message.cloud_custom_data, "MsgClientTime": message.client_time,
                "IsNeedReadReceipt": u32::from(message.need_read_receipt),
            });
            if options.online_user_only {
                body["MsgLifeTime"] = json!(0);
            } else {
                body["SendMsgControl"] = json!(control);
            }
            self.request("openim.sendmsg", body).await
        };
        match result {
            Ok(reply) => {
                message.status = status::SUCCESS.to_owned();
                if let Some(t) = reply.get("MsgTime").and_then(Value::as_u64) {
                    message.time = t;
                }
                if message.conversation_type == types::CONV_GROUP {
                    if let Some(seq) = reply.get("MsgSeq").and_then(Value::as_u64) {
                        message.sequence = seq;
                    }
                }
                message.online_only_flag = options.online_user_only;
                message.is_excluded_from_unread_count = options.excluded_from_unread_count;
                message.is_excluded_from_last_message = options.excluded_from_last_message;
                {
                    let mut st = self.state();
                    st.outbox.remove(&message.id);
                    st.seen.insert(&message.id);
                    let me = st.user.clone().unwrap_or_default();
                    st.conversations
                        .entry(message.conversation_id.clone())
                        .or_insert_with(|| Conversation::new(&message.conversation_id))
                        .apply(message, &me);
                }
                self.emit_conversations();
                Ok(())
            }
            Err(e) => {
                message.status = status::FAIL.to_owned();
                Err(e)
            }
        }
    }
}
