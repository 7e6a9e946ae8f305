//! The key-value backend of [`FileStore`](super::FileStore): one file per
//! key, segments escaped into file names.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::FileStoreError;
use crate::store::Result;
use crate::store::kv::{Backend, Key};

/// What is escaped in a segment: everything but `a-z`, `0-9`, `-` and `_`.
/// Escapes use upper-case hex, so two different segments never differ only
/// in case, and no name starts with the `.` of temporary and lock files.
const ESCAPED: &AsciiSet = &{
    let mut set = NON_ALPHANUMERIC.remove(b'-').remove(b'_');
    let mut letter = b'A';
    while letter <= b'Z' {
        set = set.add(letter);
        letter += 1;
    }
    set
};

/// The name of an empty segment, which escaping never produces (a `%` is
/// always followed by two hex digits).
const EMPTY: &str = "%";

/// The longest file name most file systems accept.
const MAX_NAME: usize = 255;

/// The file name of a key segment.
pub(super) fn escape(segment: &str) -> Result<String, FileStoreError> {
    if segment.is_empty() {
        return Ok(EMPTY.to_owned());
    }
    let name = utf8_percent_encode(segment, ESCAPED).to_string();
    if name.len() > MAX_NAME {
        return Err(FileStoreError::SegmentTooLong(name.len()));
    }
    Ok(name)
}

/// The key segment of a file name, or `None` for a name this store did
/// not write (temporary files, the lock, anything put there by hand).
pub(super) fn unescape(name: &str) -> Option<String> {
    if name == EMPTY {
        return Some(String::new());
    }
    let segment = percent_decode_str(name).decode_utf8().ok()?.into_owned();
    // Only the canonical spelling is ours.
    let canonical = !segment.is_empty() && escape(&segment).is_ok_and(|n| n == name);
    canonical.then_some(segment)
}

/// Files under a root directory.
#[derive(Debug)]
pub(super) struct DirBackend {
    root: PathBuf,
}

impl DirBackend {
    /// A backend over the existing directory `root`.
    pub(super) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The path of `key` (a file, or for a prefix a directory).
    fn path(&self, key: &[String]) -> Result<PathBuf, FileStoreError> {
        let mut path = self.root.clone();
        for segment in key {
            path.push(escape(segment)?);
        }
        Ok(path)
    }

    /// Adds every file under `dir` (the directory of `key`) to `keys`.
    fn walk(&self, dir: &Path, key: &mut Key, keys: &mut Vec<Key>) -> Result<(), FileStoreError> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(FileStoreError::io("list", dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(FileStoreError::io("list", dir))?;
            let name = entry.file_name();
            let Some(segment) = name.to_str().and_then(unescape) else {
                continue;
            };
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(FileStoreError::io("stat", &path))?;
            key.push(segment);
            if kind.is_dir() {
                self.walk(&path, key, keys)?;
            } else if kind.is_file() {
                keys.push(key.clone());
            }
            key.pop();
        }
        Ok(())
    }

    /// Removes the now empty directories above `path`, up to the root. A
    /// directory that is not empty stops it, which is the common case.
    fn prune(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(&self.root)) {
            if fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
}

impl Backend for DirBackend {
    fn get(&self, key: &[String]) -> Result<Option<Vec<u8>>> {
        let path = self.path(key)?;
        match fs::read(&path) {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(FileStoreError::io("read", &path)(e).into()),
        }
    }

    fn put(&mut self, key: &[String], value: &[u8]) -> Result<()> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root);
        create_private_dir(dir)?;
        Ok(write_atomic(dir, &path, value)?)
    }

    fn delete(&mut self, key: &[String]) -> Result<()> {
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Ok(()) => {
                self.prune(&path);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(FileStoreError::io("remove", &path)(e).into()),
        }
    }

    fn list(&self, prefix: &[String]) -> Result<Vec<Key>> {
        let mut keys = Vec::new();
        let mut key = prefix.to_vec();
        self.walk(&self.path(prefix)?, &mut key, &mut keys)?;
        // Directory order is arbitrary, and escaped order is not key order.
        keys.sort();
        Ok(keys)
    }
}

/// Creates `dir` and its missing parents, readable by the owner only:
/// push certificate keys and bootstrap tokens live here.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), FileStoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(FileStoreError::io("create", dir))
}

/// Writes `value` to `path` in `dir` atomically: a temporary file in
/// `dir`, fsync, rename, then fsync of `dir`. Readers see the old value or
/// the new one, never a part.
fn write_atomic(dir: &Path, path: &Path, value: &[u8]) -> Result<(), FileStoreError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let temporary = dir.join(format!(
        ".tmp.{}.{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_new(&temporary, value)
        .and_then(|()| fs::rename(&temporary, path).map_err(FileStoreError::io("rename to", path)));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    sync_dir(dir)
}

/// Creates `path` with `value`, durably.
fn write_new(path: &Path, value: &[u8]) -> Result<(), FileStoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(FileStoreError::io("create", path))?;
    file.write_all(value)
        .map_err(FileStoreError::io("write", path))?;
    file.sync_all().map_err(FileStoreError::io("sync", path))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), FileStoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(FileStoreError::io("sync", dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests;
