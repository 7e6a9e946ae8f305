//! certauth: binding device identity certificates to enrollments.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Reply, Request, Service, ServiceError};
use crate::protocol::checkin::{Checkin, CheckinMessage};
use crate::protocol::command::Report;
use crate::protocol::enrollment::{Channel, EnrollmentId};
use crate::store::{CertAuthStore, QueuedCommand, StoreError};

/// Why certauth refused a request. Port of Go certauth's errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertAuthError {
    /// The request carries no identity certificate.
    #[error("missing MDM certificate")]
    MissingCertificate,
    /// The certificate is already associated with another enrollment, or
    /// (retroactive mode) the enrollment already has another certificate.
    #[error("cert re-use not permitted for enrollment {0}")]
    CertReuse(EnrollmentId),
    /// The certificate is not associated with this enrollment (the
    /// impersonation case: another device's valid certificate).
    #[error("enrollment {0} not associated with cert")]
    NotAssociated(EnrollmentId),
}

/// certauth's settings. Port of Go certauth's options, all of which are
/// settable here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertAuthOptions {
    /// Associate an unseen certificate with an enrollment that has none on
    /// any message, not only Authenticate: for devices migrated from another
    /// server, which never re-Authenticate (nanomdm's `-retro`).
    pub allow_retroactive: bool,
    /// Let one certificate speak for several enrollments (a certificate
    /// embedded in a profile shared by many devices).
    pub allow_duplicates: bool,
    /// Log refusals but let the request through (for rolling certauth out
    /// on an existing fleet).
    pub warn_only: bool,
}

impl CertAuthOptions {
    /// Enables retroactive association.
    #[must_use]
    pub fn allow_retroactive(mut self, allow: bool) -> Self {
        self.allow_retroactive = allow;
        self
    }

    /// Enables certificate re-use across enrollments.
    #[must_use]
    pub fn allow_duplicates(mut self, allow: bool) -> Self {
        self.allow_duplicates = allow;
        self
    }

    /// Makes refusals warnings only.
    #[must_use]
    pub fn warn_only(mut self, warn: bool) -> Self {
        self.warn_only = warn;
        self
    }
}

/// The certauth decorator. Port of Go `service/certauth`.
///
/// On Authenticate it associates the identity certificate's SHA-256 with
/// the device channel, refusing a certificate already associated with
/// another enrollment; on every other check-in and report it requires that
/// association. A user channel is checked against its device channel.
/// Refusals become [`ServiceError::CertAuth`] before the inner service runs,
/// so nothing is stored for a refused request.
#[derive(Debug, Clone)]
pub struct CertAuth<S> {
    next: S,
    store: Arc<dyn CertAuthStore>,
    options: CertAuthOptions,
}

impl<S: Service> CertAuth<S> {
    /// Wraps `next`, keeping associations in `store`.
    pub fn new(next: S, store: Arc<dyn CertAuthStore>, options: CertAuthOptions) -> Self {
        Self {
            next,
            store,
            options,
        }
    }

    /// The certificate hash of the request, or the missing-certificate
    /// refusal.
    fn hash(request: &Request) -> Result<&str, CertAuthError> {
        request
            .identity
            .as_ref()
            .map(|identity| identity.fingerprint())
            .ok_or(CertAuthError::MissingCertificate)
    }

    /// Port of Go `validateAssociateNewEnrollment`.
    async fn associate_new(&self, request: &Request, id: &EnrollmentId) -> Result<(), CheckError> {
        let hash = Self::hash(request)?;
        let store = &self.store;
        if !self.options.allow_duplicates && store.has_cert_hash(hash).await? {
            if store.is_cert_hash_associated(id, hash).await? {
                return Ok(());
            }
            return Err(CertAuthError::CertReuse(id.clone()).into());
        }
        if !store.is_cert_hash_associated(id, hash).await? {
            store.associate_cert_hash(id, hash).await?;
        }
        Ok(())
    }

    /// Port of Go `validateExistingEnrollment` (with its retroactive
    /// branch).
    async fn validate_existing(
        &self,
        request: &Request,
        id: &EnrollmentId,
    ) -> Result<(), CheckError> {
        let hash = Self::hash(request)?;
        let store = &self.store;
        if store.is_cert_hash_associated(id, hash).await? {
            return Ok(());
        }
        if !self.options.allow_retroactive {
            return Err(CertAuthError::NotAssociated(id.clone()).into());
        }
        if store.enrollment_has_cert_hash(id).await? {
            return Err(CertAuthError::CertReuse(id.clone()).into());
        }
        if !self.options.allow_duplicates && store.has_cert_hash(hash).await? {
            return Err(CertAuthError::CertReuse(id.clone()).into());
        }
        store.associate_cert_hash(id, hash).await?;
        Ok(())
    }

    /// Applies `warn_only` to a check's outcome.
    fn enforce(
        &self,
        channel: &Channel,
        outcome: Result<(), CheckError>,
    ) -> Result<(), ServiceError> {
        match outcome {
            Ok(()) => Ok(()),
            Err(CheckError::Store(e)) => Err(e.into()),
            Err(CheckError::Refused(e)) if self.options.warn_only => {
                tracing::warn!(enrollment = %channel.id, "certauth (warn only): {e}");
                Ok(())
            }
            Err(CheckError::Refused(e)) => {
                tracing::warn!(enrollment = %channel.id, "certauth refused: {e}");
                Err(e.into())
            }
        }
    }
}

/// A certauth check either refuses or fails on storage.
enum CheckError {
    Refused(CertAuthError),
    Store(StoreError),
}

impl From<CertAuthError> for CheckError {
    fn from(e: CertAuthError) -> Self {
        Self::Refused(e)
    }
}

impl From<StoreError> for CheckError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

#[async_trait]
impl<S: Service> Service for CertAuth<S> {
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<Reply, ServiceError> {
        let channel = &checkin.channel;
        let device = channel.device_id();
        let outcome = match checkin.message {
            CheckinMessage::Authenticate(_) => self.associate_new(request, device).await,
            _ => self.validate_existing(request, device).await,
        };
        self.enforce(channel, outcome)?;
        self.next.checkin(request, checkin).await
    }

    async fn report(
        &self,
        request: &Request,
        report: &Report,
    ) -> Result<Option<QueuedCommand>, ServiceError> {
        let channel = &report.channel;
        let outcome = self.validate_existing(request, channel.device_id()).await;
        self.enforce(channel, outcome)?;
        self.next.report(request, report).await
    }
}
