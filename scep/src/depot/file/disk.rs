//! Atomic file writes and the cross-process lock of a file depot.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::FileDepotError;

/// The lock file that serialises writers across processes.
pub(super) const LOCK_FILE: &str = "depot.lock";

/// An exclusive `flock` on the depot's lock file, released on drop.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Waits for the exclusive lock on `dir/depot.lock`.
    pub(super) fn acquire(dir: &Path) -> Result<Self, FileDepotError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_error("open", &path))?;
        file.lock().map_err(io_error("lock", &path))?;
        // Closing the file (on drop) releases the lock.
        Ok(Self { _file: file })
    }
}

/// How a file is put in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Replace whatever is there (rename).
    Replace,
    /// Fail if the name exists (hard link, then remove the temporary name).
    Exclusive,
}

/// Writes `contents` to `dir/name` atomically: a temporary file in `dir`,
/// fsync, then rename (or link, for [`Mode::Exclusive`]), then fsync of
/// the directory. Readers see the old file or the new one, never a part.
pub(super) fn write_atomic(
    dir: &Path,
    name: &str,
    contents: &[u8],
    permissions: u32,
    mode: Mode,
) -> Result<(), FileDepotError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let target = dir.join(name);
    let temporary = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_new(&temporary, contents, permissions).and_then(|()| match mode {
        Mode::Replace => fs::rename(&temporary, &target).map_err(io_error("rename to", &target)),
        Mode::Exclusive => {
            let linked = fs::hard_link(&temporary, &target).map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    FileDepotError::AlreadyExists(target.clone())
                } else {
                    io_error("link", &target)(e)
                }
            });
            let _ = fs::remove_file(&temporary);
            linked
        }
    });
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result?;
    sync_dir(dir)
}

fn write_new(path: &Path, contents: &[u8], permissions: u32) -> Result<(), FileDepotError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, permissions);
    #[cfg(not(unix))]
    let _ = permissions;
    let mut file = options.open(path).map_err(io_error("create", path))?;
    file.write_all(contents).map_err(io_error("write", path))?;
    file.sync_all().map_err(io_error("sync", path))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), FileDepotError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync", dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Reads `path` as text.
pub(super) fn read_text(path: &Path) -> Result<String, FileDepotError> {
    fs::read_to_string(path).map_err(io_error("read", path))
}

/// Reads `path` as text; `None` if it does not exist.
pub(super) fn read_text_if_exists(path: &Path) -> Result<Option<String>, FileDepotError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error("read", path)(e)),
    }
}

/// Maps an I/O error to [`FileDepotError::Io`] naming the action and path.
pub(super) fn io_error(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(io::Error) -> FileDepotError {
    let path: PathBuf = path.to_owned();
    move |source| FileDepotError::Io {
        action,
        path,
        source,
    }
}

/// A certificate file name from its common name: path separators, NUL and
/// other control characters become `_`, as do leading dots, so the name
/// stays inside the depot and is neither hidden nor `..`.
pub(super) fn sanitise_file_stem(common_name: &str) -> String {
    let mut stem: String = common_name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let dots = stem.len() - stem.trim_start_matches('.').len();
    stem.replace_range(..dots, &"_".repeat(dots));
    // Room for `.<serial>.pem` within the usual 255-byte name limit.
    let mut end = stem.len().min(200);
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    stem.truncate(end);
    stem
}

/// Whether a file name read from `index.txt` names a file directly inside
/// the depot.
pub(super) fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\', '\0'])
}
