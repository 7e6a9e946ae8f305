//! `nanodep`'s storage conformance suite on [`DepStore`], on SQLite and on
//! MySQL, and its sealing of secrets.

use std::sync::Arc;

use diesel::QueryableByName;
use fleet_server::db::Db;
use fleet_server::secret::SecretCipher;
use fleet_server::store::DepStore;
use nanodep::store::{AuthTokensStore, StoreError, TokenPkiStore};
use nanodep::token_pki::{KeyPair, OAuth1Tokens};

const PRIVATE_KEY: &[u8] = b"fleet-server test private key 32+";

fn store(db: Db, private_key: &[u8]) -> DepStore {
    DepStore::new(
        db,
        Arc::new(SecretCipher::from_private_key(private_key).unwrap()),
    )
}

mod sqlite {
    nanodep::store_conformance!({
        let (db, dir) = crate::sqlite_db().await;
        crate::shared(super::store(db, super::PRIVATE_KEY), dir)
    });
}

mod mysql {
    nanodep::store_conformance!({
        let Some((db, test_db)) = crate::mysql_db("nanodep_conformance").await else {
            return;
        };
        crate::shared(super::store(db, super::PRIVATE_KEY), test_db)
    });
}

const NAME: &str = "fleet";

fn tokens() -> OAuth1Tokens {
    OAuth1Tokens {
        consumer_key: "CK_key".into(),
        consumer_secret: "CS_consumer_secret".into(),
        access_token: "AT_access_token".into(),
        access_secret: "AS_access_secret".into(),
        access_token_expiry: None,
    }
}

fn pair() -> KeyPair {
    KeyPair {
        certificate_pem: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".into(),
        key_pem: "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n"
            .into(),
    }
}

/// Every secret column of `dep_names` as text.
#[derive(QueryableByName)]
struct Secrets {
    #[diesel(sql_type = diesel::sql_types::Text)]
    secrets: String,
}

const SELECT_SECRETS: &str = "SELECT CONCAT(consumer_secret, access_token, access_secret, \
     tokenpki_staging_key_pem, tokenpki_key_pem) AS secrets FROM dep_names";

const SELECT_SECRETS_SQLITE: &str = "SELECT consumer_secret || access_token || access_secret || \
     tokenpki_staging_key_pem || tokenpki_key_pem AS secrets FROM dep_names";

async fn store_secrets(db: &Db) {
    let store = store(db.clone(), PRIVATE_KEY);
    store.store_auth_tokens(NAME, &tokens()).await.unwrap();
    store.store_token_pki(NAME, &pair()).await.unwrap();
    store.upstage_token_pki(NAME).await.unwrap();
}

fn assert_sealed(secrets: &str) {
    for plain in [
        "CS_consumer",
        "AT_access",
        "AS_access",
        "PRIVATE KEY",
        "c2VjcmV0",
    ] {
        assert!(
            !secrets.contains(plain),
            "{plain} is not stored in plain text"
        );
    }
    assert_eq!(secrets.matches("fleet-secret:v1:").count(), 5, "{secrets}");
}

/// The right key reads the secrets back; another key fails with an error.
async fn assert_only_the_right_key_opens(db: Db) {
    let right = store(db.clone(), PRIVATE_KEY);
    assert_eq!(right.retrieve_auth_tokens(NAME).await.unwrap(), tokens());
    assert_eq!(
        right
            .retrieve_current_token_pki(NAME)
            .await
            .unwrap()
            .key_pem,
        pair().key_pem
    );
    let wrong = store(db, b"another private key, also 32+ bytes");
    for error in [
        wrong.retrieve_auth_tokens(NAME).await.unwrap_err(),
        wrong.retrieve_staging_token_pki(NAME).await.unwrap_err(),
    ] {
        assert!(matches!(error, StoreError::Backend(_)), "{error:?}");
        assert!(
            format!("{error:?}").contains("WrongKeyOrAltered"),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn sqlite_dep_secrets_are_stored_sealed_and_open_only_with_their_key() {
    use diesel::{Connection, RunQueryDsl};
    let (db, dir) = crate::sqlite_db().await;
    store_secrets(&db).await;
    let path = dir.path().join("fleet.sqlite3");
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let row: Secrets = diesel::sql_query(SELECT_SECRETS_SQLITE)
        .get_result(&mut conn)
        .unwrap();
    assert_sealed(&row.secrets);
    assert_only_the_right_key_opens(db).await;
}

#[tokio::test]
async fn mysql_dep_secrets_are_stored_sealed_and_open_only_with_their_key() {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let Some((db, test_db)) = crate::mysql_db("nanodep_sealed").await else {
        return;
    };
    store_secrets(&db).await;
    let mut conn = diesel_async::AsyncMysqlConnection::establish(test_db.url())
        .await
        .unwrap();
    let row: Secrets = diesel::sql_query(SELECT_SECRETS)
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_sealed(&row.secrets);
    assert_only_the_right_key_opens(db).await;
}
