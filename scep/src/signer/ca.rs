//! The CA's own issuing policy (micromdm's `depot.Signer`, with its bugs
//! fixed: renewal only for certificates this CA issued, whole-subject
//! matching, SHA-256 signatures).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cryptoutil::cert::{
    self, Certificate, CertificateProfile, ID_KP_CLIENT_AUTH, Issuer, KeyUsage,
};
use cryptoutil::const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;

use super::{CsrSigner, Decision, SignRequest};
use crate::depot::{Depot, Identity};
use crate::error::BoxError;
use crate::message::{FailInfo, MessageType};

/// What to do when a valid certificate with the same subject exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateSubjects {
    /// Issue anyway (Apple devices use a fresh random CN per enrollment).
    Allow,
    /// Refuse unless every such certificate is within the renewal window,
    /// and then revoke them (upstream's behaviour, without its suffix
    /// matching bug).
    RejectUnlessRenewing,
}

/// Settings of [`CaSigner`].
#[derive(Debug, Clone)]
pub struct IssuancePolicy {
    /// Validity of issued certificates, in days (upstream default 365).
    pub validity_days: u32,
    /// Renewal is allowed from this many days before expiry; 0 allows it
    /// at any time (upstream default 14).
    pub allow_renew_days: u32,
    /// Handling of subjects that already hold a valid certificate.
    pub duplicate_subjects: DuplicateSubjects,
}

impl Default for IssuancePolicy {
    fn default() -> Self {
        Self {
            validity_days: 365,
            allow_renew_days: 14,
            duplicate_subjects: DuplicateSubjects::RejectUnlessRenewing,
        }
    }
}

/// Issues certificates from the depot's CA: subject and subjectAltName
/// copied from the CSR, keyUsage digitalSignature + keyEncipherment, EKU
/// clientAuth, serial from the depot; the superseded certificate is revoked
/// on renewal.
#[derive(Debug, Clone)]
pub struct CaSigner {
    depot: Arc<dyn Depot>,
    policy: IssuancePolicy,
}

impl CaSigner {
    /// A signer issuing from `depot`'s CA under `policy`.
    pub fn new(depot: Arc<dyn Depot>, policy: IssuancePolicy) -> Self {
        Self { depot, policy }
    }

    fn in_renewal_window(&self, certificate: &Certificate, now: SystemTime) -> bool {
        let window = Duration::from_secs(u64::from(self.policy.allow_renew_days) * 86_400);
        let not_after = certificate
            .tbs_certificate
            .validity
            .not_after
            .to_system_time();
        self.policy.allow_renew_days == 0 || now + window >= not_after
    }

    /// For a RenewalReq: the requester's certificate must be one this CA
    /// issued, unrevoked, unexpired and in the renewal window.
    async fn check_renewal(
        &self,
        ca: &Identity,
        request: &SignRequest<'_>,
    ) -> Result<Option<Decision>, BoxError> {
        let current = request.requester;
        let issued_here = cert::verify_issued_by(current, &ca.certificate).is_ok()
            && self
                .depot
                .find_by_serial(current.tbs_certificate.serial_number.as_bytes())
                .await?
                .is_some_and(|i| i.revoked_at.is_none() && &i.certificate == current);
        if !issued_here {
            return Ok(Some(Decision::refused(
                FailInfo::BadCertId,
                "renewal needs a current certificate from this CA",
            )));
        }
        if !cert::is_valid_at(current, request.now) {
            return Ok(Some(Decision::refused(
                FailInfo::BadTime,
                "the certificate to renew has expired",
            )));
        }
        if !self.in_renewal_window(current, request.now) {
            return Ok(Some(Decision::refused(
                FailInfo::BadRequest,
                "too early to renew",
            )));
        }
        Ok(None)
    }

    /// Certificates this request supersedes, or a refusal.
    async fn superseded(
        &self,
        request: &SignRequest<'_>,
    ) -> Result<Result<Vec<Vec<u8>>, Decision>, BoxError> {
        let mut superseded = Vec::new();
        if request.message_type == MessageType::RenewalReq {
            superseded.push(
                request
                    .requester
                    .tbs_certificate
                    .serial_number
                    .as_bytes()
                    .to_vec(),
            );
        }
        if self.policy.duplicate_subjects == DuplicateSubjects::Allow {
            return Ok(Ok(superseded));
        }
        for existing in self.depot.find_by_subject(request.csr.subject()).await? {
            let live = existing.revoked_at.is_none()
                && cert::is_valid_at(&existing.certificate, request.now);
            if !live {
                continue;
            }
            if !self.in_renewal_window(&existing.certificate, request.now) {
                return Ok(Err(Decision::refused(
                    FailInfo::BadRequest,
                    "subject already has a valid certificate",
                )));
            }
            superseded.push(existing.serial().to_vec());
        }
        Ok(Ok(superseded))
    }

    async fn issue(
        &self,
        ca: &Identity,
        request: &SignRequest<'_>,
    ) -> Result<Certificate, BoxError> {
        let days = u64::from(self.policy.validity_days);
        let mut profile = CertificateProfile::new(self.policy.validity_days)?;
        // Ten minutes of clock skew, as upstream intends.
        profile.not_before = request.now - Duration::from_secs(600);
        // Never beyond the CA's own expiry: such a certificate could not be
        // verified for its last days anyway.
        let ca_not_after = ca
            .certificate
            .tbs_certificate
            .validity
            .not_after
            .to_system_time();
        profile.not_after = (request.now + Duration::from_secs(days * 86_400)).min(ca_not_after);
        profile.serial = self.depot.next_serial().await?;
        profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
        profile.extended_key_usage = vec![ID_KP_CLIENT_AUTH];
        profile.extensions = request
            .csr
            .requested_extensions()
            .into_iter()
            .filter(|e| e.extn_id == ID_CE_SUBJECT_ALT_NAME)
            .collect();
        let issuer = Issuer {
            certificate: Some(&ca.certificate),
            key: ca.key.as_ref(),
        };
        let issued = cert::issue(
            request.csr.subject().clone(),
            request.csr.public_key(),
            &profile,
            issuer,
        )?;
        self.depot.put(&issued).await?;
        Ok(issued)
    }
}

#[async_trait]
impl CsrSigner for CaSigner {
    async fn sign(&self, request: &SignRequest<'_>) -> Result<Decision, BoxError> {
        let ca = self.depot.ca().await?;
        if !cert::is_valid_at(&ca.certificate, request.now) {
            return Ok(Decision::refused(
                FailInfo::BadTime,
                "the CA certificate is not valid now",
            ));
        }
        if request.message_type == MessageType::RenewalReq
            && let Some(refusal) = self.check_renewal(&ca, request).await?
        {
            return Ok(refusal);
        }
        let superseded = match self.superseded(request).await? {
            Ok(serials) => serials,
            Err(refusal) => return Ok(refusal),
        };
        let issued = self.issue(&ca, request).await?;
        for serial in superseded {
            self.depot.revoke(&serial, request.now).await?;
        }
        Ok(Decision::Issued(Box::new(issued)))
    }
}
