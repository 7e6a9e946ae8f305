//! Named database locks in Fleet's `locks` table: a periodic job runs on
//! the one replica that holds its lock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::{BoolExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;

use super::{Db, DbError, with_conn};
use crate::schema::locks as l;

/// Milliseconds since the Unix epoch (0 before it, saturating far after).
fn unix_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Db {
    /// Takes or renews the lock `name` for `owner` until `now + ttl`,
    /// returning whether `owner` holds it. After Fleet's
    /// `datastore.Lock`.
    ///
    /// Contract: a lock nobody holds, or whose holder's expiry is at or
    /// before `now`, is taken; the holder renews its own lock; anyone else
    /// gets `false` and changes nothing. Of several owners racing for a
    /// free lock, exactly one gets it. Expiry is judged by the callers'
    /// clocks (`now`), so replicas need roughly synchronised time; keep
    /// `ttl` well above the clock skew.
    pub async fn try_lock(
        &self,
        name: &str,
        owner: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> Result<bool, DbError> {
        let now_ms = unix_millis(now);
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let expires = now_ms.saturating_add(ttl_ms);
        with_conn!(self, conn => {
            // A new lock: the unique name lets exactly one insert win.
            let inserted = diesel::insert_or_ignore_into(l::table)
                .values((l::name.eq(name), l::owner.eq(owner), l::expires_at_ms.eq(expires)))
                .execute(conn)
                .await?;
            if inserted == 1 {
                return Ok(true);
            }
            // Our own (renewal) or an expired one (takeover): one UPDATE,
            // so of two racing takeovers the second sees the first's row.
            diesel::update(
                l::table
                    .find(name)
                    .filter(l::owner.eq(owner).or(l::expires_at_ms.le(now_ms))),
            )
            .set((l::owner.eq(owner), l::expires_at_ms.eq(expires)))
            .execute(conn)
            .await?;
            // Affected-row counts differ between MySQL (changed rows) and
            // SQLite (matched rows), so read back who holds it.
            let holder: Option<(String, i64)> = l::table
                .find(name)
                .select((l::owner, l::expires_at_ms))
                .first(conn)
                .await
                .optional()?;
            Ok(holder.is_some_and(|(o, e)| o == owner && e == expires))
        })
    }

    /// Releases the lock `name` if `owner` holds it (expired or not),
    /// returning whether it did. After Fleet's `datastore.Unlock`.
    pub async fn unlock(&self, name: &str, owner: &str) -> Result<bool, DbError> {
        let deleted = with_conn!(self, conn => {
            diesel::delete(l::table.find(name).filter(l::owner.eq(owner)))
                .execute(conn)
                .await?
        });
        Ok(deleted == 1)
    }
}
