//! `nanomdm`'s storage conformance suite on [`NanomdmStore`], on SQLite
//! and on MySQL.

use std::sync::Arc;

use fleet_server::db::{Db, DbConfig};
use fleet_server::store::NanomdmStore;
use nanomdm::store::AllStorage;

mod sqlite {
    nanomdm::store_conformance!({
        let (db, dir) = crate::sqlite_db().await;
        crate::shared(fleet_server::store::NanomdmStore::new(db), dir)
    });
}

mod mysql {
    nanomdm::store_conformance!({
        let Some((db, test_db)) = crate::mysql_db("nanomdm_conformance").await else {
            return;
        };
        crate::shared(fleet_server::store::NanomdmStore::new(db), test_db)
    });
}

#[tokio::test]
async fn a_reopened_sqlite_store_keeps_enrollments_results_and_queue_order() {
    let (db, dir) = crate::sqlite_db().await;
    let path = dir.path().join("fleet.sqlite3");
    let store: Arc<dyn AllStorage> = Arc::new(NanomdmStore::new(db));
    nanomdm::testing::conformance::a_reopened_store_keeps_enrollments_results_and_queue_order(
        store,
        || async move {
            let db = Db::open(&DbConfig::sqlite(path)).unwrap();
            Arc::new(NanomdmStore::new(db)) as Arc<dyn AllStorage>
        },
    )
    .await;
}

#[tokio::test]
async fn a_reopened_mysql_store_keeps_enrollments_results_and_queue_order() {
    let Some((db, test_db)) = crate::mysql_db("a_reopened_mysql_store_keeps").await else {
        return;
    };
    let url = test_db.url().to_owned();
    let store: Arc<dyn AllStorage> = Arc::new(NanomdmStore::new(db));
    nanomdm::testing::conformance::a_reopened_store_keeps_enrollments_results_and_queue_order(
        store,
        || async move {
            let db = Db::open(&DbConfig::mysql(url)).unwrap();
            Arc::new(NanomdmStore::new(db)) as Arc<dyn AllStorage>
        },
    )
    .await;
}
