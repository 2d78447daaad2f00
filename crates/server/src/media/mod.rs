//! Media: the files that image, file, audio and video messages point to.
//!
//! An upload is a row in the store ([`UploadRecord`]) plus, while its
//! bytes arrive, a staging file under `<data dir>/media/staging`. Bytes come
//! through one of two doors, both in `transport`: the single `PUT` of the
//! official Web SDK to the URL `im_cos_msg.pre_sig` handed out
//! (`transport/media.rs`), and tus 1.0 resumable uploads (`transport/tus.rs`).
//! Both go through [`Media::receive`]; when the last byte is synced the
//! staging file is committed to [`Blobs`] and the row becomes complete.
//! Only complete uploads are ever served, so nothing half-written is.
//!
//! Blob names: `objects/<key>` for uploads, `derived/<key>-<size>.jpg` for
//! thumbnails made on request (Tencent's `imageView2` URLs) and
//! `derived/<key>-cover.jpg` for a video's first frame (`video_cover`). URLs and the
//! tokens that authorise downloads are in [`urls`].

pub mod blobs;
pub mod urls;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use natter_proto::codes;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};
use tokio::sync::OwnedMutexGuard;
use tokio_util::sync::CancellationToken;

use crate::config::Limits;
use crate::error::{Result, ServerError};
use crate::store::{Store, UploadRecord, UploadState};

pub use blobs::{Blobs, LocalBlobs};
pub use urls::{MediaUrls, Scope};

/// Sub-directory of the data dir that holds media.
pub const MEDIA_DIR: &str = "media";

/// What an upload is, as Tencent numbers it in `im_cos_msg` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    File,
}

impl MediaKind {
    /// From `file_type` of `pre_sig`/`simple_sig`: 1 image, 2 video, 3 audio, 255 file.
    pub fn from_file_type(t: u64) -> Option<MediaKind> {
        match t {
            1 => Some(MediaKind::Image),
            2 => Some(MediaKind::Video),
            3 => Some(MediaKind::Audio),
            255 => Some(MediaKind::File),
            _ => None,
        }
    }

    pub fn file_type(self) -> u32 {
        match self {
            MediaKind::Image => 1,
            MediaKind::Video => 2,
            MediaKind::Audio => 3,
            MediaKind::File => 255,
        }
    }

    /// From a tus `kind` metadata value, else from the content type.
    pub fn from_tus(kind: Option<&str>, content_type: &str) -> Option<MediaKind> {
        match kind {
            Some("image") => Some(MediaKind::Image),
            Some("video") => Some(MediaKind::Video),
            Some("audio") => Some(MediaKind::Audio),
            Some("file") => Some(MediaKind::File),
            Some(_) => None,
            None => Some(match content_type.split('/').next() {
                Some("image") => MediaKind::Image,
                Some("video") => MediaKind::Video,
                Some("audio") => MediaKind::Audio,
                _ => MediaKind::File,
            }),
        }
    }

    /// The largest upload of this kind, and the code that refuses more.
    pub fn limit(self, limits: &Limits) -> (u64, u32) {
        match self {
            MediaKind::Image => (limits.image_upload_bytes, codes::IMAGE_TOO_LARGE),
            MediaKind::Video => (limits.video_upload_bytes, codes::VIDEO_TOO_LARGE),
            MediaKind::Audio => (limits.audio_upload_bytes, codes::AUDIO_TOO_LARGE),
            MediaKind::File => (limits.file_upload_bytes, codes::FILE_TOO_LARGE),
        }
    }

    /// Refuses a size before any byte is stored.
    pub fn check_size(self, limits: &Limits, size: u64) -> Result<()> {
        let (limit, code) = self.limit(limits);
        if size == 0 {
            return Err(ServerError::MediaEmpty);
        }
        if size > limit {
            return Err(ServerError::MediaTooLarge { code, size, limit });
        }
        Ok(())
    }
}

/// How a download is labelled: the content type, and whether the browser
/// must treat it as an attachment. Uploaded bytes are only ever labelled
/// with passive types a browser will not run (no HTML, SVG, XML or script);
/// anything else is `application/octet-stream` and an attachment.
pub fn served_type(record: &UploadRecord) -> (String, bool) {
    let claimed = if record.content_type.is_empty() {
        mime_guess::from_path(&record.file_name)
            .first_raw()
            .unwrap_or("")
            .to_owned()
    } else {
        record.content_type.to_ascii_lowercase()
    };
    let essence = claimed.split(';').next().unwrap_or("").trim().to_owned();
    let passive = matches!(
        essence.as_str(),
        "image/jpeg"
            | "image/png"
            | "image/gif"
            | "image/webp"
            | "image/bmp"
            | "video/mp4"
            | "video/quicktime"
            | "video/webm"
            | "audio/mp4"
            | "audio/aac"
            | "audio/mpeg"
            | "audio/mp3"
            | "audio/wav"
            | "audio/x-wav"
            | "audio/ogg"
            | "audio/webm"
            | "audio/x-m4a"
            | "text/plain"
            | "application/pdf"
    );
    if passive {
        // Plain text is passive, but only as an attachment (no rendering
        // of a file someone else chose the bytes of).
        let attachment = essence == "text/plain" || record.kind == MediaKind::File.file_type();
        (essence, attachment)
    } else {
        ("application/octet-stream".to_owned(), true)
    }
}

/// What the server learnt about an uploaded image (kept in `info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFacts {
    pub width: u32,
    pub height: u32,
    pub large: (u32, u32),
    pub small: (u32, u32),
}

/// What the server learnt about an uploaded video (kept in `info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoFacts {
    pub width: u32,
    pub height: u32,
    pub duration_ms: u64,
    /// The first frame's JPEG size, if one could be made.
    pub cover: Option<(u32, u32)>,
}

/// An upload's `info`: facts learnt from its bytes, or that they could
/// not be read.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Learnt<T> {
    Facts(T),
    Unreadable { unreadable: bool },
}

impl<T: serde::de::DeserializeOwned> Learnt<T> {
    /// `None`: nothing learnt yet; `Some(None)`: unreadable.
    fn read(info: &str) -> Option<Option<T>> {
        match serde_json::from_str::<Learnt<T>>(info).ok()? {
            Learnt::Facts(facts) => Some(Some(facts)),
            Learnt::Unreadable { .. } => Some(None),
        }
    }
}

impl<'a, T> From<&'a Option<T>> for Learnt<&'a T> {
    fn from(learnt: &'a Option<T>) -> Self {
        match learnt {
            Some(facts) => Learnt::Facts(facts),
            None => Learnt::Unreadable { unreadable: true },
        }
    }
}

/// Which stored variant of an upload to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    /// 720 px short side.
    Large,
    /// 198 px short side.
    Small,
    /// A video's first frame (the query has `cover`).
    Cover,
}

impl Variant {
    /// From a download query: Tencent's `imageView2/<mode>/w/<W>/h/<H>`
    /// asks for a thumbnail; ≤ 198 px is the small one, else the large one.
    pub fn from_query(query: &str) -> Variant {
        if query.split('&').any(|p| p == "cover") {
            return Variant::Cover;
        }
        for part in query.split('&') {
            let Some(spec) = part.strip_prefix("imageView2/") else {
                continue;
            };
            let mut fields = spec.split('/').skip(1);
            let mut biggest = 0u32;
            while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
                if name == "w" || name == "h" {
                    biggest = biggest.max(value.parse().unwrap_or(u32::MAX));
                }
            }
            return if biggest <= natter_media::thumbnail::SMALL_SHORT_SIDE {
                Variant::Small
            } else {
                Variant::Large
            };
        }
        Variant::Original
    }
}

/// The blob name of an upload's bytes.
pub fn object_name(key: &str) -> String {
    format!("objects/{key}")
}

fn derived_name(key: &str, variant: Variant) -> String {
    let size = match variant {
        Variant::Cover => return format!("derived/{key}-cover.jpg"),
        Variant::Small => natter_media::thumbnail::SMALL_SHORT_SIDE,
        _ => natter_media::thumbnail::LARGE_SHORT_SIDE,
    };
    format!("derived/{key}-{size}.jpg")
}

/// A fresh, unguessable media key.
pub fn new_key() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file deleted when dropped (a probe's copy of a remote blob).
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The end of a [`Media::receive`]: how many bytes are now durable, and why it stopped early, if it did.
#[derive(Debug)]
pub struct Received {
    pub offset: u64,
    pub stopped: Option<ServerError>,
}

/// An upload being written: one writer at a time, and a way to tell the
/// current one to stop (a client that resumes after a cut connection must
/// not wait for the dead request to time out).
#[derive(Default)]
struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    stop_current: Mutex<CancellationToken>,
}

/// Exclusive right to write an upload; `stop` fires when a newer request wants it.
pub struct WriteGuard {
    _guard: OwnedMutexGuard<()>,
    pub stop: CancellationToken,
}

/// Media services shared by the transports and handlers.
pub struct Media {
    pub urls: MediaUrls,
    pub blobs: Arc<dyn Blobs>,
    staging: PathBuf,
    writers: Mutex<HashMap<String, Arc<Slot>>>,
    thumbnailing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Thumbnails made at once: decoding a large image takes hundreds of
    /// MB for a moment, so many requests for different images queue here.
    thumbnail_slots: tokio::sync::Semaphore,
}

impl Media {
    /// Media under `data_dir/media`, with URLs under `public_url`.
    pub fn open(data_dir: &Path, public_url: &str, secret: &str, limits: &Limits) -> Result<Media> {
        let root = data_dir.join(MEDIA_DIR);
        let staging = root.join("staging");
        std::fs::create_dir_all(&staging).map_err(|source| ServerError::DataDir {
            path: staging.clone(),
            source,
        })?;
        let blobs = LocalBlobs::open(&root.join("blobs"))?;
        Ok(Media {
            urls: MediaUrls::new(public_url, secret, limits.download_token_days),
            blobs: Arc::new(blobs),
            staging,
            writers: Mutex::new(HashMap::new()),
            thumbnailing: Mutex::new(HashMap::new()),
            thumbnail_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
        })
    }

    pub fn staging_file(&self, key: &str) -> PathBuf {
        self.staging.join(key)
    }

    /// Waits for the right to write `key`, first telling whoever holds it to stop.
    pub async fn writer(&self, key: &str) -> WriteGuard {
        let slot = self
            .writers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_owned())
            .or_default()
            .clone();
        slot.stop_current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .cancel();
        let guard = slot.lock.clone().lock_owned().await;
        let stop = CancellationToken::new();
        *slot.stop_current.lock().unwrap_or_else(|p| p.into_inner()) = stop.clone();
        WriteGuard {
            _guard: guard,
            stop,
        }
    }

    fn forget_writer(&self, key: &str) {
        self.writers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Appends `body` to the staging file of `key` at `offset` (cutting off
    /// anything after `offset` that was never acknowledged), accepting at
    /// most `length - offset` bytes. Stops at the end of the body, at a
    /// body error (a cut connection), or when `stop` fires; in every case
    /// what was received is synced and its new offset returned, so a
    /// resumed upload need not send it again.
    pub async fn receive<S, E>(
        &self,
        key: &str,
        offset: u64,
        length: u64,
        body: S,
        stop: &CancellationToken,
    ) -> Result<Received>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = self.staging_file(key);
        let io = |e: std::io::Error| ServerError::Blob(format!("{}: {e}", path.display()));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&path).await.map_err(io)?;
        file.set_len(offset).await.map_err(io)?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(io)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut at = offset;
        let mut body = body;
        let mut stopped = None;
        loop {
            let next = tokio::select! {
                next = body.next() => next,
                _ = stop.cancelled() => {
                    stopped = Some(ServerError::UploadInvalid("a newer request for this upload took over".into()));
                    break;
                }
            };
            match next {
                None => break,
                Some(Err(e)) => {
                    stopped = Some(ServerError::UploadInvalid(format!(
                        "the upload was cut off: {e}"
                    )));
                    break;
                }
                Some(Ok(chunk)) => {
                    let room = length - at;
                    if chunk.len() as u64 > room {
                        out.write_all(&chunk[..room as usize]).await.map_err(io)?;
                        at = length;
                        stopped = Some(ServerError::UploadInvalid(format!(
                            "more bytes than the upload's length of {length}"
                        )));
                        break;
                    }
                    out.write_all(&chunk).await.map_err(io)?;
                    at += chunk.len() as u64;
                }
            }
        }
        out.flush().await.map_err(io)?;
        out.into_inner().sync_all().await.map_err(io)?;
        Ok(Received {
            offset: at,
            stopped,
        })
    }

    /// Moves a fully received upload into the blob store and marks it complete.
    pub async fn finish(&self, store: &dyn Store, key: &str, length: u64) -> Result<()> {
        self.blobs
            .commit_file(&object_name(key), &self.staging_file(key))
            .await?;
        store.complete_upload(key, length).await?;
        self.forget_writer(key);
        tracing::debug!(key, length, "upload complete");
        Ok(())
    }

    /// Deletes an unfinished upload: its row and its staged bytes.
    pub async fn discard(&self, store: &dyn Store, key: &str) -> Result<()> {
        store.delete_upload(key).await?;
        match tokio::fs::remove_file(self.staging_file(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(ServerError::Blob(format!(
                    "cannot delete staged upload {key}: {e}"
                )))
            }
            _ => {}
        }
        self.forget_writer(key);
        Ok(())
    }

    /// Deletes unfinished uploads whose time ran out; returns how many.
    pub async fn sweep_expired(&self, store: &dyn Store, now: u64) -> Result<usize> {
        let keys = store.expired_uploads(now, 256).await?;
        for key in &keys {
            let _writer = self.writer(key).await;
            // Re-checked under the writer lock: a PATCH may just have extended it.
            match store.upload(key).await? {
                Some(u) if u.state != UploadState::Complete && u.expires_at < now => {
                    self.discard(store, key).await?;
                    tracing::debug!(key, "expired upload deleted");
                }
                _ => {}
            }
        }
        Ok(keys.len())
    }

    /// What was learnt about an upload, made at most once: `info` keeps
    /// the facts — or that the bytes cannot be read, so a hostile or
    /// broken file is not decoded again on every request. Requests for
    /// the same upload wait for the first; different uploads are worked on
    /// at most one per core.
    async fn learn_once<T, F, Fut>(
        &self,
        store: &dyn Store,
        record: &UploadRecord,
        learn: F,
    ) -> Result<Option<T>>
    where
        T: Serialize + serde::de::DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        if let Some(known) = Learnt::<T>::read(&record.info) {
            return Ok(known);
        }
        let lock = self
            .thumbnailing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(record.key.clone())
            .or_default()
            .clone();
        let _making = lock.lock().await;
        // Whoever held the lock first may have learnt it meanwhile.
        if let Some(fresh) = store.upload(&record.key).await? {
            if let Some(known) = Learnt::<T>::read(&fresh.info) {
                return Ok(known);
            }
        }
        let learnt = async {
            let _slot = self
                .thumbnail_slots
                .acquire()
                .await
                .map_err(|_| ServerError::Blob("thumbnailing stopped".into()))?;
            let learnt = learn().await?;
            let info = serde_json::to_string(&Learnt::from(&learnt))
                .map_err(|e| ServerError::Blob(e.to_string()))?;
            store.set_upload_info(&record.key, &info).await?;
            Ok(learnt)
        }
        .await;
        self.thumbnailing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&record.key);
        learnt
    }

    /// The facts about an uploaded image, making (once) and storing its
    /// two thumbnails. `Ok(None)` if the bytes are not an image Natter can
    /// read (the original is then served for thumbnail URLs too).
    pub async fn image_facts(
        &self,
        store: &dyn Store,
        record: &UploadRecord,
    ) -> Result<Option<ImageFacts>> {
        if record.kind != MediaKind::Image.file_type() {
            return Ok(None);
        }
        self.learn_once(store, record, || async {
            let original = self.blobs.get(&object_name(&record.key)).await?;
            let made = tokio::task::spawn_blocking(move || natter_media::thumbnails(&original))
                .await
                .map_err(|e| ServerError::Blob(format!("thumbnail task failed: {e}")))?;
            let t = match made {
                Ok(t) => t,
                Err(e) => {
                    tracing::info!(key = %record.key, code = e.code(), error = %e, "no thumbnails for an uploaded image");
                    return Ok(None);
                }
            };
            for (variant, jpeg) in [(Variant::Large, t.large.jpeg), (Variant::Small, t.small.jpeg)] {
                self.blobs
                    .put(&derived_name(&record.key, variant), Bytes::from(jpeg))
                    .await?;
            }
            Ok(Some(ImageFacts {
                width: t.width,
                height: t.height,
                large: (t.large.width, t.large.height),
                small: (t.small.width, t.small.height),
            }))
        })
        .await
    }

    /// The facts about an uploaded video, making (once) and storing the
    /// JPEG of its first frame. `Ok(None)` if it is no video Natter reads.
    pub async fn video_facts(
        &self,
        store: &dyn Store,
        record: &UploadRecord,
    ) -> Result<Option<VideoFacts>> {
        if record.kind != MediaKind::Video.file_type() {
            return Ok(None);
        }
        self.learn_once(store, record, || async {
            let object = object_name(&record.key);
            // The probe reads a file: the blob's own, or a copy in staging.
            let (path, _copy) = match self.blobs.local_path(&object) {
                Some(p) => (p, None),
                None => {
                    let copy = self.staging.join(format!("{}.probe", record.key));
                    let bytes = self.blobs.get(&object).await?;
                    tokio::fs::write(&copy, &bytes)
                        .await
                        .map_err(|e| ServerError::Blob(format!("{}: {e}", copy.display())))?;
                    (copy.clone(), Some(TempFile(copy)))
                }
            };
            let probed = tokio::task::spawn_blocking(move || natter_media::probe_video(&path))
                .await
                .map_err(|e| ServerError::Blob(format!("video probe failed: {e}")))?;
            let video = match probed {
                Ok(video) => video,
                Err(e) => {
                    tracing::info!(key = %record.key, error = %e, "an uploaded video cannot be read");
                    return Ok(None);
                }
            };
            let cover = match video.snapshot {
                Some(s) => {
                    self.blobs
                        .put(&derived_name(&record.key, Variant::Cover), Bytes::from(s.jpeg))
                        .await?;
                    Some((s.width, s.height))
                }
                None => None,
            };
            Ok(Some(VideoFacts {
                width: video.width,
                height: video.height,
                duration_ms: video.duration_ms,
                cover,
            }))
        })
        .await
    }

    /// The blob to serve for `variant` of `record`, with its content type
    /// (thumbnails and covers are JPEG) — the original when there is none.
    pub async fn variant_blob(
        &self,
        store: &dyn Store,
        record: &UploadRecord,
        variant: Variant,
    ) -> Result<(String, Option<&'static str>)> {
        let derived = match variant {
            Variant::Original => false,
            Variant::Cover => self
                .video_facts(store, record)
                .await?
                .is_some_and(|f| f.cover.is_some()),
            Variant::Large | Variant::Small => self.image_facts(store, record).await?.is_some(),
        };
        if derived {
            return Ok((derived_name(&record.key, variant), Some("image/jpeg")));
        }
        Ok((object_name(&record.key), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_view_queries_pick_the_variant() {
        assert_eq!(
            Variant::from_query("imageView2/3/w/198/h/198"),
            Variant::Small
        );
        assert_eq!(
            Variant::from_query("token=x&imageView2/3/w/720/h/720"),
            Variant::Large
        );
        assert_eq!(Variant::from_query("token=x"), Variant::Original);
        assert_eq!(
            Variant::from_query("imageView2/3/w/nope/h/1"),
            Variant::Large
        );
        assert_eq!(Variant::from_query("token=x&cover"), Variant::Cover);
        assert_eq!(Variant::from_query("token=coverage"), Variant::Original);
    }

    #[test]
    fn only_passive_types_are_served_as_themselves() {
        let mut r = UploadRecord {
            key: "k".into(),
            owner: "a".into(),
            kind: 255,
            file_name: "x.html".into(),
            content_type: "text/html".into(),
            length: Some(1),
            offset: 1,
            state: UploadState::Complete,
            created_at: 0,
            expires_at: 0,
            info: String::new(),
        };
        assert_eq!(served_type(&r), ("application/octet-stream".into(), true));
        r.content_type = "image/svg+xml".into();
        assert_eq!(served_type(&r), ("application/octet-stream".into(), true));
        r.content_type = String::new();
        r.file_name = "a.svg".into();
        assert_eq!(served_type(&r), ("application/octet-stream".into(), true));
        r.kind = 1;
        r.content_type = "image/png".into();
        assert_eq!(served_type(&r), ("image/png".into(), false));
        r.kind = 255;
        assert_eq!(served_type(&r), ("image/png".into(), true));
    }
}
