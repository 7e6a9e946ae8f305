//! The SCEP service: GetCACaps, GetCACert, GetNextCACert and PKIOperation
//! over a [`Depot`] and a [`CsrSigner`] chain.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cryptoutil::cert::Certificate;
use cryptoutil::cms::enveloped_data::EnvelopedMessage;
use cryptoutil::cms::signed_data::{self, SignedDataBuilder, Signer};
use cryptoutil::csr::Csr;
use cryptoutil::der::{self, Encode};
use cryptoutil::{ContentEncryption, crl};

use crate::challenge::ChallengeVerifier;
use crate::depot::{Depot, Identity};
use crate::error::{Error, Result};
use crate::message::{self, FailInfo, MessageType, Outcome, PkiMessage, Responder};
use crate::signer::{CaSigner, ChallengeSigner, CsrSigner, Decision, IssuancePolicy, SignRequest};

/// The GetCACert answer: its body and content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCertificates {
    /// `application/x-x509-ca-cert` (one certificate) or
    /// `application/x-x509-ca-ra-cert` (certificates-only PKCS#7).
    pub content_type: &'static str,
    /// DER.
    pub body: Vec<u8>,
}

/// A SCEP CA (or RA) service.
#[derive(Debug, Clone)]
pub struct Service {
    depot: Arc<dyn Depot>,
    signer: Arc<dyn CsrSigner>,
    ra: Option<Identity>,
    additional: Vec<Certificate>,
    next_ca: Option<Certificate>,
}

impl Service {
    /// A service whose requests are decided by `signer` and answered by the
    /// depot's CA.
    pub fn new(depot: Arc<dyn Depot>, signer: Arc<dyn CsrSigner>) -> Self {
        Self {
            depot,
            signer,
            ra: None,
            additional: Vec::new(),
            next_ca: None,
        }
    }

    /// The usual chain: `challenge` (when given) in front of a [`CaSigner`]
    /// with `policy`.
    pub fn standard(
        depot: Arc<dyn Depot>,
        challenge: Option<Arc<dyn ChallengeVerifier>>,
        policy: IssuancePolicy,
    ) -> Self {
        let ca: Arc<dyn CsrSigner> = Arc::new(CaSigner::new(depot.clone(), policy));
        let signer = match challenge {
            Some(verifier) => Arc::new(ChallengeSigner::new(verifier, ca)),
            None => ca,
        };
        Self::new(depot, signer)
    }

    /// Answers SCEP with a registration authority: requests are encrypted
    /// to, and CertReps signed by, `ra`; the depot's CA still issues.
    pub fn with_ra(mut self, ra: Identity) -> Self {
        self.ra = Some(ra);
        self
    }

    /// Adds certificates to the GetCACert answer (intermediates, say).
    pub fn with_additional_certificates(mut self, certificates: Vec<Certificate>) -> Self {
        self.additional = certificates;
        self
    }

    /// Announces the CA certificate that will replace the current one
    /// (GetNextCACert).
    pub fn with_next_ca(mut self, next: Certificate) -> Self {
        self.next_ca = Some(next);
        self
    }

    /// The GetCACaps body: only what this service implements.
    pub fn ca_caps(&self) -> String {
        let mut caps = vec![
            "POSTPKIOperation",
            "Renewal",
            "SHA-1",
            "SHA-256",
            "SHA-512",
            "AES",
            "DES3",
            "SCEPStandard",
        ];
        if self.next_ca.is_some() {
            caps.push("GetNextCACert");
        }
        caps.join("\n")
    }

    async fn responder(&self) -> Result<Identity> {
        match &self.ra {
            Some(ra) => Ok(ra.clone()),
            None => self.depot.ca().await.map_err(Error::Depot),
        }
    }

    /// The GetCACert answer: the responder's certificate alone, or followed
    /// by the CA (with an RA) and the additional certificates.
    pub async fn ca_certificates(&self) -> Result<CaCertificates> {
        let mut certificates = vec![self.responder().await?.certificate];
        if self.ra.is_some() {
            certificates.push(self.depot.ca().await.map_err(Error::Depot)?.certificate);
        }
        certificates.extend(self.additional.iter().cloned());
        if let [only] = certificates.as_slice() {
            let body = only
                .to_der()
                .map_err(|e| Error::Build(asn1("certificate", e)))?;
            return Ok(CaCertificates {
                content_type: "application/x-x509-ca-cert",
                body,
            });
        }
        let body = signed_data::build_certificates_only(&certificates).map_err(Error::Build)?;
        Ok(CaCertificates {
            content_type: "application/x-x509-ca-ra-cert",
            body,
        })
    }

    /// The GetNextCACert answer (RFC 8894 §4.7): the next CA certificate in
    /// a SignedData signed by the current responder; `None` when no next CA
    /// is configured.
    pub async fn next_ca_certificate(&self) -> Result<Option<Vec<u8>>> {
        let Some(next) = &self.next_ca else {
            return Ok(None);
        };
        let responder = self.responder().await?;
        let body = SignedDataBuilder::new(&[])
            .certificate(next.clone())
            .signer(Signer::new(&responder.certificate, responder.key.as_ref()))
            .build()
            .map_err(Error::Build)?;
        Ok(Some(body))
    }

    /// Handles a PKIOperation body and returns the CertRep.
    ///
    /// A request that cannot be parsed or verified is an `Err` (the HTTP
    /// layer answers 400). Every other outcome is a CertRep: refusals are
    /// FAILURE with failInfo and failInfoText, as devices expect, and a
    /// backend failure is a FAILURE without detail.
    pub async fn pki_operation(&self, body: &[u8], now: SystemTime) -> Result<Vec<u8>> {
        let request = PkiMessage::parse(body)?;
        let responder = self.responder().await?;
        // Parsed once: decryption and the choice of reply cipher both need it.
        let envelope = EnvelopedMessage::from_ber(&request.message_data).ok();
        let cipher = reply_cipher(envelope.as_ref());
        let reply = self
            .decide(&request, envelope.as_ref(), &responder, now)
            .await;
        let responder = Responder {
            certificate: &responder.certificate,
            key: responder.key.as_ref(),
        };
        let outcome = match &reply {
            Reply::Certificate(issued) => Outcome::Success { issued, cipher },
            Reply::Crl(crl) => Outcome::Crl { crl, cipher },
            Reply::Pending => Outcome::Pending,
            Reply::Refused(fail_info, text) => Outcome::Failure {
                fail_info: *fail_info,
                text: Some(text.clone()),
            },
        };
        message::build_cert_rep_at(&request, responder, &outcome, now)
    }

    async fn decide(
        &self,
        request: &PkiMessage,
        envelope: Option<&EnvelopedMessage>,
        responder: &Identity,
        now: SystemTime,
    ) -> Reply {
        let decrypted = envelope.map(|e| e.decrypt(&responder.certificate, responder.key.as_ref()));
        let Some(Ok(data)) = decrypted else {
            return Reply::Refused(
                FailInfo::BadMessageCheck,
                "cannot decrypt the request".into(),
            );
        };
        let decision = match request.message_type {
            MessageType::PkcsReq | MessageType::RenewalReq | MessageType::UpdateReq => {
                return self.enroll(request, &data, now).await;
            }
            MessageType::CertPoll => match message::issuer_and_subject(&data) {
                Ok(_) => self.signer.poll(&request.transaction_id, now).await,
                Err(_) => {
                    return Reply::Refused(
                        FailInfo::BadRequest,
                        "malformed IssuerAndSubject".into(),
                    );
                }
            },
            MessageType::GetCert => return self.get_cert(&data).await,
            MessageType::GetCrl => return self.get_crl(&data, now).await,
            MessageType::CertRep => {
                return Reply::Refused(FailInfo::BadRequest, "a CertRep is not a request".into());
            }
        };
        Reply::from(decision)
    }

    async fn enroll(&self, request: &PkiMessage, csr_der: &[u8], now: SystemTime) -> Reply {
        let Ok(csr) = Csr::from_der(csr_der) else {
            return Reply::Refused(FailInfo::BadRequest, "malformed CSR".into());
        };
        if csr.verify_signature().is_err() {
            return Reply::Refused(
                FailInfo::BadMessageCheck,
                "CSR signature does not verify".into(),
            );
        }
        let sign_request = SignRequest {
            message_type: request.message_type,
            csr: &csr,
            requester: &request.signer,
            transaction_id: &request.transaction_id,
            now,
        };
        Reply::from(self.signer.sign(&sign_request).await)
    }

    async fn get_cert(&self, data: &[u8]) -> Reply {
        let Ok(wanted) = message::issuer_and_serial_number(data) else {
            return Reply::Refused(
                FailInfo::BadRequest,
                "malformed IssuerAndSerialNumber".into(),
            );
        };
        let Ok(ca) = self.depot.ca().await else {
            return Reply::Refused(FailInfo::BadRequest, "internal error".into());
        };
        if wanted.issuer != ca.certificate.tbs_certificate.subject {
            return Reply::Refused(FailInfo::BadCertId, "not issued by this CA".into());
        }
        match self
            .depot
            .find_by_serial(wanted.serial_number.as_bytes())
            .await
        {
            Ok(Some(issued)) => Reply::Certificate(Box::new(issued.certificate)),
            Ok(None) => Reply::Refused(FailInfo::BadCertId, "no such certificate".into()),
            Err(_) => Reply::Refused(FailInfo::BadRequest, "internal error".into()),
        }
    }
}

impl Service {
    /// GetCRL: a CRL of every certificate the depot has revoked, signed by
    /// the CA, valid for [`CRL_LIFETIME`].
    async fn get_crl(&self, data: &[u8], now: SystemTime) -> Reply {
        let Ok(wanted) = message::issuer_and_serial_number(data) else {
            return Reply::Refused(
                FailInfo::BadRequest,
                "malformed IssuerAndSerialNumber".into(),
            );
        };
        match self.build_crl(&wanted.issuer, now).await {
            Ok(Some(crl)) => Reply::Crl(crl),
            Ok(None) => Reply::Refused(FailInfo::BadCertId, "not issued by this CA".into()),
            Err(_) => Reply::Refused(FailInfo::BadRequest, "internal error".into()),
        }
    }

    async fn build_crl(
        &self,
        issuer: &cryptoutil::x509_cert::name::Name,
        now: SystemTime,
    ) -> Result<Option<Vec<u8>>, crate::BoxError> {
        let ca = self.depot.ca().await?;
        if issuer != &ca.certificate.tbs_certificate.subject {
            return Ok(None);
        }
        let revoked: Vec<_> = self
            .depot
            .list()
            .await?
            .into_iter()
            .filter_map(|issued| {
                let revoked_at = issued.revoked_at?;
                Some(crl::RevokedCertificate {
                    serial: issued.serial().to_vec(),
                    revoked_at,
                })
            })
            .collect();
        // The CRL number only has to grow; seconds since the epoch do.
        let number = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let crl = crl::build(
            &ca.certificate,
            ca.key.as_ref(),
            &revoked,
            now,
            now + CRL_LIFETIME,
            number,
        )?;
        Ok(Some(crl))
    }
}

/// How long a CRL answered to GetCRL stays current: one day.
pub const CRL_LIFETIME: Duration = Duration::from_secs(86_400);

/// What the CertRep will say, owned.
enum Reply {
    Certificate(Box<Certificate>),
    Crl(Vec<u8>),
    Pending,
    Refused(FailInfo, String),
}

impl From<Result<Decision, crate::BoxError>> for Reply {
    fn from(decision: Result<Decision, crate::BoxError>) -> Self {
        match decision {
            Ok(Decision::Issued(certificate)) => Self::Certificate(certificate),
            Ok(Decision::Pending) => Self::Pending,
            Ok(Decision::Refused { fail_info, text }) => Self::Refused(fail_info, text),
            // Backend details never reach the client.
            Err(_) => Self::Refused(FailInfo::BadRequest, "internal error".into()),
        }
    }
}

/// AES-128-CBC, unless the client encrypted with DES or 3DES: then it may
/// not do AES, and gets DES-EDE3-CBC (never single DES).
fn reply_cipher(envelope: Option<&EnvelopedMessage>) -> ContentEncryption {
    match envelope.map(EnvelopedMessage::content_encryption) {
        Some(Ok(ContentEncryption::DesCbc | ContentEncryption::DesEde3Cbc)) => {
            ContentEncryption::DesEde3Cbc
        }
        _ => ContentEncryption::Aes128Cbc,
    }
}

fn asn1(what: &'static str, source: der::Error) -> cryptoutil::Error {
    cryptoutil::Error::Asn1 { what, source }
}

/// Default lifetime of dynamic challenges: one hour.
pub const DEFAULT_CHALLENGE_LIFETIME: Duration = Duration::from_secs(3600);
