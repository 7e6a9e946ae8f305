//! Push certificates (`nano_push_certs`) and certauth associations
//! (`nano_cert_auth_associations`).

use diesel::dsl::exists;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::store::PushCert;

use super::NanomdmStore;
use crate::db::{transaction, with_conn};
use crate::schema::{nano_cert_auth_associations as a, nano_push_certs as p};
use crate::secret::{SecretError, is_sealed};
use crate::store::Failure;

/// The associated data push certificate keys are sealed with.
const KEY_CONTEXT: &str = "nano_push_certs.key_pem";

/// A certificate hash as stored: lowercase, so lookups ignore case.
fn normalise(hash: &str) -> String {
    hash.to_ascii_lowercase()
}

/// A stale token as handed out (stored as a signed BIGINT).
fn token(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

impl NanomdmStore {
    pub(super) async fn save_push_cert(&self, cert: &PushCert) -> Result<u64, Failure> {
        let topic = cert.topic.as_str();
        let key_pem = &self.seal_key(&cert.key_pem)?;
        let stored: i64 = transaction!(self.db, conn => {
            let earlier: Option<i64> = p::table
                .find(topic)
                .select(p::stale_token)
                .first(conn)
                .await
                .optional()?;
            // Any change of token tells holders of the old one to reload.
            let next = earlier.map_or(1, |t| t.wrapping_add(1));
            if earlier.is_some() {
                diesel::update(p::table.find(topic))
                    .set((
                        p::cert_pem.eq(&cert.cert_pem),
                        p::key_pem.eq(key_pem),
                        p::stale_token.eq(next),
                    ))
                    .execute(conn)
                    .await?;
            } else {
                diesel::insert_into(p::table)
                    .values((
                        p::topic.eq(topic),
                        p::cert_pem.eq(&cert.cert_pem),
                        p::key_pem.eq(key_pem),
                        p::stale_token.eq(next),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok::<_, Failure>(next)
        })?;
        Ok(token(stored))
    }

    pub(super) async fn load_push_cert(
        &self,
        topic: &str,
    ) -> Result<Option<(PushCert, u64)>, Failure> {
        let row: Option<(String, String, i64)> = with_conn!(self.db, conn => {
            p::table
                .find(topic)
                .select((p::cert_pem, p::key_pem, p::stale_token))
                .first(conn)
                .await
                .optional()?
        });
        let Some((cert_pem, key_pem, stale)) = row else {
            return Ok(None);
        };
        let cert = PushCert {
            topic: topic.to_owned(),
            cert_pem,
            key_pem: self.open_key(&key_pem)?,
        };
        Ok(Some((cert, token(stale))))
    }

    /// `key_pem` as `nano_push_certs.key_pem` stores it: sealed when the
    /// store has a cipher.
    fn seal_key(&self, key_pem: &str) -> Result<String, Failure> {
        Ok(match &self.cipher {
            Some(cipher) => cipher.seal(KEY_CONTEXT, key_pem.as_bytes())?,
            None => key_pem.to_owned(),
        })
    }

    /// The PEM key of a stored `nano_push_certs.key_pem`. A sealed key
    /// without a cipher is an error, never handed out as a PEM.
    fn open_key(&self, stored: &str) -> Result<String, Failure> {
        match &self.cipher {
            Some(cipher) => Ok(cipher.open_text(KEY_CONTEXT, stored)?),
            None if is_sealed(stored) => Err(SecretError::NoKey.into()),
            None => Ok(stored.to_owned()),
        }
    }

    pub(super) async fn push_cert_stale(&self, topic: &str, held: u64) -> Result<bool, Failure> {
        let stored: Option<i64> = with_conn!(self.db, conn => {
            p::table
                .find(topic)
                .select(p::stale_token)
                .first(conn)
                .await
                .optional()?
        });
        // No certificate at all: whatever the caller holds is outdated.
        Ok(stored.is_none_or(|t| token(t) != held))
    }

    pub(super) async fn hash_known(&self, hash: &str) -> Result<bool, Failure> {
        let hash = normalise(hash);
        Ok(with_conn!(self.db, conn => {
            diesel::select(exists(a::table.filter(a::sha256.eq(&hash))))
                .get_result(conn)
                .await?
        }))
    }

    pub(super) async fn id_has_hash(&self, id: &EnrollmentId) -> Result<bool, Failure> {
        Ok(with_conn!(self.db, conn => {
            diesel::select(exists(a::table.filter(a::id.eq(id.as_str()))))
                .get_result(conn)
                .await?
        }))
    }

    pub(super) async fn pair_known(&self, id: &EnrollmentId, hash: &str) -> Result<bool, Failure> {
        let hash = normalise(hash);
        Ok(with_conn!(self.db, conn => {
            diesel::select(exists(a::table.find((id.as_str(), &hash))))
                .get_result(conn)
                .await?
        }))
    }

    pub(super) async fn associate(&self, id: &EnrollmentId, hash: &str) -> Result<(), Failure> {
        let hash = normalise(hash);
        // Earlier associations stay (nanomdm's SQL store keeps them all);
        // associating a known pair again changes nothing.
        with_conn!(self.db, conn => {
            diesel::insert_or_ignore_into(a::table)
                .values((a::id.eq(id.as_str()), a::sha256.eq(&hash)))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    pub(super) async fn id_of_hash(&self, hash: &str) -> Result<Option<EnrollmentId>, Failure> {
        let hash = normalise(hash);
        let id: Option<String> = with_conn!(self.db, conn => {
            // Several IDs share a hash only if certauth allowed reuse; the
            // first associated answers.
            a::table
                .filter(a::sha256.eq(&hash))
                .order((a::created_at.asc(), a::id.asc()))
                .select(a::id)
                .first(conn)
                .await
                .optional()?
        });
        Ok(id.map(EnrollmentId::new))
    }
}
