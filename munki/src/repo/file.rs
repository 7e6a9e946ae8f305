//! [`FileRepo`]: the standard Munki repository layout on disk.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;

use super::{Metadata, Repo, ResourceKind, ResourcePath};
use crate::StoreError;

/// A Munki repository in a directory: `catalogs/`, `manifests/`,
/// `pkgsinfo/`, `pkgs/`, `icons/`, `client_resources/`. Ported from
/// Munki's `FileRepo`.
///
/// Every path is resolved (symlinks followed) and must stay inside the
/// repository root: a symlink pointing outside is refused as
/// [`StoreError::InvalidPath`], so keep packages inside the root rather
/// than linking to another volume. File I/O is blocking (`std::fs`); reads
/// are bounded by the caller's `len`.
#[derive(Debug)]
pub struct FileRepo {
    root: PathBuf,
    temp_counter: AtomicU64,
}

impl FileRepo {
    /// Opens the repository at `root`, which must exist. Missing kind
    /// directories are fine (they list as empty) and are created on `put`.
    pub fn open(root: impl AsRef<Path>) -> io::Result<Self> {
        let root = fs::canonicalize(root)?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "repository root is not a directory",
            ));
        }
        Ok(Self {
            root,
            temp_counter: AtomicU64::new(0),
        })
    }

    /// The canonical repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn joined(&self, path: &ResourcePath) -> PathBuf {
        let mut full = self.root.join(path.kind().dir());
        full.extend(path.name().split('/'));
        full
    }

    /// The existing file behind `path`, symlinks resolved, inside the root.
    fn existing(&self, path: &ResourcePath) -> Result<PathBuf, StoreError> {
        let real = fs::canonicalize(self.joined(path)).map_err(io_error)?;
        if !real.starts_with(&self.root) {
            return Err(StoreError::InvalidPath(path.to_string()));
        }
        if !real.is_file() {
            return Err(StoreError::NotFound);
        }
        Ok(real)
    }

    fn list_dir(&self, dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), StoreError> {
        for entry in fs::read_dir(dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue; // not UTF-8: no client could name it in a URL
            };
            if name.starts_with('.') {
                continue;
            }
            let relative = format!("{prefix}{name}");
            let file_type = entry.file_type().map_err(io_error)?;
            if file_type.is_dir() {
                self.list_dir(&entry.path(), &format!("{relative}/"), out)?;
            } else if file_type.is_file() {
                out.push(relative);
            } else if file_type.is_symlink() {
                // Listed only when it ends at a file inside the repository;
                // linked directories are not walked (no loops).
                let inside = fs::canonicalize(entry.path())
                    .is_ok_and(|real| real.starts_with(&self.root) && real.is_file());
                if inside {
                    out.push(relative);
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Repo for FileRepo {
    async fn metadata(&self, path: &ResourcePath) -> Result<Metadata, StoreError> {
        let meta = fs::metadata(self.existing(path)?).map_err(io_error)?;
        let modified = meta.modified().map_err(io_error)?;
        Ok(Metadata {
            len: meta.len(),
            modified,
            etag: file_etag(&meta, modified),
        })
    }

    async fn read(&self, path: &ResourcePath) -> Result<Bytes, StoreError> {
        fs::read(self.existing(path)?)
            .map(Bytes::from)
            .map_err(io_error)
    }

    async fn read_range(
        &self,
        path: &ResourcePath,
        offset: u64,
        len: usize,
    ) -> Result<Bytes, StoreError> {
        let mut file = fs::File::open(self.existing(path)?).map_err(io_error)?;
        file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
        let mut buf = Vec::with_capacity(len.min(1 << 20));
        file.take(len as u64)
            .read_to_end(&mut buf)
            .map_err(io_error)?;
        Ok(Bytes::from(buf))
    }

    async fn put(&self, path: &ResourcePath, content: Bytes) -> Result<(), StoreError> {
        let target = self.joined(path);
        let parent = target
            .parent()
            .expect("a joined resource path has a parent");
        fs::create_dir_all(parent).map_err(io_error)?;
        let real_parent = fs::canonicalize(parent).map_err(io_error)?;
        if !real_parent.starts_with(&self.root) {
            return Err(StoreError::InvalidPath(path.to_string()));
        }
        // Write beside, then rename: a client never sees half a catalog.
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = real_parent.join(format!(".munki-put-{}-{n}", std::process::id()));
        fs::write(&temp, &content).map_err(io_error)?;
        let file_name = target.file_name().expect("a resource path ends in a name");
        fs::rename(&temp, real_parent.join(file_name)).map_err(|e| {
            let _ = fs::remove_file(&temp);
            io_error(e)
        })
    }

    async fn delete(&self, path: &ResourcePath) -> Result<(), StoreError> {
        // The link itself goes, not what it points to; it must still resolve
        // inside the repository to be ours to delete.
        self.existing(path)?;
        fs::remove_file(self.joined(path)).map_err(io_error)
    }

    async fn list(&self, kind: ResourceKind) -> Result<Vec<String>, StoreError> {
        let dir = self.root.join(kind.dir());
        let mut out = Vec::new();
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => self.list_dir(&dir, "", &mut out)?,
            Ok(_) => return Err(StoreError::InvalidPath(kind.dir().to_owned())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        out.sort();
        Ok(out)
    }

    fn local_path(&self, path: &ResourcePath) -> Option<PathBuf> {
        self.existing(path).ok()
    }
}

fn io_error(error: io::Error) -> StoreError {
    match error.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => StoreError::NotFound,
        _ => StoreError::Backend(Box::new(error)),
    }
}

/// Inode (on Unix), length and modification time in nanoseconds: any
/// replacement of the file changes at least one of them.
fn file_etag(meta: &fs::Metadata, modified: SystemTime) -> String {
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0u64;
    format!("\"{inode:x}-{:x}-{nanos:x}\"", meta.len())
}
