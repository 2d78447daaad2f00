//! `im_cos_msg.*`: the official Web SDK asks for upload URLs here before
//! it `PUT`s a file (`web-sdk-upload-protocol.md` §4).
//!
//! * `pre_sig` / `simple_sig` — a new upload of `file_type` (1 image,
//!   2 video, 3 audio, 255 file): a single-use upload URL whose token is its
//!   authorisation (valid `upload_url_secs`), and the download URL with an
//!   uploader's token (tokens are swapped per conversation on delivery).
//! * `get_imageinfo` — the size of an uploaded image and its 198/720 px
//!   thumbnail URLs (types 3 original, 1 thumbnail, 2 large).
//! * `video_cover` — for a video, `pre_sig` also hands out a snapshot URL;
//!   after the upload the SDK asks for the cover with it, and gets the URL
//!   of the video's first frame (made once, here).
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
    /// Videos: what the SDK passes back to `video_cover`.
    snapshot_url: Option<String>,
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
    let download_url = format!("{}?token={token}", urls.canonical(&key, &ext));
    Ok(Slot {
        upload_url: urls.upload_url(&key, expires_at),
        snapshot_url: (kind == MediaKind::Video).then(|| format!("{download_url}&cover")),
        download_url,
    })
}

/// `im_cos_msg.pre_sig`
pub async fn pre_sig(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let file_type = body["file_type"].as_u64().unwrap_or(0);
    let name = body["file_name"].as_str().unwrap_or_default();
    let slot = new_upload(state, caller, file_type, name).await?;
    let mut reply = json!({
        "upload_url": slot.upload_url,
        "download_url": slot.download_url,
        "expired_time": state.config.limits.upload_url_secs,
    });
    if let Some(snapshot) = slot.snapshot_url {
        reply["snapshot_url"] = json!(snapshot);
    }
    Ok(reply)
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
            "str_snapshot_url": slot.snapshot_url.unwrap_or_default(),
        }],
    }))
}

/// The caller's own complete upload that `url` (as the SDK echoes it,
/// perhaps turned to https) points to.
async fn own_upload_at(
    state: &AppState,
    caller: &Caller,
    url: &str,
) -> Result<Option<UploadRecord>> {
    let urls = &state.media.urls;
    let url_as_served = match url.strip_prefix("https://") {
        Some(rest) if urls.public_url().starts_with("http://") => format!("http://{rest}"),
        _ => url.to_owned(),
    };
    let Some(key) = urls.key_of(&url_as_served) else {
        return Ok(None);
    };
    Ok(state
        .store
        .upload(key)
        .await?
        .filter(|r| r.owner == caller.user && r.state == UploadState::Complete))
}

/// `im_cos_msg.video_cover`: `{download_url}` of the first frame, or an
/// error (the SDK then sends the video without a cover).
pub async fn video_cover(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let url = body["snapshot_url"].as_str().unwrap_or_default();
    let no_cover =
        || ServerError::bad_request(codes::UPLOAD_FAILED, "no cover can be made of this video");
    let record = own_upload_at(state, caller, url)
        .await?
        .ok_or_else(no_cover)?;
    let facts = state
        .media
        .video_facts(state.store.as_ref(), &record)
        .await?;
    if facts.is_none_or(|f| f.cover.is_none()) {
        return Err(no_cover());
    }
    let urls = &state.media.urls;
    let token = urls.download_token(&record.key, &Scope::Uploader(caller.user.clone()), now());
    let cover = format!(
        "{}?token={token}&cover",
        urls.canonical(&record.key, &extension(&record.file_name))
    );
    Ok(json!({"error_code": 0, "error_msg": "", "download_url": cover}))
}

/// `im_cos_msg.get_imageinfo`: answered for the caller's own images;
/// anything else gets an empty list (the SDK then measures the image itself).
pub async fn get_imageinfo(state: &AppState, caller: &Caller, body: Value) -> Result<Value> {
    let url = body["str_image_url"].as_str().unwrap_or_default();
    let empty = json!({"rpt_msg_image_info": []});
    // Simple mode turns the URL to https; the key is what matters.
    let Some(record) = own_upload_at(state, caller, url).await? else {
        return Ok(empty);
    };
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
