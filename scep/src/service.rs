//! The SCEP service: GetCACaps, GetCACert and PKIOperation over a
//! [`Depot`], with the CA key given by the embedding server.

use std::sync::Arc;
use std::time::SystemTime;

use cryptoutil::cert::{
    self, Certificate, CertificateProfile, ID_KP_CLIENT_AUTH, Issuer, KeyUsage,
};
use cryptoutil::csr::Csr;
use cryptoutil::der::Encode;
use cryptoutil::{ContentEncryption, PrivateKey};

use crate::depot::Depot;
use crate::error::{Error, Result};
use crate::message::{self, FailInfo, MessageType, Outcome, PkiMessage, Responder};

/// `subjectAltName` (2.5.29.17): the only requested extension copied into
/// issued certificates.
const SUBJECT_ALT_NAME: &str = "2.5.29.17";

/// What the service advertises in GetCACaps: only what it implements.
/// `Renewal` is absent until RenewalReq is implemented.
pub const CA_CAPS: &str = "POSTPKIOperation\nSHA-1\nSHA-256\nSHA-512\nAES\nDES3\nSCEPStandard";

/// Service settings.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The static challenge password every PKCSReq must carry; `None`
    /// accepts any (only for closed networks and tests).
    pub challenge: Option<String>,
    /// Validity of issued certificates, in days.
    pub validity_days: u32,
    /// Content cipher of CertRep envelopes.
    pub reply_cipher: ContentEncryption,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            challenge: None,
            validity_days: 365,
            reply_cipher: ContentEncryption::Aes128Cbc,
        }
    }
}

/// A SCEP CA.
#[derive(Debug, Clone)]
pub struct Service {
    ca_certificate: Certificate,
    ca_key: Arc<dyn PrivateKey>,
    depot: Arc<dyn Depot>,
    config: ServiceConfig,
}

impl Service {
    /// A service issuing with `ca_certificate` and `ca_key`.
    pub fn new(
        ca_certificate: Certificate,
        ca_key: Arc<dyn PrivateKey>,
        depot: Arc<dyn Depot>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            ca_certificate,
            ca_key,
            depot,
            config,
        }
    }

    /// The GetCACaps body.
    pub fn ca_caps(&self) -> &'static str {
        CA_CAPS
    }

    /// The GetCACert body: the CA certificate's DER.
    pub fn ca_certificate_der(&self) -> Result<Vec<u8>> {
        self.ca_certificate.to_der().map_err(|e| {
            Error::Build(cryptoutil::Error::Asn1 {
                what: "certificate",
                source: e,
            })
        })
    }

    /// Handles a PKIOperation body and returns the CertRep.
    ///
    /// A request that cannot be parsed or verified is an `Err` (the HTTP
    /// layer answers 400); every policy refusal (wrong challenge, bad CSR,
    /// unsupported messageType) is a FAILURE CertRep, as devices expect.
    pub async fn pki_operation(&self, body: &[u8], now: SystemTime) -> Result<Vec<u8>> {
        let request = PkiMessage::parse(body)?;
        let responder = Responder {
            certificate: &self.ca_certificate,
            key: self.ca_key.as_ref(),
        };
        match self.enroll(&request, now).await {
            Ok(issued) => {
                let outcome = Outcome::Success {
                    issued: &issued,
                    cipher: self.config.reply_cipher,
                };
                message::build_cert_rep(&request, responder, &outcome)
            }
            Err((fail_info, text)) => {
                let outcome = Outcome::Failure {
                    fail_info,
                    text: Some(text.to_owned()),
                };
                message::build_cert_rep(&request, responder, &outcome)
            }
        }
    }

    async fn enroll(
        &self,
        request: &PkiMessage,
        now: SystemTime,
    ) -> Result<Certificate, (FailInfo, &'static str)> {
        match request.message_type {
            MessageType::PkcsReq | MessageType::UpdateReq => {}
            _ => return Err((FailInfo::BadRequest, "messageType not supported")),
        }
        let csr_der = request
            .decrypt(&self.ca_certificate, self.ca_key.as_ref())
            .map_err(|_| (FailInfo::BadMessageCheck, "cannot decrypt the request"))?;
        let csr = Csr::from_der(&csr_der).map_err(|_| (FailInfo::BadRequest, "malformed CSR"))?;
        csr.verify_signature()
            .map_err(|_| (FailInfo::BadMessageCheck, "CSR signature does not verify"))?;
        if let Some(expected) = &self.config.challenge {
            let given = csr.challenge_password().unwrap_or_default();
            if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                return Err((FailInfo::BadRequest, "invalid challenge"));
            }
        }
        let issued = self
            .issue(&csr, now)
            .await
            .map_err(|_| (FailInfo::BadRequest, "cannot issue"))?;
        Ok(issued)
    }

    async fn issue(&self, csr: &Csr, now: SystemTime) -> Result<Certificate> {
        let mut profile =
            CertificateProfile::new(self.config.validity_days).map_err(Error::Build)?;
        profile.not_before = now - std::time::Duration::from_secs(600);
        profile.not_after =
            now + std::time::Duration::from_secs(u64::from(self.config.validity_days) * 86_400);
        profile.serial = self.depot.next_serial().await.map_err(Error::Depot)?;
        profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
        profile.extended_key_usage = vec![ID_KP_CLIENT_AUTH];
        profile.extensions = csr
            .requested_extensions()
            .into_iter()
            .filter(|e| e.extn_id.to_string() == SUBJECT_ALT_NAME)
            .collect();
        let issuer = Issuer {
            certificate: Some(&self.ca_certificate),
            key: self.ca_key.as_ref(),
        };
        let issued = cert::issue(csr.subject().clone(), csr.public_key(), &profile, issuer)
            .map_err(Error::Build)?;
        self.depot.put(&issued).await.map_err(Error::Depot)?;
        Ok(issued)
    }
}

/// Compares secrets without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
