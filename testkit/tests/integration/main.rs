//! Tests of `testkit::mysql` against a real server.
//!
//! Each test skips (with a banner) when `FLEET_TEST_MYSQL_URL` is unset, just
//! like the tests that use the harness.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};
use testkit::mysql::{TestDatabase, fresh_database};

async fn connect(url: &str) -> Conn {
    let opts = Opts::from_url(url).expect("test database URLs are valid mysql:// URLs");
    Conn::new(opts)
        .await
        .expect("the test server accepts connections")
}

/// Asks the server itself, through a connection to the admin database.
async fn database_exists(name: &str) -> bool {
    let admin_url = std::env::var("FLEET_TEST_MYSQL_URL").expect("checked by fresh_database");
    let mut conn = connect(&admin_url).await;
    let found: Option<String> = conn
        .exec_first(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ?",
            (name,),
        )
        .await
        .expect("information_schema is readable");
    conn.disconnect().await.expect("clean disconnect");
    found.is_some()
}

async fn table_names(db: &TestDatabase) -> Vec<String> {
    let mut conn = connect(db.url()).await;
    let names = conn.query("SHOW TABLES").await.expect("SHOW TABLES works");
    conn.disconnect().await.expect("clean disconnect");
    names
}

#[tokio::test]
async fn the_url_connects_to_the_new_empty_database() {
    let Some(db) = fresh_database("the_url_connects_to_the_new_empty_database").await else {
        return;
    };
    let mut conn = connect(db.url()).await;
    let current: Option<String> = conn
        .query_first("SELECT DATABASE()")
        .await
        .expect("SELECT DATABASE() works");
    conn.disconnect().await.expect("clean disconnect");
    assert_eq!(current.as_deref(), Some(db.name()));
    assert!(table_names(&db).await.is_empty());
}

#[tokio::test]
async fn fresh_databases_are_distinct_and_isolated() {
    let name = "fresh_databases_are_distinct_and_isolated";
    let Some(first) = fresh_database(name).await else {
        return;
    };
    let second = fresh_database(name).await.expect("the URL is still set");
    assert_ne!(first.name(), second.name());
    assert_ne!(first.url(), second.url());

    let mut conn = connect(first.url()).await;
    conn.query_drop("CREATE TABLE devices (udid VARCHAR(64) PRIMARY KEY)")
        .await
        .expect("CREATE TABLE works");
    conn.disconnect().await.expect("clean disconnect");

    assert_eq!(table_names(&first).await, ["devices"]);
    assert!(table_names(&second).await.is_empty());
}

#[tokio::test]
async fn dropping_a_test_database_removes_it() {
    let Some(db) = fresh_database("dropping_a_test_database_removes_it").await else {
        return;
    };
    let name = db.name().to_owned();
    assert!(database_exists(&name).await);
    drop(db);
    assert!(!database_exists(&name).await);
}

// Drop blocks the thread it runs on; on a multi-threaded runtime that is a
// worker thread, which must not stop the drop from completing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_works_on_a_multi_threaded_runtime_too() {
    let Some(db) = fresh_database("dropping_works_on_a_multi_threaded_runtime_too").await else {
        return;
    };
    let name = db.name().to_owned();
    tokio::spawn(async move { drop(db) })
        .await
        .expect("the drop task completes");
    assert!(!database_exists(&name).await);
}

#[tokio::test]
async fn awkward_test_names_still_give_valid_database_names() {
    let awkward = format!("módulo::Ünïcode - {} ✓", "very long ".repeat(20));
    let Some(db) = fresh_database(&awkward).await else {
        return;
    };
    assert!(db.name().len() <= 64, "{}", db.name());
    assert!(db.name().starts_with("fleet_test_"), "{}", db.name());
    assert!(database_exists(db.name()).await);
}

#[tokio::test]
async fn debug_output_never_shows_the_password() {
    let Some(db) = fresh_database("debug_output_never_shows_the_password").await else {
        return;
    };
    let shown = format!("{db:?}");
    assert!(shown.contains(db.name()), "{shown}");
    let url = db.url();
    if let Some((userinfo, _)) = url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        && let Some((_, password)) = userinfo.split_once(':')
    {
        assert!(!shown.contains(&format!(":{password}@")), "{shown}");
    }
}
