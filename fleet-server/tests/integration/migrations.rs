//! Preparing the database: embedded migrations and the "schema is
//! behind" check.

use fleet_server::db::{Db, DbConfig, DbError, prepare_db};

#[tokio::test]
async fn a_new_sqlite_database_is_behind_until_prepared_and_preparing_again_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&DbConfig::sqlite(dir.path().join("new.sqlite3"))).unwrap();
    let before = db.migration_status().await.unwrap();
    assert!(!before.pending.is_empty(), "a new database is behind");
    assert!(before.unknown.is_empty());

    let applied = prepare_db(&db).await.unwrap();
    assert_eq!(applied, before.pending, "prepare applies what was pending");
    assert!(db.migration_status().await.unwrap().is_current());
    assert!(
        prepare_db(&db).await.unwrap().is_empty(),
        "nothing left to apply"
    );
}

#[tokio::test]
async fn a_new_mysql_database_is_behind_until_prepared_and_preparing_again_applies_nothing() {
    let name = "a_new_mysql_database_is_behind_until_prepared";
    let Some(test_db) = testkit::mysql::fresh_database(name).await else {
        return;
    };
    let db = Db::open(&DbConfig::mysql(test_db.url())).unwrap();
    let before = db.migration_status().await.unwrap();
    assert!(!before.pending.is_empty(), "a new database is behind");
    let applied = prepare_db(&db).await.unwrap();
    assert_eq!(applied, before.pending);
    assert!(db.migration_status().await.unwrap().is_current());
    assert!(prepare_db(&db).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_pool_size_of_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = DbConfig::sqlite(dir.path().join("zero.sqlite3")).with_pool_size(0);
    assert!(matches!(Db::open(&config), Err(DbError::ZeroPoolSize)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_preparing_one_mysql_database_at_once_apply_each_migration_once() {
    let Some(test_db) = testkit::mysql::fresh_database("replicas_preparing_at_once").await else {
        return;
    };
    let replicas: Vec<Db> = (0..3)
        .map(|_| Db::open(&DbConfig::mysql(test_db.url())).unwrap())
        .collect();
    let pending = replicas[0].migration_status().await.unwrap().pending;
    let runs = replicas.iter().map(|db| {
        let db = db.clone();
        tokio::spawn(async move { prepare_db(&db).await })
    });
    let mut applied: Vec<String> = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        applied.extend(
            run.await
                .unwrap()
                .expect("no replica fails on another's migrations"),
        );
    }
    applied.sort();
    assert_eq!(applied, pending, "every migration applied exactly once");
    assert!(replicas[2].migration_status().await.unwrap().is_current());
}
