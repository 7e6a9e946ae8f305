//! fleet-server's integration tests: the libraries' storage conformance
//! suites on SQLite and MySQL, the database's life cycle, the REST API,
//! hosts and enrollments, `fleet-server serve` run as a program with
//! device-sim enrolling devices, and the binary's subcommands, TLS and
//! logs as other programs see them.

#![allow(clippy::unwrap_used, reason = "tests")]

mod api_auth;
mod api_users;
mod dep_store;
mod enrollments;
mod hosts;
mod locks;
mod mdm_api;
mod mdm_server;
mod migrations;
mod munki_repo;
mod nanomdm_store;
mod programs;
mod scep_depot;
mod serve;

use std::sync::Arc;

use fleet_server::db::{Db, DbConfig, prepare_db};
use tempfile::TempDir;
use testkit::mysql::TestDatabase;

/// A migrated SQLite database in a temporary directory (removed when the
/// directory guard drops).
async fn sqlite_db() -> (Db, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&DbConfig::sqlite(dir.path().join("fleet.sqlite3"))).unwrap();
    prepare_db(&db).await.unwrap();
    (db, dir)
}

/// A migrated fresh MySQL database, or `None` (after testkit's banner)
/// when no MySQL is configured outside CI. In CI a missing MySQL fails.
async fn mysql_db(test: &str) -> Option<(Db, TestDatabase)> {
    let test_db = testkit::mysql::fresh_database(test).await?;
    let db = Db::open(&DbConfig::mysql(test_db.url()).with_pool_size(4)).unwrap();
    prepare_db(&db).await.unwrap();
    Some((db, test_db))
}

/// Shares a value with its guard, for the conformance macros.
fn shared<S, G>(store: S, guard: G) -> (Arc<S>, G) {
    (Arc::new(store), guard)
}
