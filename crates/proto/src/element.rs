//! `MsgBody` elements with Tencent's REST field names (reference §4.2).
//!
//! A message body is an ordered array of `{"MsgType": …, "MsgContent": {…}}`.
//! Each element type is a struct whose serde names are the exact REST names,
//! so a body read from a REST client, the official Web SDK or natter-sdk
//! round-trips unchanged. [`Element::web_payload`] gives the Web SDK's
//! camelCase `payload` for the same element.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::ProtoError;
use crate::limits::{MAX_AT_USERS, MAX_BODY_BYTES};
use crate::types;

/// An ordered list of elements.
pub type MsgBody = Vec<Element>;

/// One element of a message body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "MsgType", content = "MsgContent")]
pub enum Element {
    #[serde(rename = "TIMTextElem")]
    Text(TextElem),
    #[serde(rename = "TIMImageElem")]
    Image(ImageElem),
    #[serde(rename = "TIMSoundElem")]
    Sound(SoundElem),
    #[serde(rename = "TIMVideoFileElem")]
    Video(VideoFileElem),
    #[serde(rename = "TIMFileElem")]
    File(FileElem),
    #[serde(rename = "TIMCustomElem")]
    Custom(CustomElem),
    #[serde(rename = "TIMFaceElem")]
    Face(FaceElem),
    #[serde(rename = "TIMLocationElem")]
    Location(LocationElem),
    #[serde(rename = "TIMRelayElem")]
    Relay(RelayElem),
    #[serde(rename = "TIMGroupTipElem")]
    GroupTip(GroupTipElem),
    #[serde(rename = "TIMGroupSystemNoticeElem")]
    GroupSystemNotice(GroupSystemNoticeElem),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextElem {
    #[serde(rename = "Text")]
    pub text: String,
}

/// One size of an image. REST `Type`: 1 original, 2 large (720 px), 3 thumbnail (198 px).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    #[serde(rename = "Type")]
    pub kind: u32,
    #[serde(rename = "Size", default)]
    pub size: u64,
    #[serde(rename = "Width", default)]
    pub width: u32,
    #[serde(rename = "Height", default)]
    pub height: u32,
    #[serde(rename = "URL", default)]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageElem {
    #[serde(rename = "UUID")]
    pub uuid: String,
    /// 1 JPG, 2 GIF, 3 PNG, 4 BMP, 255 other.
    #[serde(rename = "ImageFormat", default)]
    pub image_format: u32,
    #[serde(rename = "ImageInfoArray", default)]
    pub image_info_array: Vec<ImageInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoundElem {
    #[serde(rename = "Url", default)]
    pub url: String,
    #[serde(rename = "UUID")]
    pub uuid: String,
    #[serde(rename = "Size", default)]
    pub size: u64,
    #[serde(rename = "Second", default)]
    pub second: u32,
    #[serde(rename = "Download_Flag", default = "download_flag")]
    pub download_flag: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoFileElem {
    #[serde(rename = "VideoUrl", default)]
    pub video_url: String,
    #[serde(rename = "VideoUUID")]
    pub video_uuid: String,
    #[serde(rename = "VideoSize", default)]
    pub video_size: u64,
    #[serde(rename = "VideoSecond", default)]
    pub video_second: u32,
    #[serde(rename = "VideoFormat", default)]
    pub video_format: String,
    #[serde(rename = "VideoDownloadFlag", default = "download_flag")]
    pub video_download_flag: u32,
    #[serde(rename = "ThumbUrl", default)]
    pub thumb_url: String,
    #[serde(rename = "ThumbUUID", default)]
    pub thumb_uuid: String,
    #[serde(rename = "ThumbSize", default)]
    pub thumb_size: u64,
    #[serde(rename = "ThumbWidth", default)]
    pub thumb_width: u32,
    #[serde(rename = "ThumbHeight", default)]
    pub thumb_height: u32,
    #[serde(rename = "ThumbFormat", default)]
    pub thumb_format: String,
    #[serde(rename = "ThumbDownloadFlag", default = "download_flag")]
    pub thumb_download_flag: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileElem {
    #[serde(rename = "Url", default)]
    pub url: String,
    #[serde(rename = "UUID")]
    pub uuid: String,
    #[serde(rename = "FileName", default)]
    pub file_name: String,
    #[serde(rename = "FileSize", default)]
    pub file_size: u64,
    #[serde(rename = "Download_Flag", default = "download_flag")]
    pub download_flag: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomElem {
    #[serde(rename = "Data", default)]
    pub data: String,
    #[serde(rename = "Desc", default)]
    pub desc: String,
    #[serde(rename = "Ext", default)]
    pub ext: String,
    #[serde(rename = "Sound", default, skip_serializing_if = "String::is_empty")]
    pub sound: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceElem {
    #[serde(rename = "Index")]
    pub index: i64,
    #[serde(rename = "Data", default)]
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationElem {
    #[serde(rename = "Desc", default)]
    pub desc: String,
    #[serde(rename = "Latitude")]
    pub latitude: f64,
    #[serde(rename = "Longitude")]
    pub longitude: f64,
}

/// One message inside a merger (`TIMRelayElem.MsgList`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayMsg {
    #[serde(rename = "From_Account")]
    pub from_account: String,
    #[serde(
        rename = "To_Account",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_account: Option<String>,
    #[serde(rename = "GroupId", default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(rename = "MsgSeq", default)]
    pub msg_seq: u64,
    #[serde(rename = "MsgRandom", default)]
    pub msg_random: u64,
    #[serde(rename = "MsgTimeStamp", default)]
    pub msg_time_stamp: u64,
    #[serde(rename = "MsgBody")]
    pub msg_body: Vec<Element>,
    #[serde(rename = "CloudCustomData", default)]
    pub cloud_custom_data: String,
}

/// Merge-forwarded history: either inline `MsgList` or a cloud `JsonMsgKey`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayElem {
    #[serde(rename = "Title", default)]
    pub title: String,
    #[serde(rename = "MsgNum", default)]
    pub msg_num: u32,
    #[serde(rename = "CompatibleText", default)]
    pub compatible_text: String,
    #[serde(rename = "AbstractList", default)]
    pub abstract_list: Vec<String>,
    #[serde(rename = "MsgList", default, skip_serializing_if = "Option::is_none")]
    pub msg_list: Option<Vec<RelayMsg>>,
    #[serde(
        rename = "JsonMsgKey",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub json_msg_key: Option<String>,
    #[serde(rename = "PbMsgKey", default, skip_serializing_if = "Option::is_none")]
    pub pb_msg_key: Option<String>,
}

/// A group tip, produced by the server. Fields beyond `OpType` are passed through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupTipElem {
    #[serde(rename = "OpType")]
    pub op_type: u32,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// A group system notice, produced by the server. Fields beyond `OpType` are passed through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSystemNoticeElem {
    #[serde(rename = "OpType")]
    pub op_type: u32,
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

fn download_flag() -> u32 {
    2
}

impl Element {
    pub fn text(text: impl Into<String>) -> Self {
        Element::Text(TextElem { text: text.into() })
    }

    /// The `MsgType` string (equal to the Web SDK's `Message.type`).
    pub fn msg_type(&self) -> &'static str {
        match self {
            Element::Text(_) => types::MSG_TEXT,
            Element::Image(_) => types::MSG_IMAGE,
            Element::Sound(_) => types::MSG_AUDIO,
            Element::Video(_) => types::MSG_VIDEO,
            Element::File(_) => types::MSG_FILE,
            Element::Custom(_) => types::MSG_CUSTOM,
            Element::Face(_) => types::MSG_FACE,
            Element::Location(_) => types::MSG_LOCATION,
            Element::Relay(_) => types::MSG_MERGER,
            Element::GroupTip(_) => types::MSG_GRP_TIP,
            Element::GroupSystemNotice(_) => types::MSG_GRP_SYS_NOTICE,
        }
    }

    /// True for elements only the server may produce.
    pub fn is_server_only(&self) -> bool {
        matches!(self, Element::GroupTip(_) | Element::GroupSystemNotice(_))
    }

    /// The Web SDK `payload` of this element (camelCase names, §1.6).
    pub fn web_payload(&self) -> Value {
        match self {
            Element::Text(t) => json!({ "text": t.text }),
            Element::Image(i) => {
                // REST Type 1/2/3 (original/large/thumb) → Web type 0/2/1, Web order 0,1,2.
                let mut infos: Vec<(u32, Value)> = i
                    .image_info_array
                    .iter()
                    .map(|info| {
                        let web_type = match info.kind {
                            1 => 0,
                            3 => 1,
                            _ => 2,
                        };
                        (
                            web_type,
                            json!({"type": web_type, "sizeType": info.kind, "size": info.size,
                                   "width": info.width, "height": info.height,
                                   "imageUrl": info.url, "url": info.url}),
                        )
                    })
                    .collect();
                infos.sort_by_key(|(t, _)| *t);
                json!({"uuid": i.uuid, "imageFormat": i.image_format,
                       "imageInfoArray": infos.into_iter().map(|(_, v)| v).collect::<Vec<_>>()})
            }
            Element::Sound(s) => json!({"url": s.url, "remoteAudioUrl": s.url, "uuid": s.uuid,
                "second": s.second, "size": s.size, "downloadFlag": s.download_flag}),
            Element::Video(v) => json!({"videoUrl": v.video_url, "remoteVideoUrl": v.video_url,
                "videoUUID": v.video_uuid, "videoSize": v.video_size, "videoSecond": v.video_second,
                "videoFormat": v.video_format, "videoDownloadFlag": v.video_download_flag,
                "thumbUrl": v.thumb_url, "snapshotUrl": v.thumb_url, "remoteSnapshotUrl": v.thumb_url,
                "thumbUUID": v.thumb_uuid, "thumbSize": v.thumb_size, "snapshotSize": v.thumb_size,
                "thumbWidth": v.thumb_width, "snapshotWidth": v.thumb_width,
                "thumbHeight": v.thumb_height, "snapshotHeight": v.thumb_height,
                "thumbFormat": v.thumb_format, "thumbDownloadFlag": v.thumb_download_flag}),
            Element::File(f) => json!({"fileUrl": f.url, "remoteFileUrl": f.url, "uuid": f.uuid,
                "fileName": f.file_name, "fileSize": f.file_size, "downloadFlag": f.download_flag}),
            Element::Custom(c) => {
                json!({"data": c.data, "description": c.desc, "extension": c.ext})
            }
            Element::Face(f) => json!({"index": f.index, "data": f.data}),
            Element::Location(l) => json!({"description": l.desc, "longitude": l.longitude,
                "latitude": l.latitude}),
            Element::Relay(r) => json!({"title": r.title, "abstractList": r.abstract_list,
                "compatibleText": r.compatible_text, "messageList": [],
                "downloadKey": r.json_msg_key.clone().unwrap_or_default(),
                "pbDownloadKey": r.pb_msg_key.clone().unwrap_or_default(),
                "version": 0, "layersOverLimit": false, "msgNum": r.msg_num}),
            Element::GroupTip(t) => {
                let mut m = camel_case_map(&t.fields);
                m.insert("operationType".into(), json!(t.op_type));
                Value::Object(m)
            }
            Element::GroupSystemNotice(n) => {
                let mut m = camel_case_map(&n.fields);
                m.insert("operationType".into(), json!(n.op_type));
                Value::Object(m)
            }
        }
    }
}

fn camel_case_map(fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .map(|(k, v)| {
            let mut chars = k.chars();
            let key = match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            };
            (key, v.clone())
        })
        .collect()
}

/// Validates a body a client wants to send: non-empty, no server-only
/// elements, at most one custom element, and the 12 KB limit over the
/// serialised elements plus `CloudCustomData`.
pub fn validate_body(body: &[Element], cloud_custom_data: &str) -> Result<(), ProtoError> {
    if body.is_empty() {
        return Err(ProtoError::InvalidBody("MsgBody has no elements".into()));
    }
    if let Some(e) = body.iter().find(|e| e.is_server_only()) {
        return Err(ProtoError::InvalidBody(format!(
            "{} cannot be sent by clients",
            e.msg_type()
        )));
    }
    if body
        .iter()
        .filter(|e| matches!(e, Element::Custom(_)))
        .count()
        > 1
    {
        return Err(ProtoError::InvalidBody(
            "at most one TIMCustomElem per message".into(),
        ));
    }
    for e in body {
        if let Element::Text(t) = e {
            if t.text.is_empty() {
                return Err(ProtoError::InvalidBody("TIMTextElem.Text is empty".into()));
            }
        }
    }
    let size = body_size(body) + cloud_custom_data.len();
    if size > MAX_BODY_BYTES {
        return Err(ProtoError::BodyTooLong {
            size,
            limit: MAX_BODY_BYTES,
        });
    }
    Ok(())
}

/// Size in bytes of a body as it travels: its compact JSON.
pub fn body_size(body: &[Element]) -> usize {
    serde_json::to_vec(body)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
}

/// Validates an @ list (≤ 30 entries, @all included).
pub fn validate_at_list(at: &[String]) -> Result<(), ProtoError> {
    if at.len() > MAX_AT_USERS {
        return Err(ProtoError::TooManyAtUsers {
            count: at.len(),
            limit: MAX_AT_USERS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_use_rest_names() {
        let body: MsgBody = serde_json::from_value(json!([
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}},
            {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 3, "Data": "smile"}},
            {"MsgType": "TIMLocationElem", "MsgContent": {"Desc": "here", "Latitude": 1.5, "Longitude": 2.5}},
            {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "d", "Desc": "x", "Ext": "e"}},
            {"MsgType": "TIMSoundElem", "MsgContent": {"UUID": "u", "Url": "http://x", "Second": 3, "Size": 9, "Download_Flag": 2}},
        ]))
        .unwrap();
        assert_eq!(body[0], Element::text("hi"));
        let back = serde_json::to_value(&body).unwrap();
        assert_eq!(back[1]["MsgContent"]["Index"], 3);
        assert_eq!(back[2]["MsgType"], "TIMLocationElem");
        assert_eq!(back[4]["MsgContent"]["Download_Flag"], 2);
        assert_eq!(body[3].web_payload()["description"], "x");
    }

    #[test]
    fn unknown_element_is_rejected() {
        let r: Result<MsgBody, _> =
            serde_json::from_value(json!([{"MsgType": "TIMBogusElem", "MsgContent": {}}]));
        assert!(r.is_err());
    }

    #[test]
    fn image_payload_reorders_sizes_like_the_web_sdk() {
        let e: Element = serde_json::from_value(json!({"MsgType": "TIMImageElem", "MsgContent": {
            "UUID": "img", "ImageFormat": 3, "ImageInfoArray": [
                {"Type": 1, "Size": 100, "Width": 1000, "Height": 800, "URL": "o"},
                {"Type": 2, "Size": 50, "Width": 720, "Height": 576, "URL": "l"},
                {"Type": 3, "Size": 10, "Width": 198, "Height": 158, "URL": "t"}]}}))
        .unwrap();
        let p = e.web_payload();
        let urls: Vec<_> = p["imageInfoArray"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["url"].clone())
            .collect();
        assert_eq!(urls, vec![json!("o"), json!("t"), json!("l")]);
    }

    #[test]
    fn body_limit_is_12k_including_cloud_custom_data() {
        let just_under = vec![Element::text("x".repeat(12 * 1024 - 60))];
        assert!(validate_body(&just_under, "").is_ok());
        let err = validate_body(&just_under, &"c".repeat(100)).unwrap_err();
        assert_eq!(err.code(), 80002);
        assert_eq!(validate_body(&[], "").unwrap_err().code(), 90002);
        assert_eq!(
            validate_body(&[Element::text("")], "").unwrap_err().code(),
            90002
        );
    }

    #[test]
    fn at_list_limit() {
        let thirty: Vec<String> = (0..30).map(|i| format!("u{i}")).collect();
        assert!(validate_at_list(&thirty).is_ok());
        let mut more = thirty.clone();
        more.push(types::MSG_AT_ALL.into());
        assert_eq!(validate_at_list(&more).unwrap_err().code(), 10004);
    }
}
