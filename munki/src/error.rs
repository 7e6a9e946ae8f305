//! Errors of the Munki repository model, the repository backends and the
//! bootstrap builders.

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a repository backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why reading, resolving or building something failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a property list of the expected shape.
    #[error("malformed property list")]
    Plist(#[source] plist::Error),
    /// The plist holds a keyed-archiver UID, which no Munki plist has and
    /// XML cannot represent.
    #[error("property list contains a UID")]
    Uid,
    /// A key Munki defines holds a value of the wrong type.
    #[error("key {key} has the wrong type")]
    Key {
        /// The key, as spelled in the plist.
        key: &'static str,
        /// What the plist decoder said.
        #[source]
        source: plist::Error,
    },
    /// A resource path is empty, absolute, or climbs out of its directory.
    #[error("resource path {0:?} is not allowed")]
    Path(String),
    /// `included_manifests` leads back to a manifest already being read.
    #[error("included_manifests cycle: {}", .0.join(" -> "))]
    ManifestCycle(Vec<String>),
    /// A manifest names an included manifest the repository lacks.
    #[error("manifest {missing} (included by {parent}) does not exist")]
    MissingIncludedManifest {
        /// The manifest that was not found.
        missing: String,
        /// The manifest that names it.
        parent: String,
    },
    /// None of the names the client would try exists in the repository.
    #[error("no manifest for this client (tried {})", .0.join(", "))]
    NoPrimaryManifest(Vec<String>),
    /// A manifest template has a placeholder without a value, or an
    /// unclosed one.
    #[error("manifest template: {0}")]
    Template(String),
    /// The installer package is not a readable flat package (xar).
    #[error("not a readable flat package: {0}")]
    Package(&'static str),
    /// The flat package has no bundle identifier and version to report.
    #[error("flat package names no identifier and version")]
    PackageIdentity,
    /// A bootstrap setting is missing or invalid.
    #[error("invalid bootstrap setting: {0}")]
    Bootstrap(&'static str),
    /// Reading an installer package failed.
    #[error("cannot read the package")]
    Io(#[source] std::io::Error),
    /// The repository backend failed.
    #[error("repository error")]
    Store(#[source] StoreError),
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Why a [`Repo`](crate::Repo) operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The resource does not exist.
    #[error("resource not found")]
    NotFound,
    /// The operation conflicts with the stored state.
    #[error("conflicting resource")]
    Conflict,
    /// The path is not one the repository serves (traversal, absolute,
    /// hidden).
    #[error("resource path {0:?} is not allowed")]
    InvalidPath(String),
    /// The backend failed.
    #[error("repository backend error")]
    Backend(#[source] BoxError),
}
