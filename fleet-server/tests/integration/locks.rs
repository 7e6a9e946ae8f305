//! `Db::try_lock` / `Db::unlock` on the `locks` table, on SQLite and MySQL.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fleet_server::db::Db;

/// A fixed clock: `s` seconds after an arbitrary epoch.
fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000 + s)
}

const TTL: Duration = Duration::from_secs(60);

/// One owner holds a lock until it expires or is released; renewals by the
/// holder extend it; anyone else is refused meanwhile.
async fn two_owners_never_hold_the_lock_at_once(db: &Db) {
    let lock = |owner: &'static str, now| db.try_lock("dep_syncer", owner, TTL, now);
    assert!(
        lock("replica-a", at(0)).await.unwrap(),
        "a free lock is taken"
    );
    assert!(
        !lock("replica-b", at(1)).await.unwrap(),
        "held by a: b is refused"
    );
    assert!(
        lock("replica-a", at(30)).await.unwrap(),
        "the holder renews"
    );
    assert!(
        !lock("replica-b", at(61)).await.unwrap(),
        "the renewal moved the expiry to 90"
    );
    assert!(
        !db.unlock("dep_syncer", "replica-b").await.unwrap(),
        "only the holder unlocks"
    );
    assert!(!lock("replica-b", at(89)).await.unwrap());
    assert!(
        lock("replica-b", at(90)).await.unwrap(),
        "an expired lock is taken over"
    );
    assert!(
        !lock("replica-a", at(91)).await.unwrap(),
        "the old holder lost it"
    );
    assert!(db.unlock("dep_syncer", "replica-b").await.unwrap());
    assert!(
        lock("replica-a", at(92)).await.unwrap(),
        "a released lock is free"
    );
    assert!(
        db.try_lock("other_job", "replica-b", TTL, at(92))
            .await
            .unwrap(),
        "locks are independent by name"
    );
}

/// Owners racing for a free lock (each with its own connection): exactly
/// one wins.
async fn of_owners_racing_for_a_free_lock_exactly_one_wins(db: &Db) {
    let tries = (0..8).map(|i| {
        let db = db.clone();
        tokio::spawn(async move {
            let owner = format!("replica-{i}");
            db.try_lock("cleanup", &owner, TTL, at(0)).await.unwrap()
        })
    });
    let mut winners = 0;
    for task in tries.collect::<Vec<_>>() {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}

#[tokio::test]
async fn sqlite_two_owners_never_hold_the_lock_at_once() {
    let (db, _dir) = crate::sqlite_db().await;
    two_owners_never_hold_the_lock_at_once(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_of_owners_racing_for_a_free_lock_exactly_one_wins() {
    let (db, _dir) = crate::sqlite_db().await;
    of_owners_racing_for_a_free_lock_exactly_one_wins(&db).await;
}

#[tokio::test]
async fn mysql_two_owners_never_hold_the_lock_at_once() {
    let Some((db, _test_db)) = crate::mysql_db("locks_two_owners").await else {
        return;
    };
    two_owners_never_hold_the_lock_at_once(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_of_owners_racing_for_a_free_lock_exactly_one_wins() {
    let Some((db, _test_db)) = crate::mysql_db("locks_racing").await else {
        return;
    };
    of_owners_racing_for_a_free_lock_exactly_one_wins(&db).await;
}
