//! Diesel implementations of the libraries' storage traits, each query
//! written once for MySQL and SQLite (see [`with_conn!`](crate::db)).

mod dep;
mod munki;
mod nanomdm;
mod scep;

pub use self::dep::DepStore;
pub use self::munki::MunkiRepo;
pub use self::nanomdm::NanomdmStore;
pub use self::scep::ScepDepot;

use std::time::{Duration, SystemTime};

use crate::db::DbError;

/// Why a store call failed, before it becomes the calling library's own
/// `StoreError` (each library defines one).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The call names something the database does not hold.
    #[error("not found: {0}")]
    NotFound(String),
    /// The call would duplicate something unique.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A stored value cannot be read back (edited by hand, or written by
    /// another program).
    #[error("unreadable stored value: {0}")]
    Corrupt(String),
    /// A secret column could not be sealed or opened.
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    /// The input cannot be stored in its column (e.g. a plist that is not
    /// UTF-8 text).
    #[error("cannot store {0}")]
    Invalid(String),
}

impl From<diesel::result::Error> for Failure {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

impl From<Failure> for ::nanomdm::store::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::NotFound(what) => Self::NotFound(what),
            Failure::Conflict(what) => Self::Conflict(what),
            other => Self::Backend(Box::new(other)),
        }
    }
}

/// `bytes` as the UTF-8 text a TEXT column holds; `what` names it in the
/// error.
pub(crate) fn text<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, Failure> {
    std::str::from_utf8(bytes).map_err(|_| Failure::Invalid(format!("{what}: not UTF-8 text")))
}

/// Maps a unique-key violation to [`Failure::Conflict`] naming `what`.
pub(crate) fn conflict_on_duplicate(e: diesel::result::Error, what: &str) -> Failure {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            Failure::Conflict(format!("{what} already exists"))
        }
        other => other.into(),
    }
}

impl From<Failure> for ::munki::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::NotFound(_) => Self::NotFound,
            Failure::Conflict(_) => Self::Conflict,
            other => Self::Backend(Box::new(other)),
        }
    }
}

impl From<Failure> for ::nanodep::store::StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::NotFound(_) => Self::NotFound,
            Failure::Conflict(_) => Self::Conflict,
            other => Self::Backend(Box::new(other)),
        }
    }
}

/// Seconds since the Unix epoch (negative before it), saturating.
pub(crate) fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The instant `seconds` after (or before) the Unix epoch.
pub(crate) fn from_unix_seconds(seconds: i64) -> SystemTime {
    let magnitude = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}
