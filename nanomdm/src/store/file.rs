//! [`FileStore`]: every storage trait in a directory, one file per key.

mod dir;

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use super::StoreError;
use super::kv::{Kv, forward_all_storage};
use dir::DirBackend;

/// The lock file in the store directory; the dot keeps it out of every
/// key listing.
const LOCK_FILE: &str = ".lock";

/// Every storage role ([`AllStorage`](super::AllStorage)) in a directory,
/// after nanomdm's `storage/diskv` (not its deprecated `storage/file`).
///
/// Each key is one file: its segments become nested directory and file
/// names, percent-escaped so that only `a-z`, `0-9`, `-`, `_` and `%`
/// appear (upper case is escaped too, so the layout is safe on
/// case-insensitive file systems). A segment whose escaped form is longer
/// than 255 bytes cannot be stored ([`FileStoreError::SegmentTooLong`]).
/// Every file is replaced atomically (temporary file, fsync, rename,
/// directory fsync), but the several writes of one call are not atomic
/// against a crash, as in nanomdm's kv stores: a crash can leave, e.g., a
/// command stored and queued to only some of its enrollments.
///
/// One process owns the directory: [`FileStore::open`] takes an exclusive
/// lock on `.lock` inside it, held until the store is dropped. Within the
/// process, calls are serialised by a mutex. The async methods do their
/// blocking file I/O inline on the calling task (the files are small);
/// under heavy load, prefer a SQL store.
#[derive(Debug)]
pub struct FileStore {
    kv: Kv,
    path: PathBuf,
    // Closing the file (on drop) releases the lock.
    _lock: File,
}

impl FileStore {
    /// Opens the store in `dir`, creating the directory (mode 0700 on Unix)
    /// if needed; the data of earlier runs is kept. Files are created with
    /// mode 0600: push certificate keys and bootstrap tokens are stored
    /// unencrypted.
    ///
    /// # Errors
    ///
    /// [`FileStoreError::Locked`] if another `FileStore` (in any process)
    /// has the directory open, [`FileStoreError::Io`] if it cannot be
    /// created or locked.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, FileStoreError> {
        let path = dir.as_ref().to_owned();
        dir::create_private_dir(&path)?;
        let lock_path = path.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(FileStoreError::io("open", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(FileStoreError::Locked(path)),
            Err(TryLockError::Error(e)) => return Err(FileStoreError::io("lock", &lock_path)(e)),
        }
        Ok(Self {
            kv: Kv::new(DirBackend::new(path.clone())),
            path,
            _lock: lock,
        })
    }

    /// The store directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

forward_all_storage!(FileStore, kv);

/// Why a [`FileStore`] could not be opened or a call failed (the source of
/// [`StoreError::Backend`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileStoreError {
    /// A file operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done: "read", "create", "rename to", ...
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Another `FileStore` has the directory open.
    #[error("store directory {} is in use by another FileStore", .0.display())]
    Locked(PathBuf),
    /// A key segment (an enrollment ID, a topic, ...) is too long for a
    /// file name once escaped.
    #[error("key segment too long for a file name ({0} bytes escaped, at most 255)")]
    SegmentTooLong(usize),
}

impl FileStoreError {
    /// A mapper from an I/O error to [`FileStoreError::Io`].
    fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

impl From<FileStoreError> for StoreError {
    fn from(error: FileStoreError) -> Self {
        Self::Backend(Box::new(error))
    }
}
