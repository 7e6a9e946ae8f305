//! Whether an identity's certificate is trusted: issued by a configured CA
//! and valid at the time of the request.

use std::time::SystemTime;

use cryptoutil::cert::{self, Certificate};

use super::ClientIdentity;
use crate::IdentityError;

/// The CA certificates that may issue device identities (nanomdm's `-ca`).
///
/// A certificate is trusted when one of the CAs signed it directly and both
/// it and that CA are valid at the time of the request. Intermediates are
/// not chained through: configure the CA that issues device certificates.
/// An empty store trusts nothing; a caller that does not check issuers
/// must say so with [`TrustStore::accept_any`].
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    cas: Vec<Certificate>,
    any_issuer: bool,
}

impl TrustStore {
    /// A store trusting certificates issued by `cas`.
    pub fn new(cas: impl IntoIterator<Item = Certificate>) -> Self {
        Self {
            cas: cas.into_iter().collect(),
            any_issuer: false,
        }
    }

    /// A store that accepts any issuer (still checking validity), for tests
    /// and migrations only: it lets any self-made certificate speak for a
    /// device, so certauth is the only remaining guard.
    pub fn accept_any() -> Self {
        Self {
            cas: Vec::new(),
            any_issuer: true,
        }
    }

    /// The configured CA certificates.
    pub fn certificates(&self) -> &[Certificate] {
        &self.cas
    }

    /// Whether the identity's certificate is issued by a configured CA (any
    /// issuer for [`TrustStore::accept_any`]) and, like that CA, valid at
    /// `now`.
    ///
    /// # Errors
    ///
    /// [`IdentityError::UntrustedIssuer`] when no configured CA signed the
    /// certificate (always, for an empty store); [`IdentityError::Expired`]
    /// when it, or every CA that signed it, is outside its validity at `now`.
    pub fn verify(&self, identity: &ClientIdentity, now: SystemTime) -> Result<(), IdentityError> {
        let certificate = identity.certificate();
        if self.any_issuer {
            return valid_at(certificate, now);
        }
        let mut issuers = self
            .cas
            .iter()
            .filter(|ca| cert::verify_issued_by(certificate, ca).is_ok())
            .peekable();
        if issuers.peek().is_none() {
            return Err(IdentityError::UntrustedIssuer);
        }
        valid_at(certificate, now)?;
        if issuers.any(|ca| cert::is_valid_at(ca, now)) {
            Ok(())
        } else {
            Err(IdentityError::Expired)
        }
    }
}

/// [`IdentityError::Expired`] unless `certificate` is valid at `now`.
fn valid_at(certificate: &Certificate, now: SystemTime) -> Result<(), IdentityError> {
    if cert::is_valid_at(certificate, now) {
        Ok(())
    } else {
        Err(IdentityError::Expired)
    }
}
