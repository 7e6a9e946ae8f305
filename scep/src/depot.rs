//! Where a SCEP CA keeps its serial numbers and issued certificates.
//! Ported from micromdm/scep's `depot.Depot` (the CA key itself is given
//! to the service, not read from the depot: servers load it from their
//! own secret store).

use std::fmt::Debug;

use async_trait::async_trait;
use cryptoutil::cert::Certificate;

use crate::error::BoxError;

pub mod memory;

pub use memory::MemoryDepot;

/// Serial numbers and issued certificates of one CA.
///
/// Contract:
/// - `next_serial` never returns the same serial twice, also under
///   concurrent calls, and never returns serial 1 (the CA's own);
/// - a certificate passed to `put` is returned by `issued` afterwards;
/// - `issued` lists certificates in the order they were put.
#[async_trait]
pub trait Depot: Send + Sync + Debug {
    /// Allocates the next serial number (big-endian, positive).
    async fn next_serial(&self) -> Result<Vec<u8>, BoxError>;

    /// Records an issued certificate.
    async fn put(&self, certificate: &Certificate) -> Result<(), BoxError>;

    /// Every certificate issued so far, oldest first.
    async fn issued(&self) -> Result<Vec<Certificate>, BoxError>;
}
