//! X.509 certificates: loading, issuance with a caller-given profile,
//! signature and validity checks, and the APNs topic of a push certificate.

use std::time::{Duration, SystemTime};

use const_oid::db::{rfc4519, rfc5280};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{BitString, OctetString, UtcTime};
use der::{Decode, Encode};
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

pub use x509_cert::Certificate;

use crate::algorithm::SignatureAlgorithm;
use crate::error::{Error, Result};
use crate::key::{PrivateKey, PublicKey};
use crate::pem;

/// `id-kp-clientAuth` (1.3.6.1.5.5.7.3.2).
pub const ID_KP_CLIENT_AUTH: ObjectIdentifier = rfc5280::ID_KP_CLIENT_AUTH;
/// `id-kp-serverAuth` (1.3.6.1.5.5.7.3.1).
pub const ID_KP_SERVER_AUTH: ObjectIdentifier = rfc5280::ID_KP_SERVER_AUTH;

/// One bit of the KeyUsage extension (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsage {
    /// digitalSignature (0).
    DigitalSignature = 0,
    /// nonRepudiation / contentCommitment (1).
    NonRepudiation = 1,
    /// keyEncipherment (2).
    KeyEncipherment = 2,
    /// dataEncipherment (3).
    DataEncipherment = 3,
    /// keyAgreement (4).
    KeyAgreement = 4,
    /// keyCertSign (5).
    KeyCertSign = 5,
    /// cRLSign (6).
    CrlSign = 6,
}

/// What goes into an issued certificate besides subject and key.
#[derive(Debug, Clone)]
pub struct CertificateProfile {
    /// Serial number, big-endian, positive (at most 20 bytes).
    pub serial: Vec<u8>,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
    /// KeyUsage bits (marked critical); empty means no KeyUsage extension.
    pub key_usage: Vec<KeyUsage>,
    /// ExtendedKeyUsage purposes; empty means no EKU extension.
    pub extended_key_usage: Vec<ObjectIdentifier>,
    /// `Some` adds a critical basicConstraints with `cA` and the path length.
    pub basic_constraints: Option<(bool, Option<u8>)>,
    /// Further extensions copied verbatim (e.g. subjectAltName from a CSR).
    pub extensions: Vec<Extension>,
    /// Signature algorithm of the issuer.
    pub signature: SignatureAlgorithm,
}

impl CertificateProfile {
    /// A profile valid from five minutes ago (clock skew) for `days` days,
    /// signed with SHA-256, with a random 16-byte serial and no extensions.
    pub fn new(days: u32) -> Result<Self> {
        let now = SystemTime::now();
        let mut serial = vec![0u8; 16];
        crate::algorithm::fill_random(&mut serial)?;
        serial[0] &= 0x7f; // positive
        serial[0] |= 0x01; // and of fixed length
        Ok(Self {
            serial,
            not_before: now - Duration::from_secs(300),
            not_after: now + Duration::from_secs(u64::from(days) * 86_400),
            key_usage: Vec::new(),
            extended_key_usage: Vec::new(),
            basic_constraints: None,
            extensions: Vec::new(),
            signature: SignatureAlgorithm::RSA_SHA256,
        })
    }

    /// The profile of a certificate authority: keyCertSign, cRLSign,
    /// digitalSignature and keyEncipherment (RFC 8894 §2.1.2 wants the last
    /// two on a SCEP CA, which decrypts requests) and `cA` true.
    pub fn certificate_authority(days: u32) -> Result<Self> {
        let mut profile = Self::new(days)?;
        profile.key_usage = vec![
            KeyUsage::DigitalSignature,
            KeyUsage::KeyEncipherment,
            KeyUsage::KeyCertSign,
            KeyUsage::CrlSign,
        ];
        profile.basic_constraints = Some((true, None));
        Ok(profile)
    }
}

/// The issuer of a certificate being built: its certificate, or `None` when
/// the certificate is self-signed, and its key.
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    /// The issuer's certificate; `None` for a self-signed certificate.
    pub certificate: Option<&'a Certificate>,
    /// The issuer's private key.
    pub key: &'a dyn PrivateKey,
}

/// Issues a certificate for `subject` and `subject_key`, signed by `issuer`.
pub fn issue(
    subject: Name,
    subject_key: &PublicKey,
    profile: &CertificateProfile,
    issuer: Issuer<'_>,
) -> Result<Certificate> {
    let issuer_name = match issuer.certificate {
        Some(cert) => cert.tbs_certificate.subject.clone(),
        None => subject.clone(),
    };
    if profile.serial.is_empty() || profile.serial.len() > 20 {
        return Err(Error::InvalidCertificate(
            "serial number must be 1 to 20 bytes",
        ));
    }
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&profile.serial)
            .map_err(|_| Error::InvalidCertificate("serial number must be 1 to 20 bytes"))?,
        signature: profile.signature.identifier(),
        issuer: issuer_name,
        validity: Validity {
            not_before: x509_time(profile.not_before)?,
            not_after: x509_time(profile.not_after)?,
        },
        subject,
        subject_public_key_info: subject_key.spki().clone(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions(subject_key, profile, issuer)?),
    };
    let tbs_der = tbs.to_der().map_err(Error::asn1("TBSCertificate"))?;
    let signature = issuer.key.sign(profile.signature, &tbs_der)?;
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: profile.signature.identifier(),
        signature: BitString::from_bytes(&signature).map_err(Error::asn1("signature"))?,
    })
}

/// Issues a self-signed certificate for `key`.
pub fn self_signed(
    subject: Name,
    key: &dyn PrivateKey,
    profile: &CertificateProfile,
) -> Result<Certificate> {
    issue(
        subject,
        key.public_key(),
        profile,
        Issuer {
            certificate: None,
            key,
        },
    )
}

fn extensions(
    subject_key: &PublicKey,
    profile: &CertificateProfile,
    issuer: Issuer<'_>,
) -> Result<Vec<Extension>> {
    let mut out = Vec::new();
    if let Some((ca, path_len)) = profile.basic_constraints {
        let bc = BasicConstraints {
            ca,
            path_len_constraint: path_len,
        };
        out.push(extension(BasicConstraints::OID, true, &bc)?);
    }
    if !profile.key_usage.is_empty() {
        out.push(extension(
            rfc5280::ID_CE_KEY_USAGE,
            true,
            &key_usage_bits(&profile.key_usage)?,
        )?);
    }
    if !profile.extended_key_usage.is_empty() {
        let eku = ExtendedKeyUsage(profile.extended_key_usage.clone());
        out.push(extension(ExtendedKeyUsage::OID, false, &eku)?);
    }
    let ski = OctetString::new(subject_key.subject_key_identifier()).map_err(Error::asn1("SKI"))?;
    out.push(extension(
        rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &ski,
    )?);
    if let Some(issuer_certificate) = issuer.certificate {
        // Chains are built by matching AKI to the issuer's own SKI, which a
        // foreign CA may have computed differently (openssl uses SHA-1).
        let key_identifier = match find_extension::<SubjectKeyIdentifier>(issuer_certificate) {
            Some(ski) => ski.0,
            None => OctetString::new(issuer.key.public_key().subject_key_identifier())
                .map_err(Error::asn1("AKI"))?,
        };
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(key_identifier),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        };
        out.push(extension(AuthorityKeyIdentifier::OID, false, &aki)?);
    }
    out.extend(profile.extensions.iter().cloned());
    Ok(out)
}

/// Builds an extension whose value is the DER of `value`.
pub fn extension(oid: ObjectIdentifier, critical: bool, value: &impl Encode) -> Result<Extension> {
    let der = value.to_der().map_err(Error::asn1("extension"))?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der).map_err(Error::asn1("extension"))?,
    })
}

/// DER named BIT STRING: bit 0 is the most significant bit of the first
/// byte, and trailing zero bits are dropped.
fn key_usage_bits(usages: &[KeyUsage]) -> Result<BitString> {
    let bits = usages
        .iter()
        .fold(0u16, |acc, u| acc | (0x8000 >> (*u as u16)));
    let bytes = bits.to_be_bytes();
    let used = if bytes[1] == 0 {
        &bytes[..1]
    } else {
        &bytes[..]
    };
    let last = used.last().copied().unwrap_or(0);
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    BitString::new(unused, used).map_err(Error::asn1("KeyUsage"))
}

/// UTCTime through 2049 and GeneralizedTime from 2050, as RFC 5280 §4.1.2.5
/// requires.
pub(crate) fn x509_time(t: SystemTime) -> Result<Time> {
    let time = match UtcTime::from_system_time(t) {
        Ok(utc) => Time::UtcTime(utc),
        Err(_) => Time::try_from(t).map_err(Error::asn1("validity time"))?,
    };
    Ok(time)
}

/// Parses one DER certificate.
pub fn from_der(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der).map_err(Error::asn1("certificate"))
}

/// Parses every `CERTIFICATE` block of a PEM document, in order.
pub fn from_pem(pem: &str) -> Result<Vec<Certificate>> {
    let certs = pem::blocks(pem)?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| from_der(&b.der))
        .collect::<Result<Vec<_>>>()?;
    if certs.is_empty() {
        return Err(Error::Pem("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// Parses certificates given as PEM (one or more) or as one DER certificate.
pub fn from_pem_or_der(bytes: &[u8]) -> Result<Vec<Certificate>> {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("-----BEGIN") => from_pem(text),
        _ => Ok(vec![from_der(bytes)?]),
    }
}

/// Encodes a certificate as PEM.
pub fn to_pem(cert: &Certificate) -> Result<String> {
    let der = cert.to_der().map_err(Error::asn1("certificate"))?;
    Ok(pem::encode("CERTIFICATE", &der))
}

/// The certificate's public key.
pub fn public_key(cert: &Certificate) -> Result<PublicKey> {
    PublicKey::from_spki(cert.tbs_certificate.subject_public_key_info.clone())
}

/// Checks that `cert` names `issuer` as its issuer and carries a valid
/// signature by `issuer`'s key. No other path validation is done.
pub fn verify_issued_by(cert: &Certificate, issuer: &Certificate) -> Result<()> {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return Err(Error::InvalidCertificate("issuer name does not match"));
    }
    let algorithm = SignatureAlgorithm::from_oid(cert.signature_algorithm.oid)?;
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(Error::asn1("TBSCertificate"))?;
    let signature = cert
        .signature
        .as_bytes()
        .ok_or(Error::InvalidCertificate("signature has unused bits"))?;
    public_key(issuer)?.verify(algorithm, &tbs, signature)
}

/// Whether `at` lies within the certificate's validity period.
pub fn is_valid_at(cert: &Certificate, at: SystemTime) -> bool {
    let validity = &cert.tbs_certificate.validity;
    validity.not_before.to_system_time() <= at && at <= validity.not_after.to_system_time()
}

/// Whether the certificate has basicConstraints with `cA` true.
pub fn is_ca(cert: &Certificate) -> bool {
    find_extension::<BasicConstraints>(cert).is_some_and(|bc| bc.ca)
}

/// Decodes the extension of type `T`, if present and well formed.
pub fn find_extension<T: AssociatedOid + for<'a> Decode<'a>>(cert: &Certificate) -> Option<T> {
    let ext = cert
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == T::OID)?;
    T::from_der(ext.extn_value.as_bytes()).ok()
}

/// The subject's first attribute of type `oid`, as a string.
pub fn subject_attribute(cert: &Certificate, oid: ObjectIdentifier) -> Option<String> {
    name_attribute(&cert.tbs_certificate.subject, oid)
}

/// The first attribute of type `oid` in `name`, as a string (UTF8String,
/// PrintableString or IA5String).
pub fn name_attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| crate::attribute::any_to_string(&atv.value))
}

/// The subject's common name.
pub fn common_name(cert: &Certificate) -> Option<String> {
    subject_attribute(cert, rfc4519::CN)
}

/// The APNs topic of an MDM push certificate: the subject's UID attribute
/// (0.9.2342.19200300.100.1.1), which must start with `com.apple.mgmt.`.
pub fn apns_topic(cert: &Certificate) -> Result<String> {
    let topic = subject_attribute(cert, rfc4519::UID).ok_or(Error::NoApnsTopic(
        "certificate subject has no UID attribute",
    ))?;
    if !topic.starts_with("com.apple.mgmt.") {
        return Err(Error::NoApnsTopic(
            "UID does not start with com.apple.mgmt.",
        ));
    }
    Ok(topic)
}

/// The SHA-256 fingerprint of the certificate's DER encoding.
pub fn sha256_fingerprint(cert: &Certificate) -> Result<Vec<u8>> {
    let der = cert.to_der().map_err(Error::asn1("certificate"))?;
    Ok(crate::algorithm::DigestAlgorithm::Sha256.digest(&der))
}
