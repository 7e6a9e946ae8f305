//! Manual enrollments (Fleet's `apple_manual_enrollments`): named
//! enrollments an admin creates, each with the URL devices download its
//! enrollment profile from.
//!
//! [`ManualEnrollments`] holds the queries; [`profile`] builds the
//! `.mobileconfig` and serves it to devices; [`api`] is the REST surface.

pub mod api;
pub mod profile;

use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use time::PrimitiveDateTime;

use crate::datastore::{DatastoreError, last_insert_id};
use crate::db::{Db, transaction, with_conn};
use crate::schema::apple_manual_enrollments as m;

/// The longest enrollment name (the column is `VARCHAR(255)`).
pub const MAX_NAME_CHARS: usize = 255;

/// One manual enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualEnrollment {
    /// The row id, the `id` of the enroll URL.
    pub id: i64,
    /// The admin's name for it.
    pub name: String,
    /// Free-form JSON settings (stored as given, not yet applied to the
    /// profile, as in Fleet's PoC).
    pub configuration: Option<String>,
    /// When it was created (UTC).
    pub created_at: PrimitiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: PrimitiveDateTime,
}

type Row = (
    i64,
    String,
    Option<String>,
    PrimitiveDateTime,
    PrimitiveDateTime,
);

const COLUMNS: (
    m::id,
    m::name,
    m::configuration,
    m::created_at,
    m::updated_at,
) = (
    m::id,
    m::name,
    m::configuration,
    m::created_at,
    m::updated_at,
);

impl From<Row> for ManualEnrollment {
    fn from((id, name, configuration, created_at, updated_at): Row) -> Self {
        Self {
            id,
            name,
            configuration,
            created_at,
            updated_at,
        }
    }
}

/// The queries on `apple_manual_enrollments`, on either backend.
#[derive(Debug, Clone)]
pub struct ManualEnrollments {
    db: Db,
}

impl ManualEnrollments {
    /// The enrollments of `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Creates an enrollment. `name` must be 1 to [`MAX_NAME_CHARS`]
    /// characters after trimming; `configuration`, when given, must be JSON.
    pub async fn create(
        &self,
        name: &str,
        configuration: Option<&str>,
    ) -> Result<ManualEnrollment, DatastoreError> {
        let name = valid_name(name)?;
        if let Some(json) = configuration {
            serde_json::from_str::<serde_json::Value>(json).map_err(|e| {
                DatastoreError::Invalid {
                    field: "configuration",
                    reason: format!("not JSON: {e}"),
                }
            })?;
        }
        let row: Row = transaction!(self.db, conn => {
            diesel::insert_into(m::table)
                .values((m::name.eq(name), m::configuration.eq(configuration)))
                .execute(conn)
                .await?;
            let id = last_insert_id!(self.db, conn)?;
            m::table.find(id).select(COLUMNS).first(conn).await
        })?;
        Ok(row.into())
    }

    /// The enrollment `id`, or `None`.
    pub async fn get(&self, id: i64) -> Result<Option<ManualEnrollment>, DatastoreError> {
        let row: Option<Row> = with_conn!(self.db, conn => {
            m::table.find(id).select(COLUMNS).first(conn).await.optional()?
        });
        Ok(row.map(Into::into))
    }

    /// Every enrollment, oldest first.
    pub async fn list(&self) -> Result<Vec<ManualEnrollment>, DatastoreError> {
        let rows: Vec<Row> = with_conn!(self.db, conn => {
            m::table.select(COLUMNS).order(m::id.asc()).load(conn).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Deletes the enrollment `id`; its hosts keep existing with no
    /// enrollment. Fails with [`DatastoreError::NotFound`] if there is none.
    pub async fn delete(&self, id: i64) -> Result<(), DatastoreError> {
        let deleted = with_conn!(self.db, conn => {
            diesel::delete(m::table.find(id)).execute(conn).await?
        });
        if deleted == 0 {
            return Err(DatastoreError::NotFound(format!("enrollment {id}")));
        }
        Ok(())
    }
}

/// The trimmed name, or why it cannot be one.
fn valid_name(name: &str) -> Result<&str, DatastoreError> {
    let name = name.trim();
    let reason = if name.is_empty() {
        "must not be empty".to_owned()
    } else if name.chars().count() > MAX_NAME_CHARS {
        format!("must be at most {MAX_NAME_CHARS} characters")
    } else {
        return Ok(name);
    };
    Err(DatastoreError::Invalid {
        field: "name",
        reason,
    })
}
