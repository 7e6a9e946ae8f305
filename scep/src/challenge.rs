//! Challenge passwords: a static secret, one-time dynamic challenges, and
//! the [`ChallengeVerifier`] trait through which an embedding server can
//! decide itself (an HTTP webhook, a database lookup).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cryptoutil::csr::Csr;

use crate::error::BoxError;

/// Decides whether the challenge password of a CSR admits the request.
#[async_trait]
pub trait ChallengeVerifier: Send + Sync + Debug {
    /// Whether `challenge` admits `csr` at `now`. A one-time challenge is
    /// consumed by a successful verification.
    async fn verify(&self, challenge: &str, csr: &Csr, now: SystemTime) -> Result<bool, BoxError>;
}

/// One shared secret, compared in constant time.
#[derive(Clone)]
pub struct StaticChallenge {
    secret: String,
}

impl Debug for StaticChallenge {
    // The secret never reaches logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticChallenge(..)")
    }
}

impl StaticChallenge {
    /// A verifier accepting exactly `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
        }
    }
}

#[async_trait]
impl ChallengeVerifier for StaticChallenge {
    async fn verify(&self, challenge: &str, _: &Csr, _: SystemTime) -> Result<bool, BoxError> {
        Ok(constant_time_eq(
            challenge.as_bytes(),
            self.secret.as_bytes(),
        ))
    }
}

/// Compares secrets without an early exit on the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Storage of one-time challenges. Ported from micromdm/scep's
/// `challenge.Store`, with an expiry.
///
/// Contract:
/// - a challenge `put` with an expiry after `now` is consumed once:
///   `consume` returns true the first time and false afterwards, also when
///   several consumers race;
/// - `consume` of an expired or unknown challenge returns false;
/// - `consume` removes expired challenges it meets, so storage does not grow
///   without bound.
#[async_trait]
pub trait ChallengeStore: Send + Sync + Debug {
    /// Stores `challenge`, valid until `expires_at`.
    async fn put(&self, challenge: &str, expires_at: SystemTime) -> Result<(), BoxError>;

    /// Atomically removes `challenge` and says whether it was live at `now`.
    async fn consume(&self, challenge: &str, now: SystemTime) -> Result<bool, BoxError>;
}

/// An in-memory [`ChallengeStore`].
#[derive(Debug, Default)]
pub struct MemoryChallengeStore {
    challenges: Mutex<HashMap<String, SystemTime>>,
}

impl MemoryChallengeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ChallengeStore for MemoryChallengeStore {
    async fn put(&self, challenge: &str, expires_at: SystemTime) -> Result<(), BoxError> {
        let mut map = self.challenges.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(challenge.to_owned(), expires_at);
        Ok(())
    }

    async fn consume(&self, challenge: &str, now: SystemTime) -> Result<bool, BoxError> {
        let mut map = self.challenges.lock().unwrap_or_else(|e| e.into_inner());
        let live = map.remove(challenge).is_some_and(|expires| expires > now);
        map.retain(|_, expires| *expires > now);
        Ok(live)
    }
}

/// One-time challenges handed out by the server (for example in each
/// enrollment profile) and consumed by the enrollment that uses them.
#[derive(Debug, Clone)]
pub struct DynamicChallenges {
    store: Arc<dyn ChallengeStore>,
    lifetime: Duration,
}

impl DynamicChallenges {
    /// Challenges kept in `store`, each valid for `lifetime`.
    pub fn new(store: Arc<dyn ChallengeStore>, lifetime: Duration) -> Self {
        Self { store, lifetime }
    }

    /// Creates and stores a new challenge: 24 random bytes in standard
    /// base64 (32 characters), as micromdm makes them.
    pub async fn issue(&self, now: SystemTime) -> Result<String, BoxError> {
        let mut bytes = [0u8; 24];
        cryptoutil::algorithm::fill_random(&mut bytes)?;
        let challenge = STANDARD.encode(bytes);
        self.store.put(&challenge, now + self.lifetime).await?;
        Ok(challenge)
    }
}

#[async_trait]
impl ChallengeVerifier for DynamicChallenges {
    async fn verify(&self, challenge: &str, _: &Csr, now: SystemTime) -> Result<bool, BoxError> {
        if challenge.is_empty() {
            return Ok(false);
        }
        self.store.consume(challenge, now).await
    }
}
