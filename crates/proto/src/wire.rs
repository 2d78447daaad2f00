//! The WebSocket envelope of the Web SDK protocol (`web-sdk-wire-protocol.md` §2).
//!
//! Every frame is `{"head": {...}, "body": {...}}`. Replies echo `servcmd`
//! and `seq`; pushes carry only `servcmd`. Keys are case-sensitive
//! PascalCase, exactly as Tencent spells them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Push command for new messages.
pub const PUSH_MSG: &str = "im_open_push.msg_push";
/// Compressed downlink frames start with these 4 bytes, then a zlib stream.
pub const COMPRESSED_MAGIC: &[u8; 4] = b"COMP";

/// Event number of C2C message arrays in `EventArray`.
pub const EVENT_C2C: u32 = 9;
/// Event number of group message arrays.
pub const EVENT_GROUP: u32 = 3;
/// Event number of kick-out notifications.
pub const EVENT_KICK: u32 = 7;

/// Request or reply head. Unknown fields are kept so replies can echo them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Head {
    #[serde(default)]
    pub servcmd: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usersig: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tinyid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdkappid: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cs: Option<u64>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub head: Head,
    #[serde(default = "empty_object")]
    pub body: Value,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

impl Frame {
    /// A request frame.
    pub fn request(servcmd: &str, seq: u64, body: Value) -> Frame {
        let cs = u64::from(crc32(&body));
        Frame {
            head: Head {
                servcmd: servcmd.to_owned(),
                seq: Some(seq),
                cs: Some(cs),
                ..Head::default()
            },
            body,
        }
    }

    /// A reply to `request`: echoes `servcmd` and `seq` only.
    pub fn reply_to(request: &Head, body: Value) -> Frame {
        Frame {
            head: Head {
                servcmd: request.servcmd.clone(),
                seq: request.seq,
                ..Head::default()
            },
            body,
        }
    }

    /// A server push.
    pub fn push(servcmd: &str, body: Value) -> Frame {
        Frame {
            head: Head {
                servcmd: servcmd.to_owned(),
                ..Head::default()
            },
            body,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // A Frame holds only JSON values and strings: serialisation cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// CRC-32 (IEEE) of the compact JSON text of a body, as the Web SDK puts in `head.cs`.
pub fn crc32(body: &Value) -> u32 {
    crc32fast::hash(body.to_string().as_bytes())
}

/// `{ActionStatus, ErrorCode, ErrorInfo}` merged into `fields`.
pub fn ok_body(fields: Value) -> Value {
    let mut m = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    m.insert("ActionStatus".into(), Value::from("OK"));
    m.insert("ErrorCode".into(), Value::from(0));
    m.insert("ErrorInfo".into(), Value::from(""));
    Value::Object(m)
}

/// A failure body with Tencent's code and a message.
pub fn fail_body(code: u32, info: &str) -> Value {
    serde_json::json!({"ActionStatus": "FAIL", "ErrorCode": code, "ErrorInfo": info})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reply_echoes_servcmd_and_seq() {
        let req: Frame = serde_json::from_value(json!({
            "head": {"servcmd": "openim.sendmsg", "seq": 42, "ver": "v4", "a2": "k", "tinyid": "1"},
            "body": {"To_Account": "bob"}
        }))
        .unwrap();
        assert_eq!(req.head.rest["ver"], "v4");
        let rep = Frame::reply_to(&req.head, ok_body(json!({"MsgTime": 1})));
        let v: Value = serde_json::from_slice(&rep.to_bytes()).unwrap();
        assert_eq!(v["head"], json!({"servcmd": "openim.sendmsg", "seq": 42}));
        assert_eq!(v["body"]["ErrorCode"], 0);
        assert_eq!(v["body"]["MsgTime"], 1);
    }

    #[test]
    fn crc_matches_zlib_crc32_of_the_compact_body() {
        // zlib.crc32(b'{"To_Account":"bob"}') == 0xf496a06b
        assert_eq!(crc32(&json!({"To_Account": "bob"})), 0xf496_a06b);
    }
}
