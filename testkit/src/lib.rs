//! Test harnesses shared by the workspace's crates.
//!
//! [`mysql`] hands every test a brand-new, uniquely named MySQL (or MariaDB)
//! database and drops it again when the test is done, so tests can run in
//! parallel without seeing each other's rows. The server comes from the
//! `FLEET_TEST_MYSQL_URL` environment variable; `./test.sh` at the repository
//! root starts a local MariaDB and sets it for you.
//!
//! [`process`] runs programs under test (another package's binaries and
//! examples) as child processes.

pub mod mysql;
pub mod process;
