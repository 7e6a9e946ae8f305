//! An in-memory depot, for tests and embedded use.

use std::sync::Mutex;

use async_trait::async_trait;
use cryptoutil::cert::Certificate;

use super::Depot;
use crate::error::BoxError;

/// Serials count up from 2; issued certificates are kept in memory.
#[derive(Debug)]
pub struct MemoryDepot {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next_serial: u64,
    issued: Vec<Certificate>,
}

impl Default for MemoryDepot {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                next_serial: 2,
                issued: Vec::new(),
            }),
        }
    }
}

impl MemoryDepot {
    /// An empty depot whose first serial is 2.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State inconsistent
        // (each update is one assignment), so recover from poisoning.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Depot for MemoryDepot {
    async fn next_serial(&self) -> Result<Vec<u8>, BoxError> {
        let mut state = self.lock();
        let serial = state.next_serial;
        state.next_serial += 1;
        let bytes = serial.to_be_bytes();
        let first = bytes.iter().position(|b| *b != 0).unwrap_or(7);
        let mut out = bytes[first..].to_vec();
        if out[0] & 0x80 != 0 {
            out.insert(0, 0); // keep the INTEGER positive
        }
        Ok(out)
    }

    async fn put(&self, certificate: &Certificate) -> Result<(), BoxError> {
        self.lock().issued.push(certificate.clone());
        Ok(())
    }

    async fn issued(&self) -> Result<Vec<Certificate>, BoxError> {
        Ok(self.lock().issued.clone())
    }
}
