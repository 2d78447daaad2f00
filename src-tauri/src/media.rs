//! Files in and out of the app, and the `natter-media:` scheme through
//! which the page shows media without ever reaching the network itself
//! (its CSP allows no remote origin):
//!
//! * `natter-media://localhost/preview/<message id>` — the local preview
//!   (JPEG) of a media message not sent yet: its thumbnail or snapshot;
//! * `natter-media://localhost/local/<message id>` — the file such a
//!   message was made from;
//! * `natter-media://localhost/remote?url=<media URL>` — a media URL of a
//!   message, fetched by the app from the signed-in server (only from it:
//!   this is no open proxy), `Range` passed through for video.
//! * `natter-media://localhost/recording/<id>` — a recorded voice note not
//!   sent yet, for its preview (answered by `Desktop::media` from the
//!   recorder, see `voice.rs`).
//!
//! Media elements of WebKitGTK cannot load a custom scheme at all, so voice
//! bubbles `fetch` from it (answers allow the app's own origin) and play a
//! `blob:`.

use std::path::{Path, PathBuf};

use natter_proto::codes;
use natter_sdk::upload::http_base;
use natter_sdk::{Chat, SdkError};

use crate::error::{DesktopError, Result};

/// What a file becomes when it is dropped, picked or pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Video,
    File,
}

/// By extension, as the Web SDK decides: images it can show, MP4/MOV video, else a file.
pub fn kind_of(path: &Path) -> Kind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" | "bmp" => Kind::Image,
        "mp4" | "mov" | "m4v" => Kind::Video,
        _ => Kind::File,
    }
}

/// Keeps pasted image bytes as a file in `dir` (the SDK uploads from a
/// path); its name says what it is (`Screenshot-<time>.png`).
pub fn keep_pasted(dir: &Path, bytes: &[u8], mime: &str) -> Result<PathBuf> {
    let ext = match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/bmp" => "bmp",
        _ => {
            return Err(SdkError::Media {
                code: codes::IMAGE_TYPE_UNSUPPORTED,
                message: format!("a pasted {mime:?} is not an image Natter sends"),
            }
            .into())
        }
    };
    let storage = |source| DesktopError::Storage {
        path: dir.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(storage)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let path = free_name(dir, &format!("Screenshot-{stamp}.{ext}"));
    std::fs::write(&path, bytes).map_err(storage)?;
    Ok(path)
}

/// `dir/name`, or `dir/name (2).ext`, … if taken. Only the last component
/// of `name` is used, so a name from a message cannot leave `dir`.
pub fn free_name(dir: &Path, name: &str) -> PathBuf {
    let clean: String = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let clean = if clean.trim_matches('.').is_empty() {
        "download".to_owned()
    } else {
        clean
    };
    let candidate = dir.join(&clean);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, ext) = match clean.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (clean.clone(), String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(candidate)
}

/// A request of the page for a `natter-media:` URL.
#[derive(Debug, Clone)]
pub struct MediaRequest {
    pub uri: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
}

/// The answer to it.
#[derive(Debug)]
pub struct MediaResponse {
    pub status: u16,
    pub content_type: String,
    pub content_range: Option<String>,
    pub body: Vec<u8>,
}

pub(crate) fn not_found(what: &str) -> DesktopError {
    SdkError::Http {
        status: 404,
        code: codes::REQUEST_INVALID,
        message: format!("no {what}"),
    }
    .into()
}

/// Serves a `natter-media:` request for the session of `chat`, signed in at `server_url`.
pub async fn fetch(chat: &Chat, server_url: &str, request: MediaRequest) -> Result<MediaResponse> {
    let uri = reqwest::Url::parse(&request.uri).map_err(|_| not_found("such media URL"))?;
    let segments: Vec<&str> = uri.path_segments().map(|s| s.collect()).unwrap_or_default();
    match segments.as_slice() {
        ["preview", id] => {
            let preview = chat.local_preview(id).ok_or_else(|| not_found("preview"))?;
            let jpeg = preview.jpeg.ok_or_else(|| not_found("preview"))?;
            Ok(MediaResponse {
                status: 200,
                content_type: "image/jpeg".into(),
                content_range: None,
                body: jpeg.to_vec(),
            })
        }
        ["local", id] => {
            let preview = chat
                .local_preview(id)
                .ok_or_else(|| not_found("local file"))?;
            serve_file(&preview.path).await
        }
        ["remote"] => {
            let url = uri
                .query_pairs()
                .find(|(k, _)| k == "url")
                .map(|(_, v)| v.into_owned())
                .ok_or_else(|| not_found("url"))?;
            let origin = format!("{}/media/", http_base(server_url));
            if !url.starts_with(&origin) {
                return Err(SdkError::Http {
                    status: 403,
                    code: codes::REQUEST_INVALID,
                    message: "media is only fetched from the signed-in server".into(),
                }
                .into());
            }
            remote(&url, request.range.as_deref()).await
        }
        _ => Err(not_found("such media URL")),
    }
}

/// A local file, whole, typed by its extension.
pub(crate) async fn serve_file(path: &Path) -> Result<MediaResponse> {
    let body = tokio::fs::read(path)
        .await
        .map_err(|source| DesktopError::Storage {
            path: path.to_owned(),
            source,
        })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let content_type = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    };
    Ok(MediaResponse {
        status: 200,
        content_type: content_type.into(),
        content_range: None,
        body,
    })
}

/// One HTTP client for every media request of the page, so a
/// conversation full of pictures reuses its connections to the server.
fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

async fn remote(url: &str, range: Option<&str>) -> Result<MediaResponse> {
    let mut req = http().get(url);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let network = |e: reqwest::Error| DesktopError::from(SdkError::Network(e.to_string()));
    let resp = req.send().await.map_err(network)?;
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_else(|| "application/octet-stream".into());
    let content_range = header("content-range");
    let body = resp.bytes().await.map_err(network)?.to_vec();
    Ok(MediaResponse {
        status,
        content_type,
        content_range,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_extension() {
        assert_eq!(kind_of(Path::new("/a/B.JPG")), Kind::Image);
        assert_eq!(kind_of(Path::new("clip.mov")), Kind::Video);
        assert_eq!(kind_of(Path::new("notes")), Kind::File);
        assert_eq!(kind_of(Path::new("x.svg")), Kind::File);
    }

    #[test]
    fn free_names_stay_in_the_folder_and_do_not_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            free_name(dir.path(), "../../etc/passwd"),
            dir.path().join("passwd")
        );
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        assert_eq!(free_name(dir.path(), "a.txt"), dir.path().join("a (2).txt"));
        std::fs::write(dir.path().join("a (2).txt"), "x").unwrap();
        assert_eq!(free_name(dir.path(), "a.txt"), dir.path().join("a (3).txt"));
        assert_eq!(free_name(dir.path(), ".."), dir.path().join("download"));
    }

    #[test]
    fn pasted_images_are_kept_and_other_types_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = keep_pasted(dir.path(), b"png bytes", "image/png").unwrap();
        assert_eq!(path.extension().unwrap(), "png");
        assert_eq!(std::fs::read(&path).unwrap(), b"png bytes");
        let err = keep_pasted(dir.path(), b"<svg/>", "image/svg+xml").unwrap_err();
        assert_eq!(err.code(), 2252);
    }
}
