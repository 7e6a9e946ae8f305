//! Embedded migrations (`migrations/mysql/`, `migrations/sqlite/`) and the
//! "schema is behind" check.

use diesel::Connection;
use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel_async::AsyncMysqlConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, Db, DbError, SQLITE_PRAGMAS, sqlite_url};

/// The MySQL / MariaDB migrations, compiled into the binary.
const MYSQL: EmbeddedMigrations = embed_migrations!("../migrations/mysql");

/// The SQLite migrations, compiled into the binary.
const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// The MySQL named lock (`GET_LOCK`) migrations run under.
const MIGRATION_LOCK: &str = "fleet_server_migrations";
/// How long a replica waits for another's migrations before trying anyway.
const MIGRATION_LOCK_WAIT_SECONDS: u32 = 600;

/// How the database's schema compares with this build's migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Migrations this build has that the database lacks (in order):
    /// non-empty means the schema is behind and `prepare db` is needed.
    pub pending: Vec<String>,
    /// Migrations the database has that this build does not know: it was
    /// prepared by a newer fleet-server.
    pub unknown: Vec<String>,
}

impl MigrationStatus {
    /// Whether the schema is exactly what this build expects.
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

impl Db {
    /// Compares the database's applied migrations with the embedded ones
    /// (the "schema is behind" check `serve` runs at start).
    pub async fn migration_status(&self) -> Result<MigrationStatus, DbError> {
        self.with_harness(false, |harness, migrations| harness.status(migrations))
            .await
    }

    /// Runs `f` on a fresh (unpooled) connection on a blocking thread:
    /// diesel's migration harness is synchronous. With `exclusive`, on
    /// MySQL, `f` runs under the named lock [`MIGRATION_LOCK`], so replicas
    /// starting together on one database migrate one after the other (the
    /// second finds nothing pending) instead of failing on each other's
    /// tables.
    async fn with_harness<T, F>(&self, exclusive: bool, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Harness, EmbeddedMigrations) -> Result<T, DbError> + Send + 'static,
    {
        let backend = self.backend().clone();
        tokio::task::spawn_blocking(move || match backend {
            Backend::Mysql(url) => {
                let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&url)
                    .map_err(DbError::Connect)?;
                if !exclusive {
                    return f(&mut MysqlHarness(&mut conn), MYSQL);
                }
                // Held by this session; released by RELEASE_LOCK or when the
                // connection closes (also when `f` fails or panics).
                conn.batch_execute(&format!(
                    "DO GET_LOCK('{MIGRATION_LOCK}', {MIGRATION_LOCK_WAIT_SECONDS})"
                ))?;
                let result = f(&mut MysqlHarness(&mut conn), MYSQL);
                conn.batch_execute(&format!("DO RELEASE_LOCK('{MIGRATION_LOCK}')"))?;
                result
            }
            Backend::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(&sqlite_url(&path)).map_err(DbError::Connect)?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                f(&mut SqliteHarness(&mut conn), SQLITE)
            }
        })
        .await
        .map_err(DbError::Task)?
    }
}

/// Runs the pending migrations; see [`super::prepare_db`].
pub(super) async fn run_pending(db: &Db) -> Result<Vec<String>, DbError> {
    let status = db.migration_status().await?;
    if !status.unknown.is_empty() {
        return Err(DbError::UnknownMigrations(status.unknown));
    }
    db.with_harness(true, |harness, migrations| harness.run(migrations))
        .await
}

/// The two backends' harnesses behind one object-safe face.
trait Harness {
    /// Versions applied to the database.
    fn applied_migrations(
        &mut self,
    ) -> diesel::migration::Result<Vec<diesel::migration::MigrationVersion<'static>>>;

    /// How the database compares with `migrations`.
    fn status(&mut self, migrations: EmbeddedMigrations) -> Result<MigrationStatus, DbError>;

    /// Runs the pending ones of `migrations`, returning their versions.
    fn run(&mut self, migrations: EmbeddedMigrations) -> Result<Vec<String>, DbError>;
}

/// [`Harness`] over a MySQL connection.
struct MysqlHarness<'a>(&'a mut AsyncConnectionWrapper<AsyncMysqlConnection>);

/// [`Harness`] over an SQLite connection.
struct SqliteHarness<'a>(&'a mut SqliteConnection);

macro_rules! impl_harness {
    ($ty:ident, $backend:ty) => {
        impl Harness for $ty<'_> {
            fn applied_migrations(
                &mut self,
            ) -> diesel::migration::Result<Vec<diesel::migration::MigrationVersion<'static>>> {
                MigrationHarness::applied_migrations(self.0)
            }

            fn status(
                &mut self,
                migrations: EmbeddedMigrations,
            ) -> Result<MigrationStatus, DbError> {
                let known = MigrationSource::<$backend>::migrations(&migrations)
                    .map_err(DbError::Migration)?;
                let known: Vec<String> = known
                    .iter()
                    .map(|m| m.name().version().to_string())
                    .collect();
                let applied: Vec<String> = self
                    .applied_migrations()
                    .map_err(DbError::Migration)?
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                Ok(MigrationStatus {
                    pending: known
                        .iter()
                        .filter(|v| !applied.contains(v))
                        .cloned()
                        .collect(),
                    unknown: applied
                        .iter()
                        .filter(|v| !known.contains(v))
                        .cloned()
                        .collect(),
                })
            }

            fn run(&mut self, migrations: EmbeddedMigrations) -> Result<Vec<String>, DbError> {
                let applied = self
                    .0
                    .run_pending_migrations(migrations)
                    .map_err(DbError::Migration)?;
                Ok(applied.iter().map(ToString::to_string).collect())
            }
        }
    };
}

impl_harness!(MysqlHarness, diesel::mysql::Mysql);
impl_harness!(SqliteHarness, diesel::sqlite::Sqlite);
