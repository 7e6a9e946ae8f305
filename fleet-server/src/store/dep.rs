//! Every `nanodep` storage trait on the database: nanodep's `dep_names`
//! (one row per DEP name, each store call touching its own column group)
//! and `dep_assignments` (the assigner's per-device results).
//!
//! The OAuth secrets (consumer secret, access token and secret) and both
//! token key pairs' private keys are sealed with the server's
//! [`SecretCipher`], bound to their column and DEP name: the database never
//! holds them in plain text, and a value copied to another name or column
//! does not open there.

mod assignments;

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use nanodep::store::{
    AssignerProfileStore, AssignmentStore, AuthTokensStore, Config, ConfigStore, CursorStore,
    DeviceAssignment, Stamped, StoreError, TokenPkiStore,
};
use nanodep::token_pki::{KeyPair, OAuth1Tokens};

use crate::db::{Db, transaction, with_conn};
use crate::schema::dep_names as n;
use crate::secret::SecretCipher;
use crate::store::{Failure, from_unix_seconds, unix_seconds};

/// Every `nanodep` storage role ([`nanodep::store::Store`]) on MySQL or
/// SQLite. Port of nanodep's `storage/mysql`, with secrets sealed.
#[derive(Debug, Clone)]
pub struct DepStore {
    db: Db,
    cipher: Arc<SecretCipher>,
}

impl DepStore {
    /// A store on `db` (migrated, [`crate::db::prepare_db`]) sealing
    /// secrets with `cipher`.
    pub fn new(db: Db, cipher: Arc<SecretCipher>) -> Self {
        Self { db, cipher }
    }

    /// Seals `secret` for `column` of `name`'s row.
    fn seal(&self, name: &str, column: &str, secret: &str) -> Result<String, Failure> {
        Ok(self
            .cipher
            .seal(&context(name, column), secret.as_bytes())?)
    }

    /// Opens what [`seal`](Self::seal) stored.
    fn open(&self, name: &str, column: &str, stored: &str) -> Result<String, Failure> {
        Ok(self.cipher.open_text(&context(name, column), stored)?)
    }
}

/// The associated data of a sealed `column` of `name`'s row.
fn context(name: &str, column: &str) -> String {
    format!("dep_names.{column}/{name}")
}

/// Creates `name`'s row when missing (every column but the name NULL), so
/// that each store call is an UPDATE of its own columns.
macro_rules! ensure_row {
    ($conn:ident, $name:expr) => {
        diesel::insert_or_ignore_into(n::table)
            .values(n::name.eq($name))
            .execute($conn)
            .await?
    };
}

/// `Some(t)` for a stored time, to the second.
fn stamped(value: Option<String>, at: Option<i64>) -> Option<Stamped> {
    match (value, at) {
        (Some(value), Some(at)) => Some(Stamped {
            value,
            modified: from_unix_seconds(at),
        }),
        _ => None,
    }
}

/// The sealed token columns as read.
type TokenRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

impl DepStore {
    async fn load_tokens(&self, name: &str) -> Result<OAuth1Tokens, Failure> {
        let row: Option<TokenRow> = with_conn!(self.db, conn => {
            n::table
                .find(name)
                .select((
                    n::consumer_key,
                    n::consumer_secret,
                    n::access_token,
                    n::access_secret,
                    n::access_token_expiry,
                ))
                .first(conn)
                .await
                .optional()?
        });
        let not_found = || Failure::NotFound(format!("auth tokens of {name}"));
        let Some((Some(key), Some(secret), Some(token), Some(token_secret), expiry)) = row else {
            return Err(not_found());
        };
        Ok(OAuth1Tokens {
            consumer_key: key,
            consumer_secret: self.open(name, "consumer_secret", &secret)?,
            access_token: self.open(name, "access_token", &token)?,
            access_secret: self.open(name, "access_secret", &token_secret)?,
            access_token_expiry: expiry.map(from_unix_seconds),
        })
    }

    async fn save_tokens(&self, name: &str, tokens: &OAuth1Tokens) -> Result<(), Failure> {
        let fields = (
            n::consumer_key.eq(tokens.consumer_key.as_str()),
            n::consumer_secret.eq(self.seal(name, "consumer_secret", &tokens.consumer_secret)?),
            n::access_token.eq(self.seal(name, "access_token", &tokens.access_token)?),
            n::access_secret.eq(self.seal(name, "access_secret", &tokens.access_secret)?),
            n::access_token_expiry.eq(tokens.access_token_expiry.map(unix_seconds)),
        );
        let fields = &fields;
        transaction!(self.db, conn => {
            ensure_row!(conn, name);
            diesel::update(n::table.find(name))
                .set(fields.clone())
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    async fn load_config(&self, name: &str) -> Result<Option<Config>, Failure> {
        let row: Option<(bool, Option<String>, Option<i32>)> = with_conn!(self.db, conn => {
            n::table
                .find(name)
                .select((n::config_stored, n::config_base_url, n::config_server_protocol_version))
                .first(conn)
                .await
                .optional()?
        });
        let Some((true, base_url, version)) = row else {
            return Ok(None);
        };
        let server_protocol_version = version
            .map(u32::try_from)
            .transpose()
            .map_err(|_| Failure::Corrupt("dep_names.config_server_protocol_version".into()))?;
        Ok(Some(Config {
            base_url,
            server_protocol_version,
        }))
    }

    async fn save_config(&self, name: &str, config: &Config) -> Result<(), Failure> {
        let version = config
            .server_protocol_version
            .map(i32::try_from)
            .transpose()
            .map_err(|_| Failure::Invalid("a server protocol version above 2^31".into()))?;
        transaction!(self.db, conn => {
            ensure_row!(conn, name);
            diesel::update(n::table.find(name))
                .set((
                    n::config_stored.eq(true),
                    n::config_base_url.eq(config.base_url.as_deref()),
                    n::config_server_protocol_version.eq(version),
                ))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    async fn load_profile(&self, name: &str) -> Result<Option<Stamped>, Failure> {
        let row: Option<(Option<String>, Option<i64>)> = with_conn!(self.db, conn => {
            n::table
                .find(name)
                .select((n::assigner_profile_uuid, n::assigner_profile_uuid_at))
                .first(conn)
                .await
                .optional()?
        });
        Ok(row.and_then(|(value, at)| stamped(value, at)))
    }

    async fn save_profile(&self, name: &str, uuid: &str, at: SystemTime) -> Result<(), Failure> {
        // An empty UUID removes it.
        let (uuid, at) = match uuid {
            "" => (None, None),
            uuid => (Some(uuid), Some(unix_seconds(at))),
        };
        transaction!(self.db, conn => {
            ensure_row!(conn, name);
            diesel::update(n::table.find(name))
                .set((n::assigner_profile_uuid.eq(uuid), n::assigner_profile_uuid_at.eq(at)))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    async fn load_cursor(&self, name: &str) -> Result<Option<Stamped>, Failure> {
        let row: Option<(Option<String>, Option<i64>)> = with_conn!(self.db, conn => {
            n::table
                .find(name)
                .select((n::syncer_cursor, n::syncer_cursor_at))
                .first(conn)
                .await
                .optional()?
        });
        Ok(row.and_then(|(value, at)| stamped(value, at)))
    }

    async fn save_cursor(&self, name: &str, cursor: &str, at: SystemTime) -> Result<(), Failure> {
        // An empty cursor removes it.
        let (cursor, at) = match cursor {
            "" => (None, None),
            cursor => (Some(cursor), Some(unix_seconds(at))),
        };
        transaction!(self.db, conn => {
            ensure_row!(conn, name);
            diesel::update(n::table.find(name))
                .set((n::syncer_cursor.eq(cursor), n::syncer_cursor_at.eq(at)))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    async fn save_staging_pki(&self, name: &str, pair: &KeyPair) -> Result<(), Failure> {
        let key = self.seal(name, "tokenpki_key_pem", &pair.key_pem)?;
        let key = key.as_str();
        transaction!(self.db, conn => {
            ensure_row!(conn, name);
            diesel::update(n::table.find(name))
                .set((
                    n::tokenpki_staging_cert_pem.eq(pair.certificate_pem.as_str()),
                    n::tokenpki_staging_key_pem.eq(key),
                ))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    /// The staging (`current` false) or current key pair of `name`.
    async fn load_pki(&self, name: &str, current: bool) -> Result<KeyPair, Failure> {
        let row: Option<(Option<String>, Option<String>)> = with_conn!(self.db, conn => {
            let query = n::table.find(name);
            if current {
                query
                    .select((n::tokenpki_cert_pem, n::tokenpki_key_pem))
                    .first(conn)
                    .await
                    .optional()?
            } else {
                query
                    .select((n::tokenpki_staging_cert_pem, n::tokenpki_staging_key_pem))
                    .first(conn)
                    .await
                    .optional()?
            }
        });
        let Some((Some(certificate_pem), Some(key))) = row else {
            let which = if current { "current" } else { "staging" };
            return Err(Failure::NotFound(format!(
                "{which} token key pair of {name}"
            )));
        };
        // Both pairs' keys are sealed under one context, so upstaging is a
        // plain column copy.
        Ok(KeyPair {
            certificate_pem,
            key_pem: self.open(name, "tokenpki_key_pem", &key)?,
        })
    }

    async fn upstage(&self, name: &str) -> Result<(), Failure> {
        transaction!(self.db, conn => {
            let staged: Option<Option<String>> = n::table
                .find(name)
                .select(n::tokenpki_staging_cert_pem)
                .first(conn)
                .await
                .optional()?;
            if !matches!(staged, Some(Some(_))) {
                return Err(Failure::NotFound(format!("staging token key pair of {name}")));
            }
            diesel::update(n::table.find(name))
                .set((
                    n::tokenpki_cert_pem.eq(n::tokenpki_staging_cert_pem),
                    n::tokenpki_key_pem.eq(n::tokenpki_staging_key_pem),
                ))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }
}

#[async_trait]
impl AuthTokensStore for DepStore {
    async fn retrieve_auth_tokens(&self, name: &str) -> Result<OAuth1Tokens, StoreError> {
        Ok(self.load_tokens(name).await?)
    }

    async fn store_auth_tokens(&self, name: &str, tokens: &OAuth1Tokens) -> Result<(), StoreError> {
        Ok(self.save_tokens(name, tokens).await?)
    }
}

#[async_trait]
impl ConfigStore for DepStore {
    async fn retrieve_config(&self, name: &str) -> Result<Option<Config>, StoreError> {
        Ok(self.load_config(name).await?)
    }

    async fn store_config(&self, name: &str, config: &Config) -> Result<(), StoreError> {
        Ok(self.save_config(name, config).await?)
    }
}

#[async_trait]
impl AssignerProfileStore for DepStore {
    async fn retrieve_assigner_profile(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        Ok(self.load_profile(name).await?)
    }

    async fn store_assigner_profile(
        &self,
        name: &str,
        profile_uuid: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        Ok(self.save_profile(name, profile_uuid, at).await?)
    }
}

#[async_trait]
impl CursorStore for DepStore {
    async fn retrieve_cursor(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        Ok(self.load_cursor(name).await?)
    }

    async fn store_cursor(
        &self,
        name: &str,
        cursor: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        Ok(self.save_cursor(name, cursor, at).await?)
    }
}

#[async_trait]
impl TokenPkiStore for DepStore {
    async fn store_token_pki(&self, name: &str, pair: &KeyPair) -> Result<(), StoreError> {
        Ok(self.save_staging_pki(name, pair).await?)
    }

    async fn retrieve_staging_token_pki(&self, name: &str) -> Result<KeyPair, StoreError> {
        Ok(self.load_pki(name, false).await?)
    }

    async fn retrieve_current_token_pki(&self, name: &str) -> Result<KeyPair, StoreError> {
        Ok(self.load_pki(name, true).await?)
    }

    async fn upstage_token_pki(&self, name: &str) -> Result<(), StoreError> {
        Ok(self.upstage(name).await?)
    }
}

#[async_trait]
impl AssignmentStore for DepStore {
    async fn store_assignments(
        &self,
        name: &str,
        results: &[DeviceAssignment],
    ) -> Result<(), StoreError> {
        Ok(self.save_assignments(name, results).await?)
    }

    async fn retrieve_assignment(
        &self,
        name: &str,
        serial_number: &str,
    ) -> Result<Option<DeviceAssignment>, StoreError> {
        Ok(self.load_assignment(name, serial_number).await?)
    }

    async fn assignments_due(
        &self,
        name: &str,
        now: SystemTime,
    ) -> Result<Vec<DeviceAssignment>, StoreError> {
        Ok(self.due(name, now).await?)
    }
}
