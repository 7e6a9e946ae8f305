//! Where a SCEP CA keeps its identity, serial numbers and issued
//! certificates. Ported from micromdm/scep's `depot.Depot`, with its
//! `HasCN` split into lookups so the issuing policy stays pure.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use cryptoutil::PrivateKey;
use cryptoutil::cert::Certificate;
use cryptoutil::x509_cert::name::Name;

use crate::error::BoxError;

pub mod file;
pub mod memory;

pub use file::FileDepot;
pub use memory::MemoryDepot;

/// A certificate and the key that goes with it (a CA, or an RA).
#[derive(Debug, Clone)]
pub struct Identity {
    /// The certificate.
    pub certificate: Certificate,
    /// Its private key (possibly held by an HSM or KMS).
    pub key: Arc<dyn PrivateKey>,
}

/// A certificate the CA issued, and whether it was revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The certificate.
    pub certificate: Certificate,
    /// When it was revoked; `None` while it is valid.
    pub revoked_at: Option<SystemTime>,
}

impl IssuedCertificate {
    /// The serial number's big-endian bytes.
    pub fn serial(&self) -> &[u8] {
        self.certificate.tbs_certificate.serial_number.as_bytes()
    }
}

/// Storage of one CA.
///
/// Contract (checked for every implementation by the conformance suite
/// behind the `testing` feature):
/// - `ca` returns the same identity on every call;
/// - `next_serial` never returns the same serial twice, also under
///   concurrent calls and across restarts of a persistent depot, never
///   returns the CA's own serial (1), and returns positive big-endian bytes
///   without superfluous leading zeros;
/// - a certificate passed to `put` is returned, not revoked, by
///   `find_by_serial`, by `find_by_subject` with its exact subject, and by
///   `list`;
/// - `list` returns certificates in the order they were put;
/// - `find_by_subject` matches the whole subject, never a suffix of it;
/// - `revoke` marks a stored certificate revoked at the given time and
///   returns true, returns false for an unknown serial, and revoking twice
///   keeps the first time;
/// - `put` of a serial already stored is an error and changes nothing.
#[async_trait]
pub trait Depot: Send + Sync + Debug {
    /// The issuing CA's certificate and key.
    async fn ca(&self) -> Result<Identity, BoxError>;

    /// Allocates the next serial number.
    async fn next_serial(&self) -> Result<Vec<u8>, BoxError>;

    /// Records an issued certificate.
    async fn put(&self, certificate: &Certificate) -> Result<(), BoxError>;

    /// Marks the certificate with `serial` revoked at `at`.
    async fn revoke(&self, serial: &[u8], at: SystemTime) -> Result<bool, BoxError>;

    /// The certificate with `serial`, if this CA issued it.
    async fn find_by_serial(&self, serial: &[u8]) -> Result<Option<IssuedCertificate>, BoxError>;

    /// Every certificate issued with exactly `subject`, oldest first.
    async fn find_by_subject(&self, subject: &Name) -> Result<Vec<IssuedCertificate>, BoxError>;

    /// Every certificate issued so far, oldest first.
    async fn list(&self) -> Result<Vec<IssuedCertificate>, BoxError>;
}

/// Encodes `n` as the minimal positive big-endian INTEGER contents.
pub fn serial_bytes(n: u128) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut out = bytes[first..].to_vec();
    if out[0] & 0x80 != 0 {
        out.insert(0, 0);
    }
    out
}
