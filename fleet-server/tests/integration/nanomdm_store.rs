//! `nanomdm`'s storage conformance suite on [`NanomdmStore`], on SQLite
//! and on MySQL.

use std::sync::Arc;

use fleet_server::db::{Db, DbConfig};
use fleet_server::secret::SecretCipher;
use fleet_server::store::NanomdmStore;
use nanomdm::store::{AllStorage, PushCert, PushCertStore};

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

/// A cipher for tests, from a 32-byte private key.
fn cipher(private_key: &[u8]) -> Arc<SecretCipher> {
    Arc::new(SecretCipher::from_private_key(private_key).unwrap())
}

const PRIVATE_KEY: &[u8] = b"fleet-server test private key 32+";

mod sqlite_encrypted {
    nanomdm::store_conformance!({
        let (db, dir) = crate::sqlite_db().await;
        let store = fleet_server::store::NanomdmStore::new(db)
            .with_cipher(super::cipher(super::PRIVATE_KEY));
        crate::shared(store, dir)
    });
}

mod mysql_encrypted {
    nanomdm::store_conformance!({
        let Some((db, test_db)) = crate::mysql_db("nanomdm_encrypted").await else {
            return;
        };
        let store = fleet_server::store::NanomdmStore::new(db)
            .with_cipher(super::cipher(super::PRIVATE_KEY));
        crate::shared(store, test_db)
    });
}

const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";

fn push_cert() -> PushCert {
    PushCert {
        topic: "com.apple.mgmt.External.test".into(),
        cert_pem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".into(),
        key_pem: KEY_PEM.into(),
    }
}

#[derive(diesel::QueryableByName)]
struct KeyColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key_pem: String,
}

const SELECT_KEY: &str = "SELECT key_pem FROM nano_push_certs";

/// Stores the push certificate through a store with the test cipher.
async fn store_sealed(db: &Db) {
    let store = NanomdmStore::new(db.clone()).with_cipher(cipher(PRIVATE_KEY));
    store.store_push_cert(&push_cert()).await.unwrap();
}

/// The column holds a sealed value, never the PEM.
fn assert_sealed(column: &str) {
    assert!(!column.contains("PRIVATE KEY"), "the PEM is not stored");
    assert!(!column.contains("c2VjcmV0"), "the key body is not stored");
    assert!(column.starts_with("fleet-secret:v1:"), "{column}");
}

/// The right key opens the stored key; a wrong key or no key fails with
/// an error naming why.
async fn assert_only_the_right_key_opens(db: Db) {
    let topic = push_cert().topic;
    let right = NanomdmStore::new(db.clone()).with_cipher(cipher(PRIVATE_KEY));
    let (loaded, _) = right.push_cert(&topic).await.unwrap().unwrap();
    assert_eq!(loaded.key_pem, KEY_PEM, "the right key opens it");
    let other = cipher(b"another private key, also 32+ bytes");
    let wrong = NanomdmStore::new(db.clone()).with_cipher(other);
    let error = format!("{:?}", wrong.push_cert(&topic).await.unwrap_err());
    assert!(error.contains("WrongKeyOrAltered"), "{error}");
    let plain = NanomdmStore::new(db);
    let error = format!("{:?}", plain.push_cert(&topic).await.unwrap_err());
    assert!(error.contains("NoKey"), "{error}");
}

#[tokio::test]
async fn an_sqlite_push_key_is_stored_sealed_and_opens_only_with_its_key() {
    use diesel::{Connection, RunQueryDsl};
    let (db, dir) = crate::sqlite_db().await;
    store_sealed(&db).await;
    let path = dir.path().join("fleet.sqlite3");
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let row: KeyColumn = diesel::sql_query(SELECT_KEY).get_result(&mut conn).unwrap();
    assert_sealed(&row.key_pem);
    assert_only_the_right_key_opens(db).await;
}

#[tokio::test]
async fn a_mysql_push_key_is_stored_sealed_and_opens_only_with_its_key() {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let Some((db, test_db)) = crate::mysql_db("nanomdm_sealed_push_key").await else {
        return;
    };
    store_sealed(&db).await;
    let mut conn = diesel_async::AsyncMysqlConnection::establish(test_db.url())
        .await
        .unwrap();
    let row: KeyColumn = diesel::sql_query(SELECT_KEY)
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_sealed(&row.key_pem);
    assert_only_the_right_key_opens(db).await;
}
