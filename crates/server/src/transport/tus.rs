//! Resumable uploads: tus 1.0.0 core with the creation, termination and
//! expiration extensions (<https://tus.io/protocols/resumable-upload>).
//!
//! * `POST /media/tus` with `Upload-Length` (and `Upload-Metadata`:
//!   `filename`, `filetype`, and Natter's `kind` = image|video|audio|file)
//!   → 201 and a relative `Location`. The size limit of the kind is checked here,
//!   before a byte is stored.
//! * `HEAD /media/tus/<key>` → `Upload-Offset`: the bytes that are durable.
//! * `PATCH /media/tus/<key>` (`application/offset+octet-stream`,
//!   `Upload-Offset` = the durable offset, else 409) appends. A cut
//!   connection keeps what arrived (synced), so the client resumes from
//!   the offset `HEAD` reports. A new request for an upload stops one still
//!   running for it. The PATCH that brings the offset to the length also
//!   commits the file; its answer (and later `HEAD`s) carry
//!   `Natter-Media-Url`, the download URL with an uploader's token.
//! * `DELETE /media/tus/<key>` → 204: an unfinished upload is dropped.
//!
//! Every request but `OPTIONS` needs `Tus-Resumable: 1.0.0` and the
//! uploader's `Authorization: Basic identifier:usersig`. Another user's
//! upload answers 404, as if it did not exist.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::auth::unix_now;
use crate::error::{Result, ServerError};
use crate::media::urls::{is_key, Scope};
use crate::media::{new_key, MediaKind};
use crate::state::AppState;
use crate::store::{UploadRecord, UploadState};
use crate::transport::media::{basic_user, common_headers, failure, header_value, preflight};

pub const TUS_VERSION: &str = "1.0.0";
const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
/// The download URL of a finished upload (with the uploader's token).
pub const MEDIA_URL: HeaderName = HeaderName::from_static("natter-media-url");

fn tus_response(status: StatusCode) -> Response {
    let mut r = status.into_response();
    let h = r.headers_mut();
    common_headers(h);
    h.insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    r
}

fn tus_failure(e: &ServerError) -> Response {
    let mut r = failure(e);
    r.headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    r
}

/// `OPTIONS`: what this server supports (no authentication needed).
pub async fn options(State(state): State<Arc<AppState>>) -> Response {
    let mut r = preflight().await;
    let l = &state.config.limits;
    let max = l
        .image_upload_bytes
        .max(l.video_upload_bytes)
        .max(l.audio_upload_bytes)
        .max(l.file_upload_bytes);
    let h = r.headers_mut();
    h.insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-max-size", header_value(&max.to_string()));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,termination,expiration"),
    );
    r
}

/// Checks `Tus-Resumable` and the credentials; the caller's user ID.
async fn check_request(
    state: &AppState,
    headers: &HeaderMap,
) -> std::result::Result<String, Response> {
    if headers.get(&TUS_RESUMABLE).map(|v| v.as_bytes()) != Some(TUS_VERSION.as_bytes()) {
        let mut r = tus_response(StatusCode::PRECONDITION_FAILED);
        r.headers_mut()
            .insert("tus-version", HeaderValue::from_static(TUS_VERSION));
        return Err(r);
    }
    match basic_user(state, headers).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => {
            let mut r = tus_failure(&ServerError::NotLoggedIn);
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"natter\""),
            );
            Err(r)
        }
        Err(e) => Err(tus_failure(&e)),
    }
}

fn http_date(unix: u64) -> HeaderValue {
    header_value(&httpdate::fmt_http_date(
        UNIX_EPOCH + Duration::from_secs(unix),
    ))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs.
fn metadata(headers: &HeaderMap) -> Result<Vec<(String, String)>> {
    let Some(raw) = headers.get(&UPLOAD_METADATA) else {
        return Ok(Vec::new());
    };
    let bad = |why: &str| ServerError::UploadInvalid(format!("Upload-Metadata {why}"));
    let text = raw.to_str().map_err(|_| bad("is not ASCII"))?;
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once(' ').unwrap_or((pair, ""));
            let value = STANDARD
                .decode(value.trim())
                .map_err(|_| bad("has a value that is not base64"))?;
            let value =
                String::from_utf8(value).map_err(|_| bad("has a value that is not UTF-8"))?;
            Ok((name.to_owned(), value))
        })
        .collect()
}

fn media_url(state: &AppState, record: &UploadRecord) -> HeaderValue {
    let ext = std::path::Path::new(&record.file_name)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("")
        .to_ascii_lowercase();
    let urls = &state.media.urls;
    let token = urls.download_token(
        &record.key,
        &Scope::Uploader(record.owner.clone()),
        unix_now(),
    );
    header_value(&format!(
        "{}?token={token}",
        urls.canonical(&record.key, &ext)
    ))
}

/// `POST /media/tus`
pub async fn create(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let user = match check_request(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match create_upload(&state, &user, &headers).await {
        Ok(record) => {
            let mut r = tus_response(StatusCode::CREATED);
            let h = r.headers_mut();
            // Relative (tus allows it): the client resolves it against the
            // URL it reached the server at, whatever proxy is in between.
            h.insert(
                header::LOCATION,
                header_value(&format!("/media/tus/{}", record.key)),
            );
            h.insert(UPLOAD_EXPIRES, http_date(record.expires_at));
            r
        }
        Err(e) => tus_failure(&e),
    }
}

async fn create_upload(state: &AppState, user: &str, headers: &HeaderMap) -> Result<UploadRecord> {
    if headers.contains_key("upload-defer-length") {
        return Err(ServerError::UploadInvalid(
            "Upload-Defer-Length is not supported: send Upload-Length".into(),
        ));
    }
    let length: u64 = headers
        .get(&UPLOAD_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .ok_or_else(|| ServerError::UploadInvalid("Upload-Length is required".into()))?;
    let meta = metadata(headers)?;
    let field = |name: &str| {
        meta.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let content_type = field("filetype").unwrap_or("").to_owned();
    let kind = MediaKind::from_tus(field("kind"), &content_type).ok_or_else(|| {
        ServerError::UploadInvalid("kind must be image, video, audio or file".into())
    })?;
    kind.check_size(&state.config.limits, length)?;
    let file_name: String = field("filename").unwrap_or("").chars().take(255).collect();
    let now = unix_now();
    let record = UploadRecord {
        key: new_key(),
        owner: user.to_owned(),
        kind: kind.file_type(),
        file_name,
        content_type: content_type.chars().take(128).collect(),
        length: Some(length),
        offset: 0,
        state: UploadState::Receiving,
        created_at: now,
        expires_at: now + state.config.limits.upload_expiry_secs,
        info: String::new(),
    };
    if !state.store.create_upload(record.clone()).await? {
        return Err(ServerError::Blob("media key collision".into()));
    }
    Ok(record)
}

/// The caller's own upload, or 404 (also for someone else's).
async fn own_upload(state: &AppState, user: &str, key: &str) -> Result<UploadRecord> {
    let not_found = || ServerError::MediaNotFound(key.to_owned());
    if !is_key(key) {
        return Err(not_found());
    }
    let record = state.store.upload(key).await?.ok_or_else(not_found)?;
    if record.owner != user {
        return Err(not_found());
    }
    if record.state != UploadState::Complete && record.expires_at < unix_now() {
        return Err(not_found());
    }
    Ok(record)
}

/// `HEAD`, `PATCH` and `DELETE` on `/media/tus/<key>`.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let user = match check_request(&state, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let result = match method {
        Method::HEAD => head(&state, &user, &key).await,
        Method::PATCH => patch(&state, &user, &key, &headers, body).await,
        Method::DELETE => delete(&state, &user, &key).await,
        _ => Ok(tus_response(StatusCode::METHOD_NOT_ALLOWED)),
    };
    result.unwrap_or_else(|e| tus_failure(&e))
}

fn progress_response(state: &AppState, status: StatusCode, record: &UploadRecord) -> Response {
    let mut r = tus_response(status);
    let h = r.headers_mut();
    h.insert(UPLOAD_OFFSET, header_value(&record.offset.to_string()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if record.state == UploadState::Complete {
        h.insert(MEDIA_URL, media_url(state, record));
    } else {
        h.insert(UPLOAD_EXPIRES, http_date(record.expires_at));
    }
    r
}

async fn head(state: &AppState, user: &str, key: &str) -> Result<Response> {
    own_upload(state, user, key).await?;
    // Whatever a cut-off PATCH still holds is synced and counted first.
    let _writer = state.media.writer(key).await;
    let record = own_upload(state, user, key).await?;
    let mut r = progress_response(state, StatusCode::OK, &record);
    if let Some(length) = record.length {
        r.headers_mut()
            .insert(UPLOAD_LENGTH, header_value(&length.to_string()));
    }
    Ok(r)
}

async fn patch(
    state: &AppState,
    user: &str,
    key: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    if headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes())
        != Some(b"application/offset+octet-stream")
    {
        return Ok(tus_response(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let claimed: u64 = headers
        .get(&UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .ok_or_else(|| ServerError::UploadInvalid("Upload-Offset is required".into()))?;
    own_upload(state, user, key).await?;
    let writer = state.media.writer(key).await;
    let record = own_upload(state, user, key).await?;
    if record.state == UploadState::Complete || claimed != record.offset {
        return Err(ServerError::UploadOffsetMismatch {
            expected: record.offset,
            got: claimed,
        });
    }
    let length = record.length.unwrap_or(0);
    let received = state
        .media
        .receive(
            key,
            record.offset,
            length,
            body.into_data_stream(),
            &writer.stop,
        )
        .await?;
    let mut record = record;
    record.offset = received.offset;
    if received.offset == length {
        state
            .media
            .finish(state.store.as_ref(), key, length)
            .await?;
        record.state = UploadState::Complete;
    } else {
        record.expires_at = unix_now() + state.config.limits.upload_expiry_secs;
        state
            .store
            .set_upload_offset(key, received.offset, record.expires_at)
            .await?;
    }
    drop(writer);
    match received.stopped {
        Some(e) => Err(e),
        None => Ok(progress_response(state, StatusCode::NO_CONTENT, &record)),
    }
}

async fn delete(state: &AppState, user: &str, key: &str) -> Result<Response> {
    own_upload(state, user, key).await?;
    let _writer = state.media.writer(key).await;
    let record = own_upload(state, user, key).await?;
    if record.state == UploadState::Complete {
        return Err(ServerError::MediaForbidden(
            "a finished upload may be part of messages and is not deleted".into(),
        ));
    }
    state.media.discard(state.store.as_ref(), key).await?;
    Ok(tus_response(StatusCode::NO_CONTENT))
}
