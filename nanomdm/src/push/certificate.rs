//! The APNs push certificate and its private key: parsed, paired and
//! checked as nanomdm's `PUT /v1/pushcert` does.

use std::fmt;
use std::time::SystemTime;

use aws_lc_rs::signature::{self as aws_sig, EcdsaKeyPair, KeyPair};
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, Certificate};
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::const_oid::db::{rfc4519, rfc5912};
use cryptoutil::key::PrivateKey;

use crate::store::PushCert;

/// The prefix every MDM push topic has (nanomdm checks only this much).
const MDM_TOPIC_PREFIX: &str = "com.apple.mgmt";

/// Why an uploaded push certificate and key are unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushCertError {
    /// A PEM block is malformed (bad base64, no END line).
    #[error("malformed PEM")]
    Pem(#[source] cryptoutil::Error),
    /// A PEM block is neither a certificate nor a private key.
    #[error("unrecognized PEM block {0:?}")]
    UnrecognizedBlock(String),
    /// There is no `CERTIFICATE` block.
    #[error("no CERTIFICATE block")]
    MissingCertificate,
    /// There is no private key block.
    #[error("no private key block")]
    MissingKey,
    /// The private key is encrypted; the upload must carry it unencrypted.
    #[error("private key is encrypted")]
    EncryptedKey,
    /// The private key is of a kind this library does not use (neither
    /// PKCS#8, PKCS#1 RSA nor SEC1 EC).
    #[error("unsupported private key block {0:?}")]
    UnsupportedKey(String),
    /// The certificate is not a DER X.509 certificate.
    #[error("malformed push certificate")]
    Certificate(#[source] cryptoutil::Error),
    /// The certificate's public key is neither RSA nor EC on P-256, P-384 or
    /// P-521.
    #[error("unsupported push certificate key algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The private key cannot be loaded.
    #[error("unusable private key: {0}")]
    InvalidKey(&'static str),
    /// The private key is not the certificate's.
    #[error("private key does not match the push certificate")]
    KeyMismatch,
    /// The certificate subject has no UID attribute, where Apple puts the
    /// APNs topic.
    #[error("push certificate subject has no UID (APNs topic)")]
    NoTopic,
    /// The subject's UID is not an MDM topic.
    #[error("push certificate topic {0:?} does not start with com.apple.mgmt")]
    NotMdmTopic(String),
    /// The certificate has expired (checked before pushing, not on upload).
    #[error("push certificate expired")]
    Expired,
}

/// The encoding of a push certificate's private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFormat {
    /// PKCS#8 `PrivateKeyInfo` (`PRIVATE KEY`), RSA or EC.
    Pkcs8,
    /// PKCS#1 `RSAPrivateKey` (`RSA PRIVATE KEY`).
    Pkcs1,
    /// SEC1 / RFC 5915 `ECPrivateKey` (`EC PRIVATE KEY`).
    Sec1,
}

impl KeyFormat {
    fn label(self) -> &'static str {
        match self {
            Self::Pkcs8 => "PRIVATE KEY",
            Self::Pkcs1 => "RSA PRIVATE KEY",
            Self::Sec1 => "EC PRIVATE KEY",
        }
    }
}

/// An APNs push certificate with its private key, checked to be a pair and
/// to carry an MDM topic. Port of the checks of nanomdm's
/// `NewStorePushCertHandler` (`readPEMCertAndKey`, `tls.X509KeyPair`,
/// `cryptoutil.TopicFromCert`).
#[derive(Clone)]
pub struct PushCertificate {
    topic: String,
    not_after: SystemTime,
    certificate: Certificate,
    certificate_der: Vec<u8>,
    key_format: KeyFormat,
    key_der: Vec<u8>,
}

impl fmt::Debug for PushCertificate {
    // Never prints key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushCertificate")
            .field("topic", &self.topic)
            .field("not_after", &self.not_after)
            .field("key_format", &self.key_format)
            .finish_non_exhaustive()
    }
}

impl PushCertificate {
    /// Parses a PEM certificate and unencrypted PEM private key, in one
    /// document as `PUT /v1/pushcert` receives them (`cat push.pem push.key`).
    ///
    /// As nanomdm: blocks glued together without a newline are split, the
    /// last `CERTIFICATE` and the last private key win, and any other block
    /// is refused. Unlike nanomdm (whose Go TLS loader rejects some key
    /// encodings), PKCS#8, PKCS#1 RSA and SEC1 EC keys are all accepted.
    pub fn from_pem(pem: &[u8]) -> Result<Self, PushCertError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| PushCertError::Pem(cryptoutil::Error::Pem("not UTF-8 text".into())))?;
        // Glued blocks: "-----END CERTIFICATE----------BEGIN PRIVATE KEY-----".
        let text = text.replace("----------", "-----\n-----");
        // cryptoutil refuses legacy OpenSSL encryption with a generic PEM
        // error; say what it is.
        if text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(PushCertError::EncryptedKey);
        }
        let mut certificate_der = None;
        let mut key = None;
        for block in cryptoutil::pem::blocks(&text).map_err(PushCertError::Pem)? {
            match block.label.as_str() {
                "CERTIFICATE" => certificate_der = Some(block.der),
                "PRIVATE KEY" => key = Some((KeyFormat::Pkcs8, block.der)),
                "RSA PRIVATE KEY" => key = Some((KeyFormat::Pkcs1, block.der)),
                "EC PRIVATE KEY" => key = Some((KeyFormat::Sec1, block.der)),
                "ENCRYPTED PRIVATE KEY" => return Err(PushCertError::EncryptedKey),
                label if label.ends_with(" PRIVATE KEY") => {
                    return Err(PushCertError::UnsupportedKey(label.to_owned()));
                }
                label => return Err(PushCertError::UnrecognizedBlock(label.to_owned())),
            }
        }
        let certificate_der = certificate_der.ok_or(PushCertError::MissingCertificate)?;
        let (key_format, key_der) = key.ok_or(PushCertError::MissingKey)?;
        Self::from_der(certificate_der, key_format, key_der)
    }

    /// Parses a stored push certificate (see [`to_push_cert`](Self::to_push_cert)).
    pub fn from_push_cert(stored: &PushCert) -> Result<Self, PushCertError> {
        let pem = format!("{}\n{}", stored.cert_pem, stored.key_pem);
        Self::from_pem(pem.as_bytes())
    }

    /// Checks a DER certificate and DER private key.
    pub fn from_der(
        certificate_der: Vec<u8>,
        key_format: KeyFormat,
        key_der: Vec<u8>,
    ) -> Result<Self, PushCertError> {
        let certificate = cert::from_der(&certificate_der).map_err(PushCertError::Certificate)?;
        check_pair(&certificate, key_format, &key_der)?;
        let topic = topic(&certificate)?;
        let not_after = certificate
            .tbs_certificate
            .validity
            .not_after
            .to_system_time();
        Ok(Self {
            topic,
            not_after,
            certificate,
            certificate_der,
            key_format,
            key_der,
        })
    }

    /// The APNs topic: the certificate subject's UID, e.g.
    /// `com.apple.mgmt.External.<uuid>`.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// When the certificate expires (Apple's push certificates last a year
    /// and are renewed with the same topic).
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate as DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The private key as DER in the format it was given (secret: handle
    /// with care).
    pub fn private_key_der(&self) -> (KeyFormat, &[u8]) {
        (self.key_format, &self.key_der)
    }

    /// What a [`PushCertStore`](crate::store::PushCertStore) stores: the
    /// topic, the certificate PEM and the key PEM (in its original format).
    pub fn to_push_cert(&self) -> PushCert {
        PushCert {
            topic: self.topic.clone(),
            cert_pem: cryptoutil::pem::encode("CERTIFICATE", &self.certificate_der),
            key_pem: cryptoutil::pem::encode(self.key_format.label(), &self.key_der),
        }
    }
}

/// The subject's UID, which must be an MDM topic. Port of Go
/// `cryptoutil.TopicFromCert`.
fn topic(certificate: &Certificate) -> Result<String, PushCertError> {
    let uid = cert::subject_attribute(certificate, rfc4519::UID).ok_or(PushCertError::NoTopic)?;
    if !uid.starts_with(MDM_TOPIC_PREFIX) {
        return Err(PushCertError::NotMdmTopic(uid));
    }
    Ok(uid)
}

/// Checks that the key is the certificate's, as Go's `tls.X509KeyPair`.
fn check_pair(
    certificate: &Certificate,
    format: KeyFormat,
    key_der: &[u8],
) -> Result<(), PushCertError> {
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let algorithm = spki.algorithm.oid;
    if algorithm == rfc5912::RSA_ENCRYPTION {
        let key = match format {
            KeyFormat::Pkcs8 => RsaPrivateKey::from_pkcs8_der(key_der),
            KeyFormat::Pkcs1 => RsaPrivateKey::from_pkcs1_der(key_der),
            KeyFormat::Sec1 => return Err(PushCertError::KeyMismatch),
        }
        .map_err(|_| PushCertError::InvalidKey("not an RSA private key"))?;
        let certified = cert::public_key(certificate).map_err(PushCertError::Certificate)?;
        if key.public_key().pkcs1_der() != certified.pkcs1_der() {
            return Err(PushCertError::KeyMismatch);
        }
        return Ok(());
    }
    if algorithm == rfc5912::ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| {
                PushCertError::UnsupportedAlgorithm("EC without a named curve".into())
            })?;
        let signing = ecdsa_algorithm(curve)?;
        if format == KeyFormat::Pkcs1 {
            return Err(PushCertError::KeyMismatch);
        }
        // Accepts PKCS#8 and SEC1, and refuses a key on another curve.
        let key = EcdsaKeyPair::from_private_key_der(signing, key_der).map_err(|_| {
            PushCertError::InvalidKey("not an EC private key on the certificate's curve")
        })?;
        if Some(key.public_key().as_ref()) != spki.subject_public_key.as_bytes() {
            return Err(PushCertError::KeyMismatch);
        }
        return Ok(());
    }
    Err(PushCertError::UnsupportedAlgorithm(algorithm.to_string()))
}

fn ecdsa_algorithm(
    curve: ObjectIdentifier,
) -> Result<&'static aws_sig::EcdsaSigningAlgorithm, PushCertError> {
    match curve {
        rfc5912::SECP_256_R_1 => Ok(&aws_sig::ECDSA_P256_SHA256_ASN1_SIGNING),
        rfc5912::SECP_384_R_1 => Ok(&aws_sig::ECDSA_P384_SHA384_ASN1_SIGNING),
        rfc5912::SECP_521_R_1 => Ok(&aws_sig::ECDSA_P521_SHA512_ASN1_SIGNING),
        other => Err(PushCertError::UnsupportedAlgorithm(format!(
            "EC on curve {other}"
        ))),
    }
}

#[cfg(test)]
mod tests;
