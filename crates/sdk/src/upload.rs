//! Media over HTTP: a tus 1.0 client for uploads and a download client.
//!
//! An upload is created once (`POST /media/tus`) and then fed with `PATCH`
//! requests that stream the file from the offset the server reports. When
//! a request fails on the way (a cut connection, a restarted proxy) the
//! client asks the server for its offset (`HEAD`) and goes on from there:
//! bytes the server has are never sent twice. The server's answer to the
//! last `PATCH` carries the download URL (`Natter-Media-Url`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use natter_proto::codes;
use reqwest::{Response, StatusCode};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;
use tokio_util::sync::CancellationToken;

use crate::error::{Result, SdkError};

/// Attempts of one upload or download before it fails (each resumes).
const ATTEMPTS: u32 = 6;
/// Bytes read from the file per body chunk.
const CHUNK: usize = 1024 * 1024;

/// Called with the bytes done so far and the total.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// What to upload.
#[derive(Debug, Clone)]
pub struct UploadSpec<'a> {
    /// `image`, `video`, `audio` or `file` (the size limit that applies).
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
}

/// Where an upload is (kept by the caller so a retry resumes it).
#[derive(Debug, Clone, Default)]
pub struct UploadState {
    /// The tus upload URL once created.
    pub location: Option<String>,
    /// The download URL once complete.
    pub media_url: Option<String>,
}

/// HTTP client for one logged-in user.
#[derive(Clone)]
pub struct MediaClient {
    http: reqwest::Client,
    /// `http(s)://host[:port]` of the server.
    base: String,
    authorization: String,
}

impl std::fmt::Debug for MediaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The HTTP origin of any accepted server URL (`ws://h:p` → `http://h:p`).
pub fn http_base(server_url: &str) -> String {
    let trimmed = server_url.trim_end_matches('/');
    if let Some(rest) = trimmed.strip_prefix("ws://") {
        format!("http://{rest}")
    } else if let Some(rest) = trimmed.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        trimmed.to_owned()
    } else {
        format!("http://{trimmed}")
    }
}

fn network(e: impl std::fmt::Display) -> SdkError {
    SdkError::Network(e.to_string())
}

/// The error of a refused HTTP request: its status and Tencent's code
/// from the JSON body (or the status alone).
async fn refused(resp: Response, what: &str) -> SdkError {
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let code = body["ErrorCode"]
        .as_u64()
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(codes::UPLOAD_FAILED);
    let info = body["ErrorInfo"].as_str().unwrap_or("").to_owned();
    SdkError::Http {
        status,
        code,
        message: format!("{what}: {info}"),
    }
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl MediaClient {
    pub fn new(server_url: &str, user: &str, user_sig: &str) -> MediaClient {
        MediaClient {
            http: reqwest::Client::new(),
            base: http_base(server_url),
            authorization: format!("Basic {}", STANDARD.encode(format!("{user}:{user_sig}"))),
        }
    }

    fn tus(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header("Tus-Resumable", "1.0.0")
            .header("Authorization", &self.authorization)
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location.to_owned()
        }
    }

    async fn create(&self, spec: &UploadSpec<'_>, length: u64) -> Result<String> {
        let metadata = [
            ("filename", spec.file_name),
            ("filetype", spec.content_type),
            ("kind", spec.kind),
        ]
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",");
        let resp = self
            .tus(reqwest::Method::POST, &format!("{}/media/tus", self.base))
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .map_err(network)?;
        if resp.status() != StatusCode::CREATED {
            return Err(refused(resp, "the server refused the upload").await);
        }
        let location = header(&resp, "location").ok_or_else(|| SdkError::BadReply {
            servcmd: "tus POST".into(),
            reason: "no Location".into(),
        })?;
        Ok(self.absolute(&location))
    }

    /// The server's offset of an upload, and its download URL once complete.
    async fn offset(&self, location: &str) -> Result<(u64, Option<String>)> {
        let resp = self
            .tus(reqwest::Method::HEAD, location)
            .send()
            .await
            .map_err(network)?;
        if !resp.status().is_success() {
            return Err(refused(resp, "the upload is gone").await);
        }
        let offset = header(&resp, "upload-offset")
            .and_then(|o| o.parse().ok())
            .ok_or_else(|| SdkError::BadReply {
                servcmd: "tus HEAD".into(),
                reason: "no Upload-Offset".into(),
            })?;
        Ok((offset, header(&resp, "natter-media-url")))
    }

    /// One PATCH with the file from `offset`; Ok(media URL) when it completed
    /// the upload, Ok(None) if the server stopped early.
    async fn patch(
        &self,
        location: &str,
        path: &Path,
        offset: u64,
        length: u64,
        progress: &ProgressFn,
    ) -> Result<Option<String>> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| SdkError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(network)?;
        let progress = progress.clone();
        let mut sent = offset;
        let stream = ReaderStream::with_capacity(file, CHUNK).map(move |chunk| {
            if let Ok(c) = &chunk {
                sent += c.len() as u64;
                progress(sent.min(length), length);
            }
            chunk
        });
        let resp = self
            .tus(reqwest::Method::PATCH, location)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Length", (length - offset).to_string())
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .map_err(network)?;
        if resp.status() == StatusCode::CONFLICT {
            return Ok(None);
        }
        if resp.status() != StatusCode::NO_CONTENT {
            return Err(refused(resp, "the server refused the upload").await);
        }
        Ok(header(&resp, "natter-media-url"))
    }

    /// Uploads the file at `path` (resuming `state` if it holds an upload);
    /// returns its download URL. `progress` sees bytes the server has or is
    /// being sent; after a resume it may repeat a value, never go back.
    pub async fn upload(
        &self,
        path: &Path,
        spec: &UploadSpec<'_>,
        state: &mut UploadState,
        progress: ProgressFn,
        cancel: &CancellationToken,
    ) -> Result<String> {
        if let Some(url) = &state.media_url {
            return Ok(url.clone());
        }
        let length = tokio::fs::metadata(path)
            .await
            .map_err(|e| SdkError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?
            .len();
        let high_water = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let monotonic: ProgressFn = {
            let high_water = high_water.clone();
            Arc::new(move |done, total| {
                let before = high_water.fetch_max(done, std::sync::atomic::Ordering::Relaxed);
                if done > before {
                    progress(done, total);
                }
            })
        };
        let work = async {
            let mut last_error = None;
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(Duration::from_millis(250 << attempt.min(4))).await;
                }
                let step = async {
                    let (location, offset) = match &state.location {
                        None => {
                            let created = self.create(spec, length).await?;
                            state.location = Some(created.clone());
                            (created, 0)
                        }
                        // Resuming: the server says where it stands.
                        Some(known) => match self.offset(known).await? {
                            (_, Some(url)) => return Ok(Some(url)),
                            (offset, None) => (known.clone(), offset),
                        },
                    };
                    self.patch(&location, path, offset, length, &monotonic)
                        .await
                };
                match step.await {
                    Ok(Some(url)) => return Ok(url),
                    Ok(None) => continue,
                    Err(e @ SdkError::Network(_)) => {
                        tracing::info!("upload of {} interrupted ({e}); resuming", path.display());
                        last_error = Some(e);
                    }
                    Err(SdkError::Http { status: 404, .. }) if state.location.is_some() => {
                        // The unfinished upload expired: start a new one.
                        state.location = None;
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(last_error.unwrap_or_else(|| SdkError::Network("upload did not finish".into())))
        };
        let result = tokio::select! {
            r = work => r,
            _ = cancel.cancelled() => Err(SdkError::Cancelled),
        };
        match result {
            Ok(url) => {
                monotonic(length, length);
                state.media_url = Some(url.clone());
                Ok(url)
            }
            Err(SdkError::Cancelled) => {
                if let Some(location) = state.location.take() {
                    // Best effort: the server also expires abandoned uploads.
                    let _ = self.tus(reqwest::Method::DELETE, &location).send().await;
                }
                Err(SdkError::Cancelled)
            }
            Err(e) => Err(e),
        }
    }

    /// Uploads bytes held in memory (thumbnails) in one request.
    pub async fn upload_bytes(&self, bytes: Bytes, spec: &UploadSpec<'_>) -> Result<String> {
        let location = self.create(spec, bytes.len() as u64).await?;
        let resp = self
            .tus(reqwest::Method::PATCH, &location)
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", "0")
            .body(bytes)
            .send()
            .await
            .map_err(network)?;
        if resp.status() != StatusCode::NO_CONTENT {
            return Err(refused(resp, "the server refused the upload").await);
        }
        header(&resp, "natter-media-url").ok_or_else(|| SdkError::BadReply {
            servcmd: "tus PATCH".into(),
            reason: "no Natter-Media-Url".into(),
        })
    }

    /// Downloads `url` to `out` byte-exact; returns the byte count. The
    /// file appears only once complete (written beside it, then renamed).
    /// A URL without a token is fetched with this user's credentials.
    pub async fn download(&self, url: &str, out: &Path, progress: ProgressFn) -> Result<u64> {
        let mut req = self.http.get(url);
        if !url.contains("token=") {
            req = req.header("Authorization", &self.authorization);
        }
        let resp = req.send().await.map_err(network)?;
        if !resp.status().is_success() {
            return Err(refused(resp, "the server refused the download").await);
        }
        let total = resp.content_length().unwrap_or(0);
        let file_error = |e: std::io::Error| SdkError::File {
            path: out.display().to_string(),
            reason: e.to_string(),
        };
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let partial = tempfile::NamedTempFile::new_in(dir).map_err(file_error)?;
        let mut file = tokio::fs::File::from_std(partial.reopen().map_err(file_error)?);
        let mut body = resp.bytes_stream();
        let mut done = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(network)?;
            file.write_all(&chunk).await.map_err(file_error)?;
            done += chunk.len() as u64;
            progress(done, total.max(done));
        }
        file.sync_all().await.map_err(file_error)?;
        if total != 0 && done != total {
            return Err(SdkError::Network(format!(
                "the download ended after {done} of {total} bytes"
            )));
        }
        partial.persist(out).map_err(|e| file_error(e.error))?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_base_of_server_urls() {
        assert_eq!(http_base("ws://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(http_base("wss://chat.example"), "https://chat.example");
        assert_eq!(http_base("http://h:1"), "http://h:1");
        assert_eq!(http_base("h:1"), "http://h:1");
    }
}
