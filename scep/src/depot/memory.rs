//! An in-memory depot, for tests and embedded use.

use std::sync::Mutex;
use std::time::SystemTime;

use async_trait::async_trait;
use cryptoutil::cert::Certificate;
use cryptoutil::x509_cert::name::Name;

use super::{Depot, Identity, IssuedCertificate, serial_bytes};
use crate::error::BoxError;

/// Serials count up from 2; everything lives in memory.
#[derive(Debug)]
pub struct MemoryDepot {
    ca: Identity,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next_serial: u128,
    issued: Vec<IssuedCertificate>,
}

impl MemoryDepot {
    /// An empty depot for `ca`, whose first serial is 2.
    pub fn new(ca: Identity) -> Self {
        Self {
            ca,
            state: Mutex::new(State {
                next_serial: 2,
                issued: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update is a single push or assignment, so a panic elsewhere
        // cannot leave the state half-changed: recover from poisoning.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Depot for MemoryDepot {
    async fn ca(&self) -> Result<Identity, BoxError> {
        Ok(self.ca.clone())
    }

    async fn next_serial(&self) -> Result<Vec<u8>, BoxError> {
        let mut state = self.lock();
        let serial = state.next_serial;
        state.next_serial += 1;
        Ok(serial_bytes(serial))
    }

    async fn put(&self, certificate: &Certificate) -> Result<(), BoxError> {
        let mut state = self.lock();
        let serial = certificate.tbs_certificate.serial_number.as_bytes();
        if state.issued.iter().any(|i| i.serial() == serial) {
            return Err("a certificate with this serial is already stored".into());
        }
        state.issued.push(IssuedCertificate {
            certificate: certificate.clone(),
            revoked_at: None,
        });
        Ok(())
    }

    async fn revoke(&self, serial: &[u8], at: SystemTime) -> Result<bool, BoxError> {
        let mut state = self.lock();
        Ok(
            match state.issued.iter_mut().find(|i| i.serial() == serial) {
                Some(issued) => {
                    issued.revoked_at.get_or_insert(at);
                    true
                }
                None => false,
            },
        )
    }

    async fn find_by_serial(&self, serial: &[u8]) -> Result<Option<IssuedCertificate>, BoxError> {
        Ok(self
            .lock()
            .issued
            .iter()
            .find(|i| i.serial() == serial)
            .cloned())
    }

    async fn find_by_subject(&self, subject: &Name) -> Result<Vec<IssuedCertificate>, BoxError> {
        let state = self.lock();
        Ok(state
            .issued
            .iter()
            .filter(|i| &i.certificate.tbs_certificate.subject == subject)
            .cloned()
            .collect())
    }

    async fn list(&self) -> Result<Vec<IssuedCertificate>, BoxError> {
        Ok(self.lock().issued.clone())
    }
}
