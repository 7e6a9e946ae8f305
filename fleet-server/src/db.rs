//! The database: one pool over MySQL or SQLite, embedded migrations, and the
//! macros that let each query be written once for both backends.
//!
//! MySQL goes through diesel-async's `AsyncMysqlConnection` (pure-Rust
//! `mysql_async`, no libmysqlclient); SQLite through
//! `SyncConnectionWrapper<SqliteConnection>` (bundled SQLite, run on tokio's
//! blocking threads). Both are pooled by deadpool.

mod lock;
mod migrate;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use diesel::SqliteConnection;
use diesel_async::AsyncMysqlConnection;
use diesel_async::SimpleAsyncConnection;
use diesel_async::pooled_connection::deadpool::Pool as DeadPool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;

pub use migrate::MigrationStatus;

/// A pooled SQLite connection's type.
pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Connection pools, one variant per backend. [`with_conn!`] and
/// [`transaction!`] expand a query once per variant.
#[derive(Clone)]
pub(crate) enum Pool {
    /// MySQL 8 or MariaDB 10.11.
    Mysql(DeadPool<AsyncMysqlConnection>),
    /// An SQLite file.
    Sqlite(DeadPool<SqliteConn>),
}

/// Which database to open.
#[derive(Clone, PartialEq, Eq)]
pub enum Backend {
    /// A `mysql://user:password@host:port/database` URL.
    Mysql(String),
    /// The path of an SQLite database file, created when missing.
    Sqlite(PathBuf),
}

// By hand: a MySQL URL may carry a password.
impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mysql(_) => f.write_str("Mysql(..)"),
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
        }
    }
}

/// How to open the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbConfig {
    /// The database.
    pub backend: Backend,
    /// The most connections the pool opens at once (at least 1).
    pub pool_size: usize,
}

impl DbConfig {
    /// A MySQL database at `url` with the default pool size.
    pub fn mysql(url: impl Into<String>) -> Self {
        Self {
            backend: Backend::Mysql(url.into()),
            pool_size: DEFAULT_POOL_SIZE,
        }
    }

    /// An SQLite database file at `path` with the default pool size.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        Self {
            backend: Backend::Sqlite(path.into()),
            pool_size: DEFAULT_POOL_SIZE,
        }
    }

    /// The same with a pool of `pool_size` connections.
    #[must_use]
    pub fn with_pool_size(mut self, pool_size: usize) -> Self {
        self.pool_size = pool_size;
        self
    }
}

/// Connections a pool opens unless configured otherwise.
pub const DEFAULT_POOL_SIZE: usize = 10;

/// Why opening, migrating or querying the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The configured pool size is 0 (every query would wait forever).
    #[error("the database pool size must be at least 1")]
    ZeroPoolSize,
    /// The pool could not be built.
    #[error("cannot build the {backend} connection pool")]
    PoolBuild {
        /// `mysql` or `sqlite`.
        backend: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No connection could be had from the pool.
    #[error("cannot get a database connection")]
    Pool(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Connecting for migrations failed.
    #[error("cannot connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    /// A query failed.
    #[error("database query failed")]
    Query(#[source] diesel::result::Error),
    /// Running or listing migrations failed.
    #[error("database migration failed")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database has migrations this build does not know: it was
    /// prepared by a newer fleet-server.
    #[error("the database has migrations this fleet-server does not know: {0:?}")]
    UnknownMigrations(Vec<String>),
    /// A blocking task (SQLite, migrations) was cancelled or panicked.
    #[error("a database task did not finish")]
    Task(#[source] tokio::task::JoinError),
}

impl DbError {
    /// Wraps a pool error.
    pub(crate) fn pool(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Pool(Box::new(e))
    }
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Query(e)
    }
}

/// The database: a connection pool plus what it takes to migrate it.
/// Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool,
    backend: Backend,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = match &self.pool {
            Pool::Mysql(p) => p.status().max_size,
            Pool::Sqlite(p) => p.status().max_size,
        };
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("pool_size", &size)
            .finish()
    }
}

impl Db {
    /// Opens a pool on the configured database. No connection is made
    /// until the first query; call [`prepare_db`] or [`Db::migration_status`]
    /// to check the database is reachable and current.
    pub fn open(config: &DbConfig) -> Result<Self, DbError> {
        if config.pool_size == 0 {
            return Err(DbError::ZeroPoolSize);
        }
        let pool = match &config.backend {
            Backend::Mysql(url) => {
                let mut manager_config = ManagerConfig::<AsyncMysqlConnection>::default();
                manager_config.custom_setup = Box::new(|url| Box::pin(establish_mysql(url)));
                let manager = AsyncDieselConnectionManager::<AsyncMysqlConnection>::new_with_config(
                    url,
                    manager_config,
                );
                let pool = DeadPool::builder(manager)
                    .max_size(config.pool_size)
                    .build()
                    .map_err(|e| DbError::PoolBuild {
                        backend: "mysql",
                        source: Box::new(e),
                    })?;
                Pool::Mysql(pool)
            }
            Backend::Sqlite(path) => {
                let mut manager_config = ManagerConfig::<SqliteConn>::default();
                manager_config.custom_setup = Box::new(|url| Box::pin(establish_sqlite(url)));
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    sqlite_url(path),
                    manager_config,
                );
                let pool = DeadPool::builder(manager)
                    .max_size(config.pool_size)
                    .build()
                    .map_err(|e| DbError::PoolBuild {
                        backend: "sqlite",
                        source: Box::new(e),
                    })?;
                Pool::Sqlite(pool)
            }
        };
        Ok(Self {
            pool,
            backend: config.backend.clone(),
        })
    }

    /// Whether this is a MySQL database (else SQLite).
    pub fn is_mysql(&self) -> bool {
        matches!(self.pool, Pool::Mysql(_))
    }

    /// Runs `SELECT 1`: whether the database answers (`/healthz`).
    pub async fn ping(&self) -> Result<(), DbError> {
        use diesel_async::RunQueryDsl;
        with_conn!(self, conn => {
            diesel::sql_query("SELECT 1").execute(conn).await?;
        });
        Ok(())
    }

    /// What [`open`](Self::open) was given.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }
}

/// Runs every pending migration, returning the versions applied (empty
/// when the schema was current). What `fleet-server prepare db` runs, and
/// `serve` when [`Db::migration_status`] says the schema is behind.
pub async fn prepare_db(db: &Db) -> Result<Vec<String>, DbError> {
    migrate::run_pending(db).await
}

/// The connection string diesel's SQLite connection takes for `path`.
fn sqlite_url(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The per-connection SQLite settings: foreign keys (off by default in
/// SQLite), a 5 s busy timeout so that concurrent writers wait rather than
/// fail, and WAL so readers do not block the writer.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL;";

/// Opens one pooled MySQL connection in UTC: `CURRENT_TIMESTAMP` defaults
/// and `TIMESTAMP` columns then read back as UTC whatever the server's own
/// time zone, as the API's `...Z` timestamps promise.
async fn establish_mysql(url: &str) -> diesel::ConnectionResult<AsyncMysqlConnection> {
    use diesel_async::AsyncConnection;
    let mut conn = AsyncMysqlConnection::establish(url).await?;
    conn.batch_execute("SET time_zone = '+00:00'")
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// Opens one pooled SQLite connection with [`SQLITE_PRAGMAS`].
async fn establish_sqlite(url: &str) -> diesel::ConnectionResult<SqliteConn> {
    use diesel_async::AsyncConnection;
    let mut conn = SqliteConn::establish(url).await?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// Runs `$body` with `$conn` bound to a `&mut` pooled connection of
/// whichever backend `$db` (a [`Db`]) uses. The body is compiled once per
/// backend, so one query text serves both. `?` inside it returns from the
/// enclosing function, whose error type must come `From<DbError>` and
/// `From<diesel::result::Error>`.
macro_rules! with_conn {
    ($db:expr, $conn:ident => $body:expr) => {
        match &$db.pool {
            $crate::db::Pool::Mysql(pool) => {
                let mut guard = pool.get().await.map_err($crate::db::DbError::pool)?;
                let $conn: &mut diesel_async::AsyncMysqlConnection = &mut guard;
                $body
            }
            $crate::db::Pool::Sqlite(pool) => {
                let mut guard = pool.get().await.map_err($crate::db::DbError::pool)?;
                let $conn: &mut $crate::db::SqliteConn = &mut guard;
                $body
            }
        }
    };
}

/// Like [`with_conn!`], inside a transaction: `$body` is an expression of
/// type `Result<T, E>` (with `E: From<diesel::result::Error>`), committed
/// when `Ok` and rolled back when `Err`. `?` inside it leaves the
/// transaction. SQLite transactions begin IMMEDIATE (they take the write
/// lock up front, so a read-then-write never fails on a lock upgrade).
macro_rules! transaction {
    ($db:expr, $conn:ident => $body:expr) => {
        match &$db.pool {
            $crate::db::Pool::Mysql(pool) => {
                let mut guard = pool.get().await.map_err($crate::db::DbError::pool)?;
                let conn: &mut diesel_async::AsyncMysqlConnection = &mut guard;
                diesel_async::AsyncConnection::transaction(conn, async |$conn| $body).await
            }
            $crate::db::Pool::Sqlite(pool) => {
                let mut guard = pool.get().await.map_err($crate::db::DbError::pool)?;
                let conn: &mut $crate::db::SqliteConn = &mut guard;
                conn.immediate_transaction(async |$conn| $body).await
            }
        }
    };
}

pub(crate) use {transaction, with_conn};
