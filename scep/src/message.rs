//! SCEP messages (RFC 8894 §3): parse and verify pkiMessages, build
//! PKCSReq and CertRep. Pure: no I/O, the caller passes certificates and
//! keys.

use std::fmt;
use std::str::FromStr;

use cryptoutil::attribute::{self, Attribute};
use cryptoutil::cert::Certificate;
use cryptoutil::cms::enveloped_data::{self, EnvelopedMessage};
use cryptoutil::cms::signed_data::{self, SignedDataBuilder, SignedMessage, Signer};
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::x509_cert::name::Name;
use cryptoutil::{ContentEncryption, DigestAlgorithm, PrivateKey};
use der::Decode;

use crate::error::{Error, Result};

pub use cms::cert::IssuerAndSerialNumber;

pub mod oid;

/// SCEP messageType (RFC 8894 §3.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// Response to any request (3).
    CertRep,
    /// Renewal of an existing certificate (17).
    RenewalReq,
    /// Obsolete update request (18), treated as PKCSReq.
    UpdateReq,
    /// Certificate enrollment (19).
    PkcsReq,
    /// Poll for a pending request, a.k.a. GetCertInitial (20).
    CertPoll,
    /// Retrieve a certificate (21).
    GetCert,
    /// Retrieve a CRL (22).
    GetCrl,
}

impl MessageType {
    /// The decimal code sent on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::CertRep => 3,
            Self::RenewalReq => 17,
            Self::UpdateReq => 18,
            Self::PkcsReq => 19,
            Self::CertPoll => 20,
            Self::GetCert => 21,
            Self::GetCrl => 22,
        }
    }
}

impl FromStr for MessageType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "3" => Self::CertRep,
            "17" => Self::RenewalReq,
            "18" => Self::UpdateReq,
            "19" => Self::PkcsReq,
            "20" => Self::CertPoll,
            "21" => Self::GetCert,
            "22" => Self::GetCrl,
            other => return Err(Error::UnknownMessageType(other.chars().take(16).collect())),
        })
    }
}

/// SCEP pkiStatus (RFC 8894 §3.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PkiStatus {
    /// Request granted (0).
    Success,
    /// Request rejected (2).
    Failure,
    /// Request pending manual approval (3).
    Pending,
}

/// SCEP failInfo (RFC 8894 §3.2.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailInfo {
    /// Unrecognised or unsupported algorithm (0).
    BadAlg,
    /// Integrity check (signature or decryption) failed (1).
    BadMessageCheck,
    /// Transaction not permitted or supported (2).
    BadRequest,
    /// signingTime not close enough to the CA's time (3).
    BadTime,
    /// No certificate matches the criteria (4).
    BadCertId,
}

impl FailInfo {
    fn code(self) -> &'static str {
        match self {
            Self::BadAlg => "0",
            Self::BadMessageCheck => "1",
            Self::BadRequest => "2",
            Self::BadTime => "3",
            Self::BadCertId => "4",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            Self::BadAlg,
            Self::BadMessageCheck,
            Self::BadRequest,
            Self::BadTime,
            Self::BadCertId,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }
}

impl fmt::Display for FailInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A verified pkiMessage.
#[derive(Debug, Clone)]
pub struct PkiMessage {
    /// The messageType.
    pub message_type: MessageType,
    /// The transactionID, echoed in the reply.
    pub transaction_id: String,
    /// The senderNonce (requests), echoed as the reply's recipientNonce.
    pub sender_nonce: Vec<u8>,
    /// The recipientNonce (CertRep only).
    pub recipient_nonce: Option<Vec<u8>>,
    /// The pkiStatus (CertRep only).
    pub pki_status: Option<PkiStatus>,
    /// The failInfo (failed CertRep only).
    pub fail_info: Option<FailInfo>,
    /// The failInfoText (failed CertRep only, RFC 8894).
    pub fail_info_text: Option<String>,
    /// The certificate that signed the message.
    pub signer: Certificate,
    /// Every certificate carried in the SignedData.
    pub certificates: Vec<Certificate>,
    /// The digest the signer used.
    pub digest: DigestAlgorithm,
    /// The encapsulated messageData: an EnvelopedData, or empty.
    pub message_data: Vec<u8>,
}

impl PkiMessage {
    /// Parses a BER or DER pkiMessage and verifies every signer (signature,
    /// messageDigest, signingTime within the signer's validity).
    pub fn parse(input: &[u8]) -> Result<Self> {
        let message = SignedMessage::from_ber(input).map_err(Error::Message)?;
        let signer = message.verify(None).map_err(Error::Message)?.remove(0);
        let string = |oid, name| {
            signer
                .attribute(oid)
                .and_then(attribute::any_to_string)
                .ok_or(Error::MissingAttribute(name))
        };
        let octets = |oid| signer.attribute(oid).and_then(attribute::any_to_octets);
        let message_type: MessageType = string(oid::MESSAGE_TYPE, "messageType")?.parse()?;
        let transaction_id = string(oid::TRANSACTION_ID, "transactionID")?;
        let sender_nonce = octets(oid::SENDER_NONCE).unwrap_or_default();
        let mut parsed = Self {
            message_type,
            transaction_id,
            sender_nonce,
            recipient_nonce: octets(oid::RECIPIENT_NONCE),
            pki_status: None,
            fail_info: None,
            fail_info_text: string(oid::FAIL_INFO_TEXT, "failInfoText").ok(),
            signer: signer.certificate.clone(),
            certificates: message.certificates().to_vec(),
            digest: signer.digest,
            message_data: message.content().unwrap_or_default().to_vec(),
        };
        if message_type == MessageType::CertRep {
            parsed.pki_status = Some(match string(oid::PKI_STATUS, "pkiStatus")?.as_str() {
                "0" => PkiStatus::Success,
                "2" => PkiStatus::Failure,
                "3" => PkiStatus::Pending,
                _ => return Err(Error::MissingAttribute("pkiStatus")),
            });
            parsed.fail_info = string(oid::FAIL_INFO, "failInfo")
                .ok()
                .and_then(|c| FailInfo::from_code(&c));
        } else if parsed.sender_nonce.is_empty() {
            return Err(Error::MissingAttribute("senderNonce"));
        }
        Ok(parsed)
    }

    /// Decrypts the enveloped messageData with `recipient`'s key (the CA or
    /// RA for requests; the requester for a CertRep).
    pub fn decrypt(&self, recipient: &Certificate, key: &dyn PrivateKey) -> Result<Vec<u8>> {
        enveloped_data::decrypt(&self.message_data, recipient, key).map_err(Error::Envelope)
    }

    /// For a successful CertRep: decrypts the payload and returns the issued
    /// certificate (the first one of the certificates-only payload).
    pub fn issued_certificate(
        &self,
        requester: &Certificate,
        key: &dyn PrivateKey,
    ) -> Result<Certificate> {
        match self.pki_status {
            Some(PkiStatus::Success) => {}
            _ => {
                return Err(Error::Refused {
                    fail_info: self.fail_info,
                    text: self.fail_info_text.clone(),
                });
            }
        }
        let payload = self.decrypt(requester, key)?;
        signed_data::certificates_only(&payload)
            .map_err(Error::Envelope)?
            .into_iter()
            .next()
            .ok_or(Error::MissingAttribute("issued certificate"))
    }
}

impl PkiMessage {
    /// The content cipher of the enveloped messageData.
    pub fn envelope_cipher(&self) -> Result<ContentEncryption> {
        EnvelopedMessage::from_ber(&self.message_data)
            .and_then(|m| m.content_encryption())
            .map_err(Error::Envelope)
    }
}

/// IssuerAndSubject (RFC 8894 §3.3.3), the messageData of CertPoll.
#[derive(Debug, Clone, PartialEq, Eq, der::Sequence)]
pub struct IssuerAndSubject {
    /// The CA's name.
    pub issuer: Name,
    /// The requested subject.
    pub subject: Name,
}

/// Decodes the IssuerAndSubject of a CertPoll.
pub fn issuer_and_subject(der: &[u8]) -> Result<IssuerAndSubject> {
    IssuerAndSubject::from_der(der).map_err(|e| Error::Envelope(asn1_error("IssuerAndSubject", e)))
}

/// Decodes the IssuerAndSerialNumber of a GetCert or GetCRL.
pub fn issuer_and_serial_number(der: &[u8]) -> Result<IssuerAndSerialNumber> {
    IssuerAndSerialNumber::from_der(der)
        .map_err(|e| Error::Envelope(asn1_error("IssuerAndSerialNumber", e)))
}

fn asn1_error(what: &'static str, source: der::Error) -> cryptoutil::Error {
    cryptoutil::Error::Asn1 { what, source }
}

/// What a requester signs with and encrypts to.
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    /// The requester's certificate (self-signed for a first enrollment).
    pub certificate: &'a Certificate,
    /// The requester's key.
    pub key: &'a dyn PrivateKey,
}

/// Builds a PKCSReq (or RenewalReq) pkiMessage for `csr_der`, encrypted to
/// `recipients` (the CA or RA certificates from GetCACert).
pub fn build_request(
    message_type: MessageType,
    csr_der: &[u8],
    requester: Requester<'_>,
    recipients: &[Certificate],
    transaction_id: &str,
    sender_nonce: &[u8],
    cipher: ContentEncryption,
) -> Result<Vec<u8>> {
    let envelope = enveloped_data::encrypt(csr_der, recipients, cipher).map_err(Error::Build)?;
    let signer = Signer::new(requester.certificate, requester.key)
        .attribute(printable(
            oid::MESSAGE_TYPE,
            &message_type.code().to_string(),
        )?)
        .attribute(printable(oid::TRANSACTION_ID, transaction_id)?)
        .attribute(attribute::octets(oid::SENDER_NONCE, sender_nonce).map_err(Error::Build)?);
    SignedDataBuilder::new(&envelope)
        .signer(signer)
        .build()
        .map_err(Error::Build)
}

fn printable(oid: ObjectIdentifier, value: &str) -> Result<Attribute> {
    attribute::printable(oid, value).map_err(Error::Build)
}

/// The CA (or RA) side of a CertRep: who signs it.
#[derive(Debug, Clone, Copy)]
pub struct Responder<'a> {
    /// The certificate GetCACert returned, which clients verify against.
    pub certificate: &'a Certificate,
    /// Its key.
    pub key: &'a dyn PrivateKey,
}

/// The outcome a CertRep reports.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// The issued certificate, encrypted to the requester with `cipher`.
    Success {
        /// The issued certificate.
        issued: &'a Certificate,
        /// The reply envelope's content cipher.
        cipher: ContentEncryption,
    },
    /// A CRL (DER), the answer to GetCRL, encrypted to the requester with
    /// `cipher`.
    Crl {
        /// The CRL.
        crl: &'a [u8],
        /// The reply envelope's content cipher.
        cipher: ContentEncryption,
    },
    /// The request waits for approval; the client polls.
    Pending,
    /// The request was refused.
    Failure {
        /// Why, in RFC 8894's vocabulary.
        fail_info: FailInfo,
        /// Why, for humans (failInfoText); never secret.
        text: Option<String>,
    },
}

/// Builds the CertRep answering `request`: transactionID echoed,
/// recipientNonce = the request's senderNonce, a fresh senderNonce, signed
/// with SHA-256 by the responder.
pub fn build_cert_rep(
    request: &PkiMessage,
    responder: Responder<'_>,
    outcome: &Outcome<'_>,
) -> Result<Vec<u8>> {
    build_cert_rep_at(request, responder, outcome, std::time::SystemTime::now())
}

/// [`build_cert_rep`] with the signingTime given (the service passes the
/// time it decided at).
pub fn build_cert_rep_at(
    request: &PkiMessage,
    responder: Responder<'_>,
    outcome: &Outcome<'_>,
    now: std::time::SystemTime,
) -> Result<Vec<u8>> {
    let mut nonce = [0u8; 16];
    fresh_nonce(&mut nonce)?;
    let (status, content) = match outcome {
        Outcome::Success { issued, cipher } => {
            let payload = signed_data::build_certificates_only(std::slice::from_ref(*issued))
                .map_err(Error::Build)?;
            // Encrypted to the certificates the requester sent (its
            // self-signed or current certificate), as clients expect.
            let envelope = enveloped_data::encrypt(&payload, &request.certificates, *cipher)
                .map_err(Error::Build)?;
            ("0", envelope)
        }
        Outcome::Crl { crl, cipher } => {
            let payload = signed_data::build_crls_only(&[crl.to_vec()]).map_err(Error::Build)?;
            let envelope = enveloped_data::encrypt(&payload, &request.certificates, *cipher)
                .map_err(Error::Build)?;
            ("0", envelope)
        }
        Outcome::Pending => ("3", Vec::new()),
        Outcome::Failure { .. } => ("2", Vec::new()),
    };
    let mut signer = Signer::new(responder.certificate, responder.key)
        .signing_time(Some(now))
        .attribute(printable(oid::MESSAGE_TYPE, "3")?)
        .attribute(printable(oid::PKI_STATUS, status)?)
        .attribute(printable(oid::TRANSACTION_ID, &request.transaction_id)?)
        .attribute(attribute::octets(oid::SENDER_NONCE, &nonce).map_err(Error::Build)?)
        .attribute(
            attribute::octets(oid::RECIPIENT_NONCE, &request.sender_nonce).map_err(Error::Build)?,
        );
    let mut builder = SignedDataBuilder::new(&content);
    match outcome {
        Outcome::Success { issued, .. } => builder = builder.certificate((*issued).clone()),
        Outcome::Crl { .. } | Outcome::Pending => {}
        Outcome::Failure { fail_info, text } => {
            signer = signer.attribute(printable(oid::FAIL_INFO, fail_info.code())?);
            if let Some(text) = text {
                signer = signer
                    .attribute(attribute::utf8(oid::FAIL_INFO_TEXT, text).map_err(Error::Build)?);
            }
        }
    }
    builder.signer(signer).build().map_err(Error::Build)
}

/// Fills `nonce` with random bytes.
pub fn fresh_nonce(nonce: &mut [u8]) -> Result<()> {
    cryptoutil::algorithm::fill_random(nonce).map_err(Error::Build)
}
