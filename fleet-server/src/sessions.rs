//! Login sessions (Fleet's `sessions` table). A session is found by the
//! SHA-256 of its bearer token: the database holds no live token.
//!
//! Expiry is sliding, as in Fleet: a session ends once it has not been used
//! for the configured TTL. Each use moves `accessed_at`, at most once a
//! minute so that reads do not all become writes.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use time::PrimitiveDateTime;

use crate::db::{Db, DbError, with_conn};
use crate::schema::sessions as s;
use crate::users::db_time;

/// Bytes of randomness in a session token (Fleet uses 32 as well).
const TOKEN_BYTES: usize = 32;

/// How stale `accessed_at` may get before a use writes it again.
const ACCESS_WRITE_INTERVAL: Duration = Duration::from_secs(60);

/// Why a session could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SessionError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// A bearer token as handed to the client once. Not `Debug`-printable.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    /// A fresh token: 32 random bytes from the system generator, standard
    /// base64 (as Fleet's are).
    pub fn generate() -> Result<Self, SessionError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SessionError::Random)?;
        Ok(Self(STANDARD.encode(bytes)))
    }

    /// The token text, for the response that hands it out.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// The hex SHA-256 of a token, as stored in `sessions.key_sha256`.
pub(crate) fn token_hash(token: &str) -> String {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A live session found by its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// The session's id.
    pub id: i64,
    /// Whose session it is.
    pub user_id: i64,
}

impl Db {
    /// Starts a session for `user_id` and returns its token.
    pub async fn create_session(
        &self,
        user_id: i64,
        now: SystemTime,
    ) -> Result<SessionToken, SessionError> {
        let token = SessionToken::generate()?;
        let key = token_hash(token.expose());
        let at = db_time(now);
        with_conn!(self, conn => {
            diesel::insert_into(s::table)
                .values((
                    s::user_id.eq(user_id),
                    s::key_sha256.eq(&key),
                    s::created_at.eq(at),
                    s::accessed_at.eq(at),
                ))
                .execute(conn)
                .await?;
        });
        Ok(token)
    }

    /// The session `token` opens, if it exists and was used within `ttl`
    /// of `now`. An expired session is deleted; a live one is marked used.
    pub async fn find_session(
        &self,
        token: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<Option<Session>, DbError> {
        let key = token_hash(token);
        let row: Option<(i64, i64, PrimitiveDateTime)> = with_conn!(self, conn => {
            s::table
                .filter(s::key_sha256.eq(&key))
                .select((s::id, s::user_id, s::accessed_at))
                .first(conn)
                .await
                .optional()?
        });
        let Some((id, user_id, accessed_at)) = row else {
            return Ok(None);
        };
        let idle = db_time(now) - accessed_at;
        if idle >= ttl {
            self.delete_session(id).await?;
            return Ok(None);
        }
        if idle >= ACCESS_WRITE_INTERVAL {
            let at = db_time(now);
            with_conn!(self, conn => {
                diesel::update(s::table.find(id)).set(s::accessed_at.eq(at)).execute(conn).await?;
            });
        }
        Ok(Some(Session { id, user_id }))
    }

    /// Ends session `id` (logout). Ending one that is gone is not an error.
    pub async fn delete_session(&self, id: i64) -> Result<(), DbError> {
        with_conn!(self, conn => {
            diesel::delete(s::table.find(id)).execute(conn).await?;
        });
        Ok(())
    }

    /// Deletes every session unused for `ttl` before `now`, returning how
    /// many. Lookups already refuse (and delete) such sessions; this keeps
    /// the table small and is meant for a periodic job.
    pub async fn delete_expired_sessions(
        &self,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<usize, DbError> {
        let cutoff = db_time(now.checked_sub(ttl).unwrap_or(std::time::UNIX_EPOCH));
        Ok(with_conn!(self, conn => {
            diesel::delete(s::table.filter(s::accessed_at.le(cutoff))).execute(conn).await?
        }))
    }

    /// Ends every session of `user_id`.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<(), DbError> {
        with_conn!(self, conn => {
            diesel::delete(s::table.filter(s::user_id.eq(user_id))).execute(conn).await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_their_hash_is_hex_sha256() {
        let a = SessionToken::generate().unwrap();
        let b = SessionToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(a.expose()).unwrap().len(), TOKEN_BYTES);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_token_does_not_show_in_debug_output() {
        let token = SessionToken::generate().unwrap();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
