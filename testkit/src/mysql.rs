//! A fresh MySQL database per test.
//!
//! ```no_run
//! # async fn example() {
//! let Some(db) = testkit::mysql::fresh_database("orders_survive_a_restart").await else {
//!     return; // FLEET_TEST_MYSQL_URL is unset: skipped, with a banner on stderr.
//! };
//! let url = db.url(); // mysql://…/fleet_test_orders_survive_a_restart_…
//! # let _ = url;
//! # }
//! ```
//!
//! The server is named by `FLEET_TEST_MYSQL_URL`, for example
//! `mysql://root@127.0.0.1:3306/test`; its user must be allowed to create and
//! drop databases. When the variable is unset, tests are skipped loudly on a
//! developer machine but fail in CI (where `CI` is set), so a misconfigured
//! pipeline cannot pass by silently testing nothing.

mod naming;

use std::fmt;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};

/// Names the server (and admin credentials) the harness creates databases on.
const URL_ENV: &str = "FLEET_TEST_MYSQL_URL";

/// Set by CI systems; turns a missing [`URL_ENV`] from a skip into a failure.
const CI_ENV: &str = "CI";

/// A database that exists for as long as this value does.
///
/// Dropping it drops the database, including everything the test wrote.
pub struct TestDatabase {
    /// The database's name, e.g. `fleet_test_my_test_4242_0_1a2b3c4d`.
    name: String,
    /// Connection URL whose path is [`Self::name`].
    url: String,
    /// The URL from the environment, used again to drop the database.
    admin_url: String,
}

impl TestDatabase {
    /// A `mysql://` URL for the database: the server, credentials and options
    /// of `FLEET_TEST_MYSQL_URL`, with the path replaced by [`Self::name`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name, unique on the server.
    pub fn name(&self) -> &str {
        &self.name
    }
}

// By hand, so that a test printing its database never leaks the password.
impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("url", &naming::redact(&self.url))
            .finish_non_exhaustive()
    }
}

/// Creates a brand-new, empty database for the test called `test_name`.
///
/// Returns `None`, after printing a banner on stderr, when
/// `FLEET_TEST_MYSQL_URL` is unset or empty: the caller should then return
/// early. The name only labels the database and the banner; uniqueness does
/// not depend on it.
///
/// # Panics
///
/// When `FLEET_TEST_MYSQL_URL` is unset but `CI` is set, and when the
/// server cannot be reached or refuses to create the database: a test that
/// cannot get its database should fail loudly, not pass.
pub async fn fresh_database(test_name: &str) -> Option<TestDatabase> {
    let admin_url = admin_url_from_env(test_name)?;
    let shown = naming::redact(&admin_url);
    let name = naming::database_name(test_name);
    let url = naming::with_database(&admin_url, &name).unwrap_or_else(|| {
        panic!("{URL_ENV} must be a mysql://user@host:port/db URL, got {shown}")
    });

    let mut conn = connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to MySQL at {shown} ({URL_ENV}): {e}"));
    // utf8mb4 explicitly: MariaDB still defaults to latin1, MySQL 8 does not,
    // and the application must behave the same on both.
    let create =
        format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    conn.query_drop(create)
        .await
        .unwrap_or_else(|e| panic!("cannot create database {name} on {shown} ({URL_ENV}): {e}"));
    if let Err(e) = conn.disconnect().await {
        // The database exists; a failed goodbye is no reason to fail the test.
        eprintln!("testkit: disconnecting from {shown} failed: {e}");
    }
    Some(TestDatabase {
        name,
        url,
        admin_url,
    })
}

/// What to do, given the values of `FLEET_TEST_MYSQL_URL` and `CI`.
#[derive(Debug, PartialEq, Eq)]
enum Setup {
    /// Create databases on this server.
    Server(String),
    /// Skip the test: a developer without MySQL should still be able to run
    /// the rest of the suite with plain `cargo test`.
    Skip,
    /// Fail the test: CI must never skip MySQL tests.
    MissingInCi,
}

impl Setup {
    fn decide(url: Option<String>, ci: Option<String>) -> Self {
        let set = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
        match (url, set(&ci)) {
            (Some(url), _) if !url.trim().is_empty() => Self::Server(url.trim().to_owned()),
            (_, true) => Self::MissingInCi,
            (_, false) => Self::Skip,
        }
    }
}

/// The admin URL, or `None` after the skip banner; panics in CI.
fn admin_url_from_env(test_name: &str) -> Option<String> {
    let var = |key| std::env::var_os(key).map(|v| v.to_string_lossy().into_owned());
    match Setup::decide(var(URL_ENV), var(CI_ENV)) {
        Setup::Server(url) => Some(url),
        Setup::MissingInCi => panic!(
            "{URL_ENV} is not set but {CI_ENV} is: MySQL tests must run in CI \
             (test `{test_name}`; run the suite with ./test.sh, which sets it)"
        ),
        Setup::Skip => {
            eprintln!("{}", skip_banner(test_name));
            None
        }
    }
}

/// Loud on purpose: a skipped test looks exactly like a passing one in the
/// summary, so the reason has to stand out in the output.
fn skip_banner(test_name: &str) -> String {
    let rule = "*".repeat(76);
    format!(
        "\n{rule}\n\
         *** SKIPPED: test `{test_name}` needs MySQL\n\
         *** {URL_ENV} is unset, so this test did NOT run (it reports as passed).\n\
         *** To run it, use ./test.sh at the repository root: it starts a local\n\
         *** MariaDB and sets {URL_ENV}. Or point it at a server yourself:\n\
         ***   {URL_ENV}=mysql://root@127.0.0.1:3306/test cargo nextest run\n\
         {rule}\n"
    )
}

async fn connect(url: &str) -> mysql_async::Result<Conn> {
    Conn::new(Opts::from_url(url)?).await
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // The test's runtime may be a current-thread one that we are blocking
        // right now, so the async driver gets its own thread and runtime.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let worker = std::thread::Builder::new()
            .name(format!("drop {name}"))
            .spawn(move || drop_database(&admin_url, &name));
        let outcome = match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| Err("the dropping thread panicked".to_owned())),
            Err(e) => Err(format!("cannot start a thread to drop it: {e}")),
        };
        // Never panic here: Drop may run while a failed test unwinds, and a
        // second panic would abort and hide the real failure.
        if let Err(e) = outcome {
            let shown = naming::redact(&self.admin_url);
            eprintln!(
                "testkit: could not drop test database {} on {shown}: {e}",
                self.name
            );
        }
    }
}

/// `DROP DATABASE` on a private current-thread runtime; errors as text since
/// they end up on stderr anyway.
fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    runtime
        .block_on(async {
            let mut conn = connect(admin_url).await?;
            conn.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
                .await?;
            conn.disconnect().await
        })
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(url: Option<&str>, ci: Option<&str>) -> Setup {
        Setup::decide(url.map(str::to_owned), ci.map(str::to_owned))
    }

    #[test]
    fn a_set_url_is_used_whether_or_not_ci_is_set() {
        let url = "mysql://root@127.0.0.1:3306/test";
        assert_eq!(decide(Some(url), None), Setup::Server(url.to_owned()));
        assert_eq!(
            decide(Some(url), Some("true")),
            Setup::Server(url.to_owned())
        );
    }

    #[test]
    fn a_missing_or_empty_url_skips_outside_ci() {
        assert_eq!(decide(None, None), Setup::Skip);
        assert_eq!(decide(Some(""), None), Setup::Skip);
        assert_eq!(decide(Some("  "), Some("")), Setup::Skip);
    }

    #[test]
    fn a_missing_or_empty_url_fails_in_ci() {
        assert_eq!(decide(None, Some("1")), Setup::MissingInCi);
        assert_eq!(decide(Some(""), Some("true")), Setup::MissingInCi);
    }

    #[test]
    fn the_skip_banner_names_the_test_and_the_fix() {
        let banner = skip_banner("my_test");
        assert!(banner.contains("SKIPPED"));
        assert!(banner.contains("`my_test`"));
        assert!(banner.contains(URL_ENV));
        assert!(banner.contains("./test.sh"));
    }
}
