//! The repository: catalogs, manifests, pkgsinfo, packages, icons and
//! client resources, addressed by kind and relative path.
//!
//! [`FileRepo`] reads the standard Munki layout on disk; [`MemoryRepo`]
//! keeps everything in memory. Both refuse paths that leave their
//! directory.

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;

use crate::catalog::{Catalog, IconHashes};
use crate::{Error, Manifest, Pkginfo, Result, StoreError};

pub mod file;
pub mod memory;
mod path;

pub(crate) use path::ICON_HASHES;

pub use file::FileRepo;
pub use memory::MemoryRepo;
pub use path::{ResourceKind, ResourcePath};

/// What a server needs to answer conditional and range requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Length in bytes.
    pub len: u64,
    /// Last modification time (sent as `Last-Modified`, whole seconds).
    pub modified: SystemTime,
    /// A strong entity tag, quoted (`"..."`): it changes whenever the
    /// content does.
    pub etag: String,
}

/// Storage of a Munki repository. Ported from Munki's `Repo` protocol
/// (`munkirepo/RepoProtocol.swift`), with metadata and ranges added for
/// serving.
///
/// Contract, one sentence per conformance test
/// (`munki::testing::conformance`, feature `testing`):
/// - a resource that was put reads back whole, with its length in its metadata;
/// - reading, measuring or deleting a missing resource is `NotFound`;
/// - `read_range` returns the bytes from `offset`, at most `len`, fewer at the end and none past it;
/// - putting new content replaces the old and changes the etag;
/// - the etag is a quoted strong validator, the same on every call while the content stays;
/// - `list` returns every resource of a kind, recursively, as sorted relative paths, hidden files left out;
/// - listing a kind with no resources returns an empty list;
/// - kinds are separate namespaces: the same name under two kinds is two resources;
/// - a deleted resource is gone from reads and lists.
#[async_trait]
pub trait Repo: Send + Sync + Debug {
    /// Length, modification time and etag of a resource.
    async fn metadata(&self, path: &ResourcePath) -> Result<Metadata, StoreError>;

    /// The whole resource. Meant for plists; serve packages with
    /// [`read_range`](Self::read_range).
    async fn read(&self, path: &ResourcePath) -> Result<Bytes, StoreError>;

    /// At most `len` bytes from `offset` (fewer at the end, none past it).
    async fn read_range(
        &self,
        path: &ResourcePath,
        offset: u64,
        len: usize,
    ) -> Result<Bytes, StoreError>;

    /// Creates or replaces a resource.
    async fn put(&self, path: &ResourcePath, content: Bytes) -> Result<(), StoreError>;

    /// Removes a resource.
    async fn delete(&self, path: &ResourcePath) -> Result<(), StoreError>;

    /// The relative paths of every resource of `kind`, sorted, hidden
    /// files (a component starting with `.`) left out.
    async fn list(&self, kind: ResourceKind) -> Result<Vec<String>, StoreError>;

    /// The resource's file, for servers that stream files themselves;
    /// `None` when the backend has no files. The default is `None`.
    fn local_path(&self, path: &ResourcePath) -> Option<PathBuf> {
        let _ = path;
        None
    }
}

impl dyn Repo + '_ {
    /// Reads and parses `manifests/<name>`.
    pub async fn manifest(&self, name: &str) -> Result<Manifest> {
        let path = ResourcePath::new(ResourceKind::Manifests, name)?;
        Manifest::from_bytes(&self.read(&path).await?)
    }

    /// Reads and parses `catalogs/<name>`.
    pub async fn catalog(&self, name: &str) -> Result<Catalog> {
        let path = ResourcePath::new(ResourceKind::Catalogs, name)?;
        Catalog::from_bytes(&self.read(&path).await?)
    }

    /// Reads and parses `pkgsinfo/<name>`.
    pub async fn pkginfo(&self, name: &str) -> Result<Pkginfo> {
        let path = ResourcePath::new(ResourceKind::Pkgsinfo, name)?;
        Pkginfo::from_bytes(&self.read(&path).await?)
    }

    /// Reads and parses `icons/_icon_hashes.plist`.
    pub async fn icon_hashes(&self) -> Result<IconHashes> {
        let path = ResourcePath::new(ResourceKind::Icons, ICON_HASHES)?;
        IconHashes::from_bytes(&self.read(&path).await?)
    }

    /// Writes `manifests/<name>` as an XML plist.
    pub async fn put_manifest(&self, name: &str, manifest: &Manifest) -> Result<()> {
        let path = ResourcePath::new(ResourceKind::Manifests, name)?;
        Ok(self.put(&path, Bytes::from(manifest.to_xml())).await?)
    }
}

impl From<Error> for StoreError {
    /// Keeps `NotFound` and bad paths; anything else is a backend error.
    fn from(error: Error) -> Self {
        match error {
            Error::Store(store) => store,
            Error::Path(path) => Self::InvalidPath(path),
            other => Self::Backend(Box::new(other)),
        }
    }
}
