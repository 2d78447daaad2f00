//! `im_cos_msg.*`: the official Web SDK asks for upload URLs here before
//! it `PUT`s a file (`web-sdk-upload-protocol.md` §4).
//!
//! * `pre_sig` / `simple_sig` — a new upload of `file_type` (1 image,
//!   2 video, 3 audio, 255 file): a single-use upload URL whose token is its
//!   authorisation (valid `upload_url_secs`), and the download URL with an
//!   uploader's token (tokens are swapped per conversation on delivery).
//! * `get_imageinfo` — the size of an uploaded image and its 198/720 px
//!   thumbnail URLs (types 3 original, 1 thumbnail, 2 large).
//!
//! The Web SDK sends these frames with `identifier`/`usersig` and no A2Key;
//! the socket's login authenticates them like any other frame.

use natter_proto::codes;
use serde_json::{json, Value};

use super::common::now;
use crate::error::{Result, ServerError};
use crate::media::{new_key, MediaKind, Scope};
use crate::state::{AppState, Caller};
use crate::store::{UploadRecord, UploadState};

/// Upload and download URLs of a new upload.
struct Slot {
    upload_url: String,
    download_url: String,
}

/// The extension of the SDK's random file name, if it is a plain one.
fn extension(file_name: &str) -> String {
    file_name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("")
        .to_ascii_lowercase()
}

async fn new_upload(
    state: &AppState,
    caller: &Caller,
    file_type: u64,
    file_name: &str,
) -> Result<Slot> {
    if caller.is_admin || caller.user.is_empty() {
        return Err(ServerError::NotLoggedIn);
    }
    let kind = MediaKind::from_file_type(file_type).ok_or_else(|| {
        ServerError::bad_request(
            codes::REQUEST_INVALID,
            format!("file_type {file_type} is not 1, 2, 3 or 255"),
        )
    })?;
    let file_name: String = file_name.chars().take(255).collect();
    let ext = extension(&file_name);
    let now = now();
    let expires_at = now + state.config.limits.upload_url_secs;
    let key = new_key();
    let created = state
        .store
        .create_upload(UploadRecord {
            key: key.clone(),
            owner: caller.user.clone(),
            kind: kind.file_type(),
            content_type: mime_guess::from_ext(&ext)
                .first_raw()
                .unwrap_or("")
                .to_owned(),
            file_name,
            length: None,
            offset: 0,
            state: UploadState::Pending,
            created_at: now,
            expires_at,
            info: String::new(),
        })
        .await?;
    if !created {
        return Err(ServerError::Blob("media key collision".into()));
    }
    let urls = &state.media.urls;
    let token = urls.download_token(&key, &Scope::Uploader(caller.user.clone()), now);
    Ok(Slot {
        upload_url: urls.upload_url(&key, expires_at),
        download_url: format!("{}?token={token}", urls.canonical(&key, &ext)),
    })
}

/// `im_cos_msg.pre_sig`
pub async fn pre_sig(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let file_type = body["file_type"].as_u64().unwrap_or(0);
    let name = body["file_name"].as_str().unwrap_or_default();
    let slot = new_upload(state, caller, file_type, name).await?;
    Ok(json!({
        "upload_url": slot.upload_url,
        "download_url": slot.download_url,
        "expired_time": state.config.limits.upload_url_secs,
    }))
}

/// `im_cos_msg.simple_sig`
pub async fn simple_sig(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let object = &body["rpt_upload_object"][0];
    let file_type = object["uint32_file_type"].as_u64().unwrap_or(0);
    let name = object["str_file_name"].as_str().unwrap_or_default();
    let slot = new_upload(state, caller, file_type, name).await?;
    Ok(json!({
        "str_final_ip": "",
        "rpt_pre_sig": [{
            "uint32_file_id": object["uint32_file_id"].as_u64().unwrap_or(1),
            "uint32_exist_flag": 0,
            "str_upload_url": slot.upload_url,
            "str_download_url": slot.download_url,
        }],
    }))
}

/// `im_cos_msg.get_imageinfo`: answered for the caller's own images;
/// anything else gets an empty list (the SDK then measures the image itself).
pub async fn get_imageinfo(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let url = body["str_image_url"].as_str().unwrap_or_default();
    let empty = json!({"rpt_msg_image_info": []});
    let urls = &state.media.urls;
    // Simple mode turns the URL to https; the key is what matters.
    let url_as_served = match url.strip_prefix("https://") {
        Some(rest) if urls.public_url().starts_with("http://") => format!("http://{rest}"),
        _ => url.to_owned(),
    };
    let Some(key) = urls.key_of(&url_as_served) else {
        return Ok(empty);
    };
    let Some(record) = state.store.upload(key).await? else {
        return Ok(empty);
    };
    if record.owner != caller.user || record.state != UploadState::Complete {
        return Ok(empty);
    }
    let Some(facts) = state
        .media
        .image_facts(state.store.as_ref(), &record)
        .await?
    else {
        return Ok(empty);
    };
    let sep = if url.contains('?') { '&' } else { '?' };
    let format = extension(&record.file_name);
    Ok(json!({"rpt_msg_image_info": [
        {"uint32_image_type": 3, "str_url": url, "uint32_width": facts.width,
         "uint32_height": facts.height, "str_image_format": format},
        {"uint32_image_type": 1, "str_url": format!("{url}{sep}imageView2/3/w/198/h/198"),
         "uint32_width": facts.small.0, "uint32_height": facts.small.1},
        {"uint32_image_type": 2, "str_url": format!("{url}{sep}imageView2/3/w/720/h/720"),
         "uint32_width": facts.large.0, "uint32_height": facts.large.1},
    ]}))
}
