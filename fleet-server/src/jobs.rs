//! Periodic jobs under database locks: each job runs on the one replica
//! that holds its row in `locks`, and moves to another replica within the
//! lock's time to live when the holder stops renewing (killed, partitioned
//! from the database).
//!
//! Each tick a replica tries to take or renew the job's lock; the holder
//! runs the job. The lock lives [`LOCK_TTL_FACTOR`] intervals, so a holder
//! that misses a tick or two keeps it, and a dead holder's lock is free
//! after that long.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::db::Db;
use crate::server::metrics::Metrics;

/// How many intervals a lock outlives its last renewal.
pub const LOCK_TTL_FACTOR: u32 = 3;

/// The work of a job, one run per call.
pub type JobFn = Arc<
    dyn Fn() -> Pin<
            Box<dyn Future<Output = Result<(), Box<dyn std::error::Error + Send + Sync>>> + Send>,
        > + Send
        + Sync,
>;

/// A named periodic job.
#[derive(Clone)]
pub struct Job {
    /// The job's name, also its lock's name.
    pub name: &'static str,
    /// Time between ticks.
    pub interval: Duration,
    /// What one run does.
    pub run: JobFn,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// A name for this replica in `locks.owner`: host name, process ID and a
/// random suffix (two processes on one host, or a restarted process with a
/// recycled PID, are different owners).
pub fn replica_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let mut random = [0u8; 4];
    // A failing random source only makes IDs less unique; the PID remains.
    let _ = cryptoutil::algorithm::fill_random(&mut random);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("{host}-{}-{suffix}", std::process::id())
}

/// Runs `job` forever (until the task is dropped): every interval, take or
/// renew the lock and run the job when holding it.
pub async fn run(db: Db, owner: String, job: Job, metrics: Arc<Metrics>) {
    let ttl = job.interval.saturating_mul(LOCK_TTL_FACTOR);
    let mut ticker = tokio::time::interval(job.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut leading = false;
    loop {
        ticker.tick().await;
        let held = match db.try_lock(job.name, &owner, ttl, SystemTime::now()).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(job = job.name, error = %crate::error_chain(&e), "cannot take the job lock");
                false
            }
        };
        if held != leading {
            leading = held;
            metrics.job_leader(job.name, held);
            if held {
                tracing::info!(job = job.name, owner, "this replica now runs the job");
            } else {
                tracing::info!(job = job.name, "another replica runs the job");
            }
        }
        if held {
            match (job.run)().await {
                Ok(()) => tracing::debug!(job = job.name, "job ran"),
                Err(e) => {
                    tracing::warn!(job = job.name, error = %crate::error_chain(e.as_ref()), "job failed");
                }
            }
        }
    }
}

/// Gives up `job`'s lock if this replica holds it (graceful shutdown, so
/// another replica takes over at once instead of after the TTL).
pub async fn release(db: &Db, owner: &str, job: &Job) {
    if let Err(e) = db.unlock(job.name, owner).await {
        tracing::warn!(job = job.name, error = %crate::error_chain(&e), "cannot release the job lock");
    }
}
