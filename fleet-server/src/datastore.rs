//! What the Fleet domain tables' queries ([`hosts`](crate::hosts),
//! [`enrollments`](crate::enrollments)) share: their error and the way
//! their timestamps are written out.

use time::PrimitiveDateTime;
use time::format_description::well_known::Rfc3339;

use crate::db::DbError;

/// Why a query on Fleet's own tables failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatastoreError {
    /// The call names a row the database does not hold.
    #[error("{0} not found")]
    NotFound(String),
    /// The input cannot be stored (names the field and the problem).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, as the API names it.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A stored value cannot be read back (edited by hand, or written by
    /// another program).
    #[error("unreadable stored value: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for DatastoreError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// A stored timestamp (UTC, as both backends are written with
/// `CURRENT_TIMESTAMP` on a UTC server) as RFC 3339, the form Fleet's API
/// uses (`2026-12-04T10:00:00Z`).
pub fn rfc3339(at: PrimitiveDateTime) -> String {
    at.assume_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// The id of the row the connection inserted last: `LAST_INSERT_ID()` on
/// MySQL, `last_insert_rowid()` on SQLite (neither diesel backend has a
/// portable `RETURNING` here). Run it on the inserting connection, inside
/// the same transaction.
macro_rules! last_insert_id {
    ($db:expr, $conn:ident) => {{
        let function = if $db.is_mysql() {
            "CAST(LAST_INSERT_ID() AS SIGNED)"
        } else {
            "last_insert_rowid()"
        };
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(function))
            .get_result::<i64>($conn)
            .await
    }};
}

pub(crate) use last_insert_id;
