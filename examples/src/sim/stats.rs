//! Counters and request latencies of a run, shared by every device.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a run counted: MDM requests with their latencies, and command
/// answers by status.
#[derive(Debug, Default)]
pub struct Stats {
    latencies: Mutex<Vec<Duration>>,
    acknowledged: AtomicU64,
    not_now: AtomicU64,
    error: AtomicU64,
}

impl Stats {
    /// Records one MDM request (check-in or command report) that took
    /// `elapsed`, connection to last byte.
    pub fn record_request(&self, elapsed: Duration) {
        self.latencies
            .lock()
            .expect("no thread panics while holding the lock")
            .push(elapsed);
    }

    /// Records one command answered with `status` (`Acknowledged`,
    /// `NotNow` or `Error`; other statuses are not counted).
    pub fn record_answer(&self, status: &str) {
        let counter = match status {
            "Acknowledged" => &self.acknowledged,
            "NotNow" => &self.not_now,
            "Error" => &self.error,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The number of MDM requests recorded so far.
    pub fn requests(&self) -> usize {
        self.latencies
            .lock()
            .expect("no thread panics while holding the lock")
            .len()
    }

    /// Commands answered so far: (Acknowledged, NotNow, Error).
    pub fn answers(&self) -> (u64, u64, u64) {
        (
            self.acknowledged.load(Ordering::Relaxed),
            self.not_now.load(Ordering::Relaxed),
            self.error.load(Ordering::Relaxed),
        )
    }

    /// Latency percentiles of the requests recorded since the
    /// `from`-th one (0 for all), or `None` when there are none.
    pub fn latency_since(&self, from: usize) -> Option<Latency> {
        Latency::of(&mut self.latencies_since(from))
    }

    /// The latencies of the requests recorded since the `from`-th one, in
    /// the order they completed.
    pub fn latencies_since(&self, from: usize) -> Vec<Duration> {
        self.latencies
            .lock()
            .expect("no thread panics while holding the lock")
            .get(from..)
            .map(<[Duration]>::to_vec)
            .unwrap_or_default()
    }
}

/// Latency percentiles of a set of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Latency {
    /// The percentiles of `sample` (sorted in place), `None` when empty.
    /// Nearest-rank: the p-th percentile is the smallest value with at
    /// least p % of the sample at or below it.
    pub fn of(sample: &mut [Duration]) -> Option<Self> {
        if sample.is_empty() {
            return None;
        }
        sample.sort_unstable();
        let rank = |p: usize| {
            let index = (sample.len() * p).div_ceil(100).max(1) - 1;
            sample[index]
        };
        Some(Self {
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: rank(100),
        })
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut sample: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let latency = Latency::of(&mut sample).unwrap();
        assert_eq!(latency.p50, Duration::from_millis(50));
        assert_eq!(latency.p90, Duration::from_millis(90));
        assert_eq!(latency.p99, Duration::from_millis(99));
        assert_eq!(latency.max, Duration::from_millis(100));
    }

    #[test]
    fn one_request_is_every_percentile_and_none_is_no_latency() {
        let mut one = vec![Duration::from_millis(7)];
        let latency = Latency::of(&mut one).unwrap();
        assert_eq!(latency.p50, latency.max);
        assert_eq!(Latency::of(&mut []), None);
    }
}
