//! [`MemoryRepo`]: a repository held in memory.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use cryptoutil::DigestAlgorithm;

use super::{Metadata, Repo, ResourceKind, ResourcePath};
use crate::StoreError;

/// A repository in memory, for tests and for servers that generate
/// manifests. Modification times are the wall clock at `put`, or given
/// with [`put_at`](Self::put_at).
#[derive(Debug, Default)]
pub struct MemoryRepo {
    entries: Mutex<BTreeMap<ResourcePath, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    content: Bytes,
    modified: SystemTime,
    etag: String,
}

impl MemoryRepo {
    /// An empty repository.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `content` with the given modification time.
    pub fn put_at(&self, path: &ResourcePath, content: Bytes, modified: SystemTime) {
        let digest = DigestAlgorithm::Sha256.digest(&content);
        let etag = format!("\"{}\"", hex(&digest[..16]));
        self.lock().insert(
            path.clone(),
            Entry {
                content,
                modified,
                etag,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ResourcePath, Entry>> {
        // A panic while holding the lock cannot leave a half-written map:
        // every update is a single insert or remove.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn entry(&self, path: &ResourcePath) -> Result<Entry, StoreError> {
        self.lock().get(path).cloned().ok_or(StoreError::NotFound)
    }
}

#[async_trait]
impl Repo for MemoryRepo {
    async fn metadata(&self, path: &ResourcePath) -> Result<Metadata, StoreError> {
        let entry = self.entry(path)?;
        Ok(Metadata {
            len: entry.content.len() as u64,
            modified: entry.modified,
            etag: entry.etag,
        })
    }

    async fn read(&self, path: &ResourcePath) -> Result<Bytes, StoreError> {
        Ok(self.entry(path)?.content)
    }

    async fn read_range(
        &self,
        path: &ResourcePath,
        offset: u64,
        len: usize,
    ) -> Result<Bytes, StoreError> {
        let content = self.entry(path)?.content;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(content.len());
        let end = start.saturating_add(len).min(content.len());
        Ok(content.slice(start..end))
    }

    async fn put(&self, path: &ResourcePath, content: Bytes) -> Result<(), StoreError> {
        // Whole seconds, as HTTP dates carry: a fresh put compares equal to
        // the Last-Modified a client was given.
        let now = SystemTime::now();
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.put_at(
            path,
            content,
            UNIX_EPOCH + std::time::Duration::from_secs(secs),
        );
        Ok(())
    }

    async fn delete(&self, path: &ResourcePath) -> Result<(), StoreError> {
        self.lock()
            .remove(path)
            .map(drop)
            .ok_or(StoreError::NotFound)
    }

    async fn list(&self, kind: ResourceKind) -> Result<Vec<String>, StoreError> {
        // BTreeMap order is (kind, name): already sorted by name per kind.
        Ok(self
            .lock()
            .keys()
            .filter(|path| path.kind() == kind)
            .map(|path| path.name().to_owned())
            .collect())
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
