//! Where finished uploads live: the [`Blobs`] trait and its local
//! implementation over `object_store`'s filesystem store.
//!
//! Contract of every implementation: a write returns only once the object
//! is durable, and an object is either absent or complete — readers never
//! see part of one. Keys are `/`-separated names made by the media module
//! (hex digits, never user input), so no key can leave the store.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload};

use crate::error::{Result, ServerError};

/// A stream of an object's bytes.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

#[async_trait]
pub trait Blobs: Send + Sync + 'static {
    /// Stores the completely written and synced local file `staged` as
    /// `key`, consuming it (the file is gone afterwards).
    async fn commit_file(&self, key: &str, staged: &Path) -> Result<()>;
    /// Stores `bytes` as `key` (derived objects such as thumbnails).
    async fn put(&self, key: &str, bytes: Bytes) -> Result<()>;
    /// The object's size, or `None` if there is no such object.
    async fn size(&self, key: &str) -> Result<Option<u64>>;
    /// The bytes `range` of the object, as a stream.
    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<ByteStream>;
    /// The whole object in memory (only for objects known to be small).
    async fn get(&self, key: &str) -> Result<Bytes>;
    /// Deletes the object; deleting an absent object is not an error.
    async fn delete(&self, key: &str) -> Result<()>;
    /// The object as a local file, when the store keeps it as one (tools
    /// that need a file, such as the video probe, then read it in place).
    fn local_path(&self, _key: &str) -> Option<PathBuf> {
        None
    }
}

fn blob_error(e: object_store::Error) -> ServerError {
    match e {
        object_store::Error::NotFound { path, .. } => ServerError::MediaNotFound(path),
        other => ServerError::Blob(other.to_string()),
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> ServerError {
    ServerError::Blob(format!("{what} {}: {e}", path.display()))
}

/// Blobs in a local directory (the default, under the data dir).
///
/// `object_store`'s filesystem store writes through a temporary file and a
/// rename, but does not fsync; [`LocalBlobs`] syncs the file and its
/// directory itself so that "stored" survives a power cut.
pub struct LocalBlobs {
    root: PathBuf,
    store: Arc<LocalFileSystem>,
}

impl LocalBlobs {
    pub fn open(root: &Path) -> Result<LocalBlobs> {
        std::fs::create_dir_all(root).map_err(|e| io_error("cannot create", root, e))?;
        let store = LocalFileSystem::new_with_prefix(root).map_err(blob_error)?;
        Ok(LocalBlobs {
            root: root.to_owned(),
            store: Arc::new(store),
        })
    }

    fn file_of(&self, key: &str) -> Result<PathBuf> {
        self.store
            .path_to_filesystem(&ObjectPath::from(key))
            .map_err(blob_error)
    }
}

/// fsyncs a file's directory so that a rename into it is durable.
fn sync_parent(path: &Path) -> Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("cannot sync", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[async_trait]
impl Blobs for LocalBlobs {
    async fn commit_file(&self, key: &str, staged: &Path) -> Result<()> {
        let target = self.file_of(key)?;
        let staged = staged.to_owned();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
            }
            // Staging and blobs share the data dir's filesystem: a rename
            // makes the object appear whole, in one step.
            std::fs::rename(&staged, &target)
                .map_err(|e| io_error("cannot move into the store", &staged, e))?;
            sync_parent(&target)?;
            sync_parent(&staged)
        })
        .await
        .map_err(|e| ServerError::Blob(format!("commit task failed: {e}")))?
    }

    async fn put(&self, key: &str, bytes: Bytes) -> Result<()> {
        let location = ObjectPath::from(key);
        self.store
            .put(&location, PutPayload::from_bytes(bytes))
            .await
            .map_err(blob_error)?;
        let file = self.file_of(key)?;
        tokio::task::spawn_blocking(move || {
            std::fs::File::open(&file)
                .and_then(|f| f.sync_all())
                .map_err(|e| io_error("cannot sync", &file, e))?;
            sync_parent(&file)
        })
        .await
        .map_err(|e| ServerError::Blob(format!("sync task failed: {e}")))?
    }

    async fn size(&self, key: &str) -> Result<Option<u64>> {
        match self.store.head(&ObjectPath::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_error(e)),
        }
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<ByteStream> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&ObjectPath::from(key), options)
            .await
            .map_err(blob_error)?;
        Ok(result.into_stream().map_err(blob_error).boxed())
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        self.store
            .get(&ObjectPath::from(key))
            .await
            .map_err(blob_error)?
            .bytes()
            .await
            .map_err(blob_error)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(blob_error(e)),
        }
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.file_of(key).ok()
    }
}

impl std::fmt::Debug for LocalBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBlobs")
            .field("root", &self.root)
            .finish()
    }
}
