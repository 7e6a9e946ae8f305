//! The logic shared by [`MemoryStore`](super::MemoryStore) and
//! [`FileStore`](super::FileStore): every storage trait over a small
//! key-value backend. After nanomdm's `storage/kv` package, with its user
//! channel and ordering quirks fixed (see the [`store`](super) docs).
//!
//! Keys are lists of segments, and no key is a prefix of another, so a
//! backend may map all but the last segment to directories. `ID` is an
//! enrollment ID, `UUID` a command UUID:
//!
//! | key | value |
//! |---|---|
//! | `device/ID/{authenticate,identity,serial,unlock_token,bootstrap_token}` | raw bytes |
//! | `channel/ID/record` | the enrollment ([`records::EnrollmentRecord`]) |
//! | `channel/ID/{token_update,user_authenticate,user_authenticate_digest}` | raw message |
//! | `children/PARENT/ID` | empty: the user channels of a device channel |
//! | `command/UUID` | the command ([`records::CommandRecord`]) |
//! | `queue/ID/ORDER` | `UUID`, a pending command of the channel |
//! | `assigned/ID/UUID` | `ORDER`: the command was queued to the channel |
//! | `result/ID/UUID` | the latest report ([`records::ResultRecord`]) |
//! | `push_cert/TOPIC` | [`records::PushCertRecord`] |
//! | `cert_hash/HASH/ID`, `cert_id/ID/HASH` | empty: certauth associations |
//! | `meta/sequence` | the last enqueue sequence number, decimal |
//!
//! `ORDER` sorts as the queue is served: the inverted priority, then the
//! store-wide enqueue sequence number, both zero-padded.
//!
//! One mutex serialises every call, so a call never sees another half
//! done. Writes of one call are not atomic against a crash on a persistent
//! backend (nanomdm's kv package has the same limit): checks come first,
//! so only an I/O failure or a crash can leave a call half applied.

mod checkin;
mod forward;
mod queue;
pub(crate) mod records;
mod registry;

use std::fmt::Debug;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Result, StoreError};

pub(crate) use forward::forward_all_storage;

/// A key: its segments, outermost first.
pub(crate) type Key = Vec<String>;

/// The key-value operations the stores need. Values are opaque bytes.
pub(crate) trait Backend: Send + Debug {
    /// The value at `key`, if any.
    fn get(&self, key: &[String]) -> Result<Option<Vec<u8>>>;

    /// Sets the value at `key`, replacing any earlier one.
    fn put(&mut self, key: &[String], value: &[u8]) -> Result<()>;

    /// Removes `key`; removing an absent key succeeds.
    fn delete(&mut self, key: &[String]) -> Result<()>;

    /// Every key strictly under `prefix`, in ascending order of segments
    /// (each compared as bytes).
    fn list(&self, prefix: &[String]) -> Result<Vec<Key>>;
}

/// A key from its segments.
pub(crate) fn key<const N: usize>(segments: [&str; N]) -> Key {
    segments.iter().map(|s| (*s).to_owned()).collect()
}

/// A stored value this code cannot read back (edited by hand, or written
/// by a different version).
#[derive(Debug, thiserror::Error)]
#[error("unreadable stored value at {key}: {reason}")]
pub(crate) struct CorruptValue {
    key: String,
    reason: String,
}

impl CorruptValue {
    /// The error for `key`, as a [`StoreError::Backend`].
    pub(crate) fn at(key: &[String], reason: impl ToString) -> StoreError {
        StoreError::Backend(Box::new(Self {
            key: key.join("/"),
            reason: reason.to_string(),
        }))
    }
}

/// The shared store: a backend behind one mutex.
#[derive(Debug)]
pub(crate) struct Kv {
    backend: Mutex<Box<dyn Backend>>,
}

impl Kv {
    /// A store over `backend`.
    pub(crate) fn new(backend: impl Backend + 'static) -> Self {
        Self {
            backend: Mutex::new(Box::new(backend)),
        }
    }

    /// The backend, exclusively for one call.
    fn lock(&self) -> MutexGuard<'_, Box<dyn Backend>> {
        // A panic while the lock was held leaves at worst one call half
        // applied (every write replaces a whole value), as a crash of a
        // persistent store can; later calls cope with that, so go on.
        self.backend.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads the record at `key`.
pub(crate) fn read<T: DeserializeOwned>(b: &dyn Backend, key: &[String]) -> Result<Option<T>> {
    b.get(key)?
        .map(|bytes| plist::from_bytes(&bytes).map_err(|e| CorruptValue::at(key, e)))
        .transpose()
}

/// Writes `record` at `key`, as an XML plist (readable on disk).
pub(crate) fn write<T: Serialize>(b: &mut dyn Backend, key: &[String], record: &T) -> Result<()> {
    let mut xml = Vec::new();
    plist::to_writer_xml(&mut xml, record).map_err(|e| CorruptValue::at(key, e))?;
    b.put(key, &xml)
}

/// Reads the UTF-8 text at `key`.
pub(crate) fn read_text(b: &dyn Backend, key: &[String]) -> Result<Option<String>> {
    b.get(key)?
        .map(|bytes| String::from_utf8(bytes).map_err(|e| CorruptValue::at(key, e)))
        .transpose()
}

/// The last segment of every key directly under `prefix` (one segment
/// longer), in order.
pub(crate) fn children(b: &dyn Backend, prefix: &[String]) -> Result<Vec<String>> {
    Ok(b.list(prefix)?
        .into_iter()
        .filter(|k| k.len() == prefix.len() + 1)
        .filter_map(|mut k| k.pop())
        .collect())
}

/// Deletes every key under `prefix`.
pub(crate) fn delete_all(b: &mut dyn Backend, prefix: &[String]) -> Result<()> {
    for key in b.list(prefix)? {
        b.delete(&key)?;
    }
    Ok(())
}
