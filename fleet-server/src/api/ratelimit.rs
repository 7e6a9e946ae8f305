//! An in-process fixed-window rate limiter (login attempts). Each replica
//! counts on its own, so with N replicas behind a load balancer a client
//! gets up to N times the limit.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Keys tracked before expired windows are swept out.
const SWEEP_AT: usize = 10_000;

/// Counts attempts per key in fixed windows.
#[derive(Debug)]
pub(super) struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (SystemTime, u32)>>,
}

impl RateLimiter {
    /// `limit` attempts per key per `window`.
    pub(super) fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for every key in `keys` at `now`; `Err(seconds)`
    /// (when to retry) if any of them is over the limit.
    pub(super) fn attempt(&self, keys: &[String], now: SystemTime) -> Result<(), u64> {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| !self.expired(*start, now));
        }
        let mut retry = None;
        for key in keys {
            let entry = windows.entry(key.clone()).or_insert((now, 0));
            if self.expired(entry.0, now) {
                *entry = (now, 0);
            }
            entry.1 = entry.1.saturating_add(1);
            if entry.1 > self.limit {
                let end = entry.0 + self.window;
                let secs = end.duration_since(now).map_or(1, |d| d.as_secs().max(1));
                retry = Some(retry.map_or(secs, |r: u64| r.max(secs)));
            }
        }
        retry.map_or(Ok(()), Err)
    }

    fn expired(&self, start: SystemTime, now: SystemTime) -> bool {
        now.duration_since(start).is_ok_and(|d| d >= self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_key_until_the_window_ends() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let a = ["email:a".to_owned()];
        assert_eq!(limiter.attempt(&a, t0), Ok(()));
        assert_eq!(limiter.attempt(&a, t0), Ok(()));
        assert_eq!(limiter.attempt(&a, t0 + Duration::from_secs(15)), Err(45));
        assert_eq!(limiter.attempt(&["email:b".to_owned()], t0), Ok(()));
        assert_eq!(limiter.attempt(&a, t0 + Duration::from_secs(60)), Ok(()));
    }
}
