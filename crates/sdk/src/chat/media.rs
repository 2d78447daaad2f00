//! Image, file, video and audio messages: created from a file on disk — checked,
//! and for images and videos thumbnailed, right away — and uploaded when
//! they are sent.
//!
//! A created media message waits in the outbox with a complete element
//! whose URLs are still empty (sizes, names and durations are known), so a
//! UI can show it at once. `send_message` first uploads the file and its
//! previews over tus ([`crate::upload`]), fills in the URLs, then sends the
//! element like any other. The upload state stays with the message: a
//! failed send retried later resumes the upload where the server stands,
//! and a finished upload is never repeated.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use natter_proto::codes;
use natter_proto::element::{Element, FileElem, ImageElem, ImageInfo, SoundElem, VideoFileElem};
use natter_proto::Message;
use rand::distr::{Alphanumeric, SampleString};
use tokio_util::sync::CancellationToken;

use super::{Chat, OnProgress, Progress};
use crate::error::{Result, SdkError};
use crate::upload::{MediaClient, ProgressFn, UploadSpec, UploadState};

/// The reference's limits (`upload_size_limit`): image and audio 20 MB,
/// video and file 100 MB.
pub const IMAGE_MAX_BYTES: u64 = 20 * 1024 * 1024;
pub const FILE_MAX_BYTES: u64 = 100 * 1024 * 1024;
pub const VIDEO_MAX_BYTES: u64 = 100 * 1024 * 1024;
pub const AUDIO_MAX_BYTES: u64 = 20 * 1024 * 1024;
/// Image extensions the Web SDK accepts (`2252` otherwise).
const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "gif", "png", "bmp", "image", "webp"];
/// Progress reports per second, at most (the last one, 1.0, always comes).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(33);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MediaKind {
    Image,
    File,
    Video,
    Audio,
}

impl MediaKind {
    fn tus_kind(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::File => "file",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
        }
    }
}

/// The file of a media message not sent yet, with what was made from it.
pub(super) struct PendingMedia {
    kind: MediaKind,
    path: PathBuf,
    file_name: String,
    content_type: String,
    /// JPEGs sent beside the file: large and small thumbnail (image), snapshot (video).
    previews: Vec<Bytes>,
    /// Their URLs once uploaded.
    preview_urls: Vec<String>,
    upload: UploadState,
    pub(super) cancel: CancellationToken,
    /// Everything is uploaded and the element has its URLs; the preview
    /// stays available until the message is sent.
    uploaded: bool,
}

impl PendingMedia {
    fn new(kind: MediaKind, path: &Path, content_type: &str, previews: Vec<Bytes>) -> PendingMedia {
        PendingMedia {
            kind,
            path: path.to_owned(),
            file_name: file_name(path),
            content_type: content_type.to_owned(),
            previews,
            preview_urls: Vec::new(),
            upload: UploadState::default(),
            cancel: CancellationToken::new(),
            uploaded: false,
        }
    }
}

/// A local preview of a media message that is not sent yet (for UIs).
#[derive(Debug, Clone)]
pub struct LocalPreview {
    /// The file the message was made from.
    pub path: PathBuf,
    /// A JPEG (the 198 px thumbnail of an image, a video's snapshot), if any.
    pub jpeg: Option<Bytes>,
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> SdkError {
    SdkError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn media_error(code: u32, message: impl Into<String>) -> SdkError {
    SdkError::Media {
        code,
        message: message.into(),
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned())
}

/// The size of a file, refused when empty or over `limit`.
async fn checked_size(path: &Path, limit: u64, too_large: u32) -> Result<u64> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| file_error(path, e))?;
    if !meta.is_file() {
        return Err(file_error(path, "not a file"));
    }
    match meta.len() {
        0 => Err(media_error(codes::FILE_EMPTY, "the file is empty")),
        n if n > limit => Err(media_error(
            too_large,
            format!("the file is {n} bytes, more than the {limit}-byte limit"),
        )),
        n => Ok(n),
    }
}

/// Runs CPU-bound media work off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| SdkError::Network(format!("media task failed: {e}")))?
}

/// Tencent's `ImageFormat`: jpg 1, gif 2, png 3, bmp 4, other 255.
fn image_format(format: &str) -> u32 {
    match format {
        "jpg" => 1,
        "gif" => 2,
        "png" => 3,
        "bmp" => 4,
        _ => 255,
    }
}

impl Chat {
    /// `<SDKAppID>-<user>-<32 random letters and digits>.<ext>`, as the Web SDK makes UUIDs.
    fn media_uuid(&self, ext: &str) -> String {
        let user = self.login_user().unwrap_or_default();
        let random = Alphanumeric.sample_string(&mut rand::rng(), 32);
        format!("{}-{user}-{random}.{ext}", self.inner.options.sdkappid)
    }

    fn attach(&self, message: &Message, media: PendingMedia) {
        if let Some(out) = self.state().outbox.get_mut(&message.id) {
            out.media = Some(media);
        }
    }

    /// Creates an image message from a JPEG, PNG, GIF, WebP or BMP file
    /// (`createImageMessage`); its 720 and 198 px thumbnails are made now.
    /// Codes: 2108 empty, 2252 not an image, 2253 over 20 MB or too many pixels.
    pub async fn create_image_message(
        &self,
        to: &str,
        conversation_type: &str,
        path: &Path,
    ) -> Result<Message> {
        let ext = extension(path);
        if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            return Err(media_error(
                codes::IMAGE_TYPE_UNSUPPORTED,
                format!(
                    "{} is not a jpg, jpeg, gif, png, bmp or webp file",
                    file_name(path)
                ),
            ));
        }
        let size = checked_size(path, IMAGE_MAX_BYTES, codes::IMAGE_TOO_LARGE).await?;
        let owned = path.to_owned();
        let thumbs = blocking(move || {
            let bytes = std::fs::read(&owned).map_err(|e| file_error(&owned, e))?;
            Ok(natter_media::thumbnails(&bytes)?)
        })
        .await?;
        let info = |kind, size, width, height| ImageInfo {
            kind,
            size,
            width,
            height,
            url: String::new(),
        };
        let element = Element::Image(ImageElem {
            uuid: self.media_uuid(thumbs.format),
            image_format: image_format(thumbs.format),
            image_info_array: vec![
                info(1, size, thumbs.width, thumbs.height),
                info(
                    2,
                    thumbs.large.jpeg.len() as u64,
                    thumbs.large.width,
                    thumbs.large.height,
                ),
                info(
                    3,
                    thumbs.small.jpeg.len() as u64,
                    thumbs.small.width,
                    thumbs.small.height,
                ),
            ],
        });
        let message = self.create_message(to, conversation_type, vec![element], Vec::new())?;
        let content_type = match thumbs.format {
            "jpg" => "image/jpeg".to_owned(),
            other => format!("image/{other}"),
        };
        self.attach(
            &message,
            PendingMedia::new(
                MediaKind::Image,
                path,
                &content_type,
                vec![
                    Bytes::from(thumbs.large.jpeg),
                    Bytes::from(thumbs.small.jpeg),
                ],
            ),
        );
        Ok(message)
    }

    /// Creates a file message (`createFileMessage`). Codes: 2108 empty, 2402 over 100 MB.
    pub async fn create_file_message(
        &self,
        to: &str,
        conversation_type: &str,
        path: &Path,
    ) -> Result<Message> {
        let size = checked_size(path, FILE_MAX_BYTES, codes::FILE_TOO_LARGE).await?;
        let name = file_name(path);
        let ext = extension(path);
        let element = Element::File(FileElem {
            url: String::new(),
            uuid: self.media_uuid(if ext.is_empty() { &name } else { &ext }),
            file_name: name.clone(),
            file_size: size,
            download_flag: 2,
        });
        let message = self.create_message(to, conversation_type, vec![element], Vec::new())?;
        let content_type = mime_guess::from_path(path)
            .first_raw()
            .unwrap_or("application/octet-stream");
        self.attach(
            &message,
            PendingMedia::new(MediaKind::File, path, content_type, Vec::new()),
        );
        Ok(message)
    }

    /// Creates a video message from an MP4 or QuickTime file
    /// (`createVideoMessage`): duration, size and a snapshot of the first
    /// frame are read now (H.264; other codecs are sent without a
    /// snapshot). Codes: 2108 empty, 2351 over 100 MB, 2352 not MP4/MOV.
    pub async fn create_video_message(
        &self,
        to: &str,
        conversation_type: &str,
        path: &Path,
    ) -> Result<Message> {
        let ext = extension(path);
        if !matches!(ext.as_str(), "mp4" | "mov" | "m4v") {
            return Err(media_error(
                codes::VIDEO_TYPE_UNSUPPORTED,
                format!("{} is not an mp4 or mov file", file_name(path)),
            ));
        }
        let size = checked_size(path, VIDEO_MAX_BYTES, codes::VIDEO_TOO_LARGE).await?;
        let owned = path.to_owned();
        let video = blocking(move || Ok(natter_media::probe_video(&owned)?)).await?;
        if let Some(why) = &video.no_snapshot {
            tracing::info!("video sent without a snapshot: {why}");
        }
        let (thumb_width, thumb_height, thumb_size) = match &video.snapshot {
            Some(s) => (s.width, s.height, s.jpeg.len() as u64),
            None => (video.width, video.height, 0),
        };
        let element = Element::Video(VideoFileElem {
            video_url: String::new(),
            video_uuid: self.media_uuid(video.format),
            video_size: size,
            video_second: ((video.duration_ms + 500) / 1000) as u32,
            video_format: video.format.to_owned(),
            video_download_flag: 2,
            thumb_url: String::new(),
            thumb_uuid: self.media_uuid("jpg"),
            thumb_size,
            thumb_width,
            thumb_height,
            thumb_format: "jpg".to_owned(),
            thumb_download_flag: 2,
        });
        let message = self.create_message(to, conversation_type, vec![element], Vec::new())?;
        let content_type = if video.format == "mov" {
            "video/quicktime"
        } else {
            "video/mp4"
        };
        self.attach(
            &message,
            PendingMedia::new(
                MediaKind::Video,
                path,
                content_type,
                video
                    .snapshot
                    .map(|s| Bytes::from(s.jpeg))
                    .into_iter()
                    .collect(),
            ),
        );
        Ok(message)
    }

    /// Creates a sound message from an M4A (AAC), WAV or MP3 file
    /// (`createAudioMessage`); its duration is read from the file.
    /// Codes: 2108 empty, 2301 over 20 MB, 2400 not such an audio file.
    pub async fn create_audio_message(
        &self,
        to: &str,
        conversation_type: &str,
        path: &Path,
    ) -> Result<Message> {
        let size = checked_size(path, AUDIO_MAX_BYTES, codes::AUDIO_TOO_LARGE).await?;
        let owned = path.to_owned();
        let audio = blocking(move || Ok(natter_media::probe_audio(&owned)?)).await?;
        let element = Element::Sound(SoundElem {
            url: String::new(),
            uuid: self.media_uuid(audio.format),
            size,
            // The Web SDK's rule (whole seconds, rounded down), but a clip
            // shorter than a second still says 1.
            second: ((audio.duration_ms / 1000).max(1)) as u32,
            download_flag: 2,
        });
        let message = self.create_message(to, conversation_type, vec![element], Vec::new())?;
        let content_type = match audio.format {
            "m4a" => "audio/mp4",
            "mp3" => "audio/mpeg",
            _ => "audio/wav",
        };
        self.attach(
            &message,
            PendingMedia::new(MediaKind::Audio, path, content_type, Vec::new()),
        );
        Ok(message)
    }

    /// The local file and preview of a media message not sent yet.
    pub fn local_preview(&self, message_id: &str) -> Option<LocalPreview> {
        let st = self.state();
        let media = st.outbox.get(message_id)?.media.as_ref()?;
        Some(LocalPreview {
            path: media.path.clone(),
            jpeg: media.previews.last().cloned(),
        })
    }

    /// True if the message has a file still to upload.
    pub fn has_pending_upload(&self, message_id: &str) -> bool {
        self.state()
            .outbox
            .get(message_id)
            .and_then(|o| o.media.as_ref())
            .is_some_and(|m| !m.uploaded)
    }

    /// Uploads the file of a media message (if it has one not uploaded
    /// yet) without sending it; `send_message` then only sends. The
    /// pipeline's prepare step ([`crate::Outbox`]).
    pub async fn prepare_message(
        &self,
        message: &mut Message,
        on_progress: Option<&OnProgress>,
    ) -> Result<()> {
        self.upload_attachments(message, on_progress).await
    }

    /// Stops the upload of a message being sent; its `send_message` fails
    /// with [`SdkError::Cancelled`]. False if it has no upload.
    pub fn cancel_upload(&self, message_id: &str) -> bool {
        let st = self.state();
        match st
            .outbox
            .get(message_id)
            .and_then(|o| o.media.as_ref())
            .filter(|m| !m.uploaded)
        {
            Some(media) => {
                media.cancel.cancel();
                true
            }
            None => false,
        }
    }

    fn media_client(&self) -> Result<MediaClient> {
        let st = self.state();
        let user = st.user.clone().ok_or(SdkError::NotLoggedIn)?;
        Ok(MediaClient::new(
            &self.inner.options.server_url,
            &user,
            &st.user_sig,
        ))
    }

    /// Uploads the file (and previews) of an outbox message if it has any
    /// not uploaded yet, and puts the URLs into its element.
    pub(super) async fn upload_attachments(
        &self,
        message: &mut Message,
        on_progress: Option<&OnProgress>,
    ) -> Result<()> {
        let job = {
            let mut st = self.state();
            let Some(out) = st.outbox.get_mut(&message.id) else {
                return Ok(());
            };
            let Some(media) = out.media.as_mut().filter(|m| !m.uploaded) else {
                return Ok(());
            };
            if media.cancel.is_cancelled() {
                // Cancelled before: a retry starts afresh.
                media.cancel = CancellationToken::new();
            }
            (
                media.kind,
                media.path.clone(),
                media.file_name.clone(),
                media.content_type.clone(),
                media.previews.clone(),
                media.preview_urls.clone(),
                media.upload.clone(),
                media.cancel.clone(),
            )
        };
        let (kind, path, name, content_type, previews, mut preview_urls, mut upload, cancel) = job;
        let file_size = tokio::fs::metadata(&path)
            .await
            .map_err(|e| file_error(&path, e))?
            .len();
        let preview_bytes: u64 = previews.iter().map(|p| p.len() as u64).sum();
        let total = file_size + preview_bytes;
        let report = Throttled::new(on_progress.cloned(), total);
        let client = self.media_client()?;

        // Previews first: they are small, and a receiver shows them first.
        // `done` starts with those a failed attempt already uploaded.
        let mut done: u64 = previews
            .iter()
            .take(preview_urls.len())
            .map(|p| p.len() as u64)
            .sum();
        let mut result = Ok(());
        for (i, preview) in previews.iter().enumerate().skip(preview_urls.len()) {
            let spec = UploadSpec {
                kind: "image",
                file_name: &format!("{}-preview-{i}.jpg", name),
                content_type: "image/jpeg",
            };
            let upload_one = client.upload_bytes(preview.clone(), &spec);
            let outcome = tokio::select! {
                r = upload_one => r,
                _ = cancel.cancelled() => Err(SdkError::Cancelled),
            };
            match outcome {
                Ok(url) => {
                    preview_urls.push(url);
                    done += preview.len() as u64;
                    report.bytes(done);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let previews_done = done;
        let original = match result {
            Ok(()) => {
                let spec = UploadSpec {
                    kind: kind.tus_kind(),
                    file_name: &name,
                    content_type: &content_type,
                };
                let report = report.clone();
                let progress: ProgressFn =
                    Arc::new(move |sent, _| report.bytes(previews_done + sent));
                client
                    .upload(&path, &spec, &mut upload, progress, &cancel)
                    .await
            }
            Err(e) => Err(e),
        };
        // Keep what was uploaded, so a retry resumes instead of repeating.
        let mut st = self.state();
        let Some(out) = st.outbox.get_mut(&message.id) else {
            return original.map(|_| ());
        };
        if let Some(media) = out.media.as_mut() {
            media.preview_urls = preview_urls.clone();
            media.upload = upload;
        }
        let url = original?;
        for element in &mut out.elements {
            fill_urls(element, &url, &preview_urls);
        }
        if let Some(media) = out.media.as_mut() {
            media.uploaded = true;
        }
        if let Some(element) = out.elements.first() {
            message.payload = element.web_payload();
            message.elements = vec![natter_proto::message::WebElement {
                kind: element.msg_type().to_owned(),
                content: element.web_payload(),
            }];
        }
        drop(st);
        report.finish();
        Ok(())
    }

    /// Downloads a media URL of a message to `out`, byte-exact; the number
    /// of bytes. `out` appears only once the download is complete.
    pub async fn download_file(
        &self,
        url: &str,
        out: &Path,
        on_progress: Option<&OnProgress>,
    ) -> Result<u64> {
        let client = self.media_client()?;
        let report = Throttled::new(on_progress.cloned(), 0);
        let progress: ProgressFn = {
            let report = report.clone();
            Arc::new(move |done, total| report.bytes_of(done, total))
        };
        let bytes = client.download(url, out, progress).await?;
        report.finish();
        Ok(bytes)
    }
}

/// Puts the uploaded URLs into an element made at creation time.
fn fill_urls(element: &mut Element, url: &str, previews: &[String]) {
    match element {
        Element::Image(image) => {
            for info in &mut image.image_info_array {
                info.url = match info.kind {
                    2 => previews.first().cloned().unwrap_or_else(|| url.to_owned()),
                    3 => previews.get(1).cloned().unwrap_or_else(|| url.to_owned()),
                    _ => url.to_owned(),
                };
            }
        }
        Element::File(file) => file.url = url.to_owned(),
        Element::Sound(sound) => sound.url = url.to_owned(),
        Element::Video(video) => {
            video.video_url = url.to_owned();
            video.thumb_url = previews.first().cloned().unwrap_or_default();
        }
        _ => {}
    }
}

/// Progress reports, monotonic and at most ~30 a second; `finish` always reports 1.0.
#[derive(Clone)]
struct Throttled {
    callback: Option<OnProgress>,
    state: Arc<Mutex<(Instant, u64, u64)>>,
}

impl Throttled {
    fn new(callback: Option<OnProgress>, total: u64) -> Throttled {
        let long_ago = Instant::now()
            .checked_sub(PROGRESS_INTERVAL)
            .unwrap_or_else(Instant::now);
        Throttled {
            callback,
            state: Arc::new(Mutex::new((long_ago, 0, total))),
        }
    }

    fn bytes(&self, done: u64) {
        let total = self.state.lock().unwrap_or_else(|p| p.into_inner()).2;
        self.bytes_of(done, total);
    }

    fn bytes_of(&self, done: u64, total: u64) {
        let Some(callback) = &self.callback else {
            return;
        };
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if done <= st.1 || done >= total || now.duration_since(st.0) < PROGRESS_INTERVAL {
            st.1 = st.1.max(done.min(total.saturating_sub(1)));
            return;
        }
        *st = (now, done, total);
        drop(st);
        (callback.0)(Progress { bytes: done, total });
    }

    fn finish(&self) {
        let Some(callback) = &self.callback else {
            return;
        };
        let (_, done, total) = *self.state.lock().unwrap_or_else(|p| p.into_inner());
        let total = total.max(done);
        (callback.0)(Progress {
            bytes: total,
            total,
        });
    }
}
