//! Media over HTTP: the Web SDK's single-`PUT` upload and authorised downloads.
//!
//! * `PUT /media/put/<key>?token=…` — the upload URL `im_cos_msg.pre_sig`
//!   handed out; the token is its authorisation and it works once. Answers
//!   200 only after every byte is synced and the object committed.
//! * `GET|HEAD /media/<key>[.<ext>]?token=…[&imageView2/3/w/N/h/N]` — a
//!   download; the token (see `media::urls`) or the uploader's own
//!   credentials (`Authorization: Basic identifier:usersig`) authorise it.
//!   Ranges, passive content types only, `nosniff`, attachments for files.
//!
//! Errors are HTTP statuses with Tencent's JSON error body.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use natter_proto::wire::fail_body;

use crate::auth::unix_now;
use crate::error::{Result, ServerError};
use crate::media::urls::{is_key, TOKEN_PARAM};
use crate::media::{served_type, MediaKind, Variant};
use crate::state::AppState;
use crate::store::UploadState;

/// The HTTP status for a media error.
pub fn status_of(e: &ServerError) -> StatusCode {
    match e {
        ServerError::MediaNotFound(_) => StatusCode::NOT_FOUND,
        ServerError::MediaForbidden(_)
        | ServerError::MediaLinkExpired
        | ServerError::Revoked(_) => StatusCode::FORBIDDEN,
        ServerError::Proto(_) | ServerError::NotLoggedIn => StatusCode::UNAUTHORIZED,
        ServerError::MediaTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ServerError::UploadOffsetMismatch { .. } => StatusCode::CONFLICT,
        ServerError::MediaEmpty
        | ServerError::UploadInvalid(_)
        | ServerError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A media error as a response: its status and `{ActionStatus, ErrorCode, ErrorInfo}`.
pub fn failure(e: &ServerError) -> Response {
    let status = status_of(e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::warn!(error = %e, "media request failed");
    } else {
        tracing::debug!(error = %e, %status, "media request refused");
    }
    let mut response = (status, axum::Json(fail_body(e.code(), &e.to_string()))).into_response();
    common_headers(response.headers_mut());
    response
}

/// Headers every media response carries: no sniffing, no active content,
/// and readable from web pages of any origin (the URL is the credential).
pub fn common_headers(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

/// The user named by `Authorization: Basic base64(identifier:usersig)`,
/// checked like a login (signature, expiry, revocation). `Ok(None)` without
/// the header. A user ID may contain `:`, a UserSig never does: the split
/// is at the last one.
pub async fn basic_user(state: &AppState, headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad =
        || ServerError::MediaForbidden("Authorization must be Basic identifier:usersig".into());
    let encoded = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(bad)?;
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (user, sig) = text.rsplit_once(':').ok_or_else(bad)?;
    let claims = state.auth.verify_user_sig(user, sig)?;
    state.check_not_revoked(user, claims.time).await?;
    Ok(Some(user.to_owned()))
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}

/// `OPTIONS` on an upload URL: the CORS preflight of a browser's `PUT`.
pub async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    common_headers(h);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, PUT, POST, PATCH, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "authorization, content-type, tus-resumable, upload-length, upload-metadata, upload-offset",
        ),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "location, tus-resumable, tus-version, tus-max-size, tus-extension, upload-offset, upload-length, upload-expires, natter-media-url",
        ),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}

/// `PUT /media/put/<key>?token=…`
pub async fn put_upload(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match receive_put(&state, &key, query.as_deref().unwrap_or(""), &headers, body).await {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            common_headers(response.headers_mut());
            response
        }
        Err(e) => failure(&e),
    }
}

async fn receive_put(
    state: &AppState,
    key: &str,
    query: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<()> {
    if !is_key(key) {
        return Err(ServerError::MediaNotFound(key.to_owned()));
    }
    let token = query_param(query, TOKEN_PARAM)
        .ok_or_else(|| ServerError::MediaForbidden("the upload URL has no token".into()))?;
    state
        .media
        .urls
        .check_upload_token(key, token, unix_now())?;
    let record = state
        .store
        .upload(key)
        .await?
        .ok_or_else(|| ServerError::MediaNotFound(key.to_owned()))?;
    // Without Content-Length or chunked encoding an HTTP/1.1 body is empty.
    let length: u64 = match headers.get(header::CONTENT_LENGTH) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ServerError::UploadInvalid("Content-Length is not a number".into()))?,
        None if !headers.contains_key(header::TRANSFER_ENCODING) => 0,
        None => {
            return Err(ServerError::UploadInvalid(
                "Content-Length is required".into(),
            ))
        }
    };
    let kind = MediaKind::from_file_type(record.kind.into())
        .ok_or_else(|| ServerError::Corrupt(format!("upload kind {}", record.kind)))?;
    kind.check_size(&state.config.limits, length)?;
    if !state.store.claim_upload(key, &record.owner, length).await? {
        return Err(ServerError::MediaForbidden(
            "this upload URL was already used".into(),
        ));
    }
    let writer = state.media.writer(key).await;
    let received = state
        .media
        .receive(key, 0, length, body.into_data_stream(), &writer.stop)
        .await?;
    match received.stopped {
        None if received.offset == length => {
            state.media.finish(state.store.as_ref(), key, length).await
        }
        stopped => {
            // A single PUT cannot be resumed: drop what came.
            state.media.discard(state.store.as_ref(), key).await?;
            Err(stopped.unwrap_or_else(|| {
                ServerError::UploadInvalid(format!(
                    "the body had {} of its {length} bytes",
                    received.offset
                ))
            }))
        }
    }
}

/// `GET|HEAD /media/<key>[.<ext>]`
pub async fn download(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    method: Method,
    headers: HeaderMap,
) -> Response {
    match serve(
        &state,
        &file,
        query.as_deref().unwrap_or(""),
        &method,
        &headers,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => failure(&e),
    }
}

async fn serve(
    state: &AppState,
    file: &str,
    query: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response> {
    let key = file.split('.').next().unwrap_or_default();
    if !is_key(key) {
        return Err(ServerError::MediaNotFound(file.to_owned()));
    }
    let record = state.store.upload(key).await?;
    // Authorise before saying whether the file exists.
    match query_param(query, TOKEN_PARAM) {
        Some(token) => {
            state
                .media
                .urls
                .check_download_token(key, token, unix_now())?;
        }
        None => {
            let user = basic_user(state, headers)
                .await?
                .ok_or_else(|| ServerError::MediaForbidden("the link has no token".into()))?;
            if record.as_ref().map(|r| &r.owner) != Some(&user) {
                return Err(ServerError::MediaForbidden(
                    "only the uploader may fetch a file without a token".into(),
                ));
            }
        }
    }
    let record = record
        .filter(|r| r.state == UploadState::Complete)
        .ok_or_else(|| ServerError::MediaNotFound(key.to_owned()))?;
    let variant = match (
        MediaKind::from_file_type(record.kind.into()),
        Variant::from_query(query),
    ) {
        (Some(MediaKind::Image), v @ (Variant::Large | Variant::Small)) => v,
        (Some(MediaKind::Video), Variant::Cover) => Variant::Cover,
        _ => Variant::Original,
    };
    let (blob, thumbnail_type) = state
        .media
        .variant_blob(state.store.as_ref(), &record, variant)
        .await?;
    let size = match thumbnail_type {
        None => record.length.unwrap_or(record.offset),
        Some(_) => state
            .media
            .blobs
            .size(&blob)
            .await?
            .ok_or_else(|| ServerError::MediaNotFound(blob.clone()))?,
    };
    let (content_type, attachment) = match thumbnail_type {
        Some(t) => (t.to_owned(), false),
        None => served_type(&record),
    };

    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(text) => {
            match http_range_header::parse_range_header(text).and_then(|r| r.validate(size)) {
                Ok(ranges) if ranges.len() == 1 => Some(ranges[0].clone()),
                // Several ranges at once: the whole file is a valid answer.
                Ok(_) => None,
                Err(_) => {
                    let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                    let h = response.headers_mut();
                    common_headers(h);
                    h.insert(
                        header::CONTENT_RANGE,
                        header_value(&format!("bytes */{size}")),
                    );
                    return Ok(response);
                }
            }
        }
    };
    let (status, start, end) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, *r.start(), *r.end() + 1),
        None => (StatusCode::OK, 0, size),
    };
    let body = if *method == Method::HEAD || start == end {
        Body::empty()
    } else {
        Body::from_stream(state.media.blobs.get_range(&blob, start..end).await?)
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    common_headers(h);
    h.insert(header::CONTENT_TYPE, header_value(&content_type));
    h.insert(
        header::CONTENT_LENGTH,
        header_value(&(end - start).to_string()),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // Tokens differ per conversation, so the URL is private to its readers.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if range.is_some() {
        h.insert(
            header::CONTENT_RANGE,
            header_value(&format!("bytes {start}-{}/{size}", end - 1)),
        );
    }
    if attachment {
        h.insert(
            header::CONTENT_DISPOSITION,
            header_value(&content_disposition(&record.file_name)),
        );
    }
    Ok(response)
}

/// `attachment` with the uploader's file name (RFC 6266: an ASCII fallback
/// and the exact name percent-encoded in UTF-8).
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A header value from text that is ASCII by construction.
pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_keeps_the_name_and_escapes_the_rest() {
        assert_eq!(
            content_disposition("报告 \"v2\".pdf"),
            "attachment; filename=\"__ _v2_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22v2%22.pdf"
        );
    }
}
