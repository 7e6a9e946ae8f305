//! Certificate revocation lists (RFC 5280 §5): building and signing an
//! X.509 v2 CRL, as a SCEP server returns for GetCRL, and reading the
//! revoked serials back.

use std::time::SystemTime;

use const_oid::AssociatedOid;
use der::asn1::{BitString, OctetString, Uint};
use der::{Decode, Encode};
use x509_cert::Version;
use x509_cert::crl::{RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, SubjectKeyIdentifier};
use x509_cert::serial_number::SerialNumber;

pub use x509_cert::crl::CertificateList;

use crate::algorithm::SignatureAlgorithm;
use crate::cert::{self, Certificate, x509_time};
use crate::error::{Error, Result};
use crate::key::PrivateKey;

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedCertificate {
    /// The certificate's serial number, big-endian and positive, at most
    /// 20 bytes (as in [`cert::CertificateProfile::serial`]).
    pub serial: Vec<u8>,
    /// When the certificate was revoked.
    pub revoked_at: SystemTime,
}

/// Builds and signs an X.509 v2 CRL (RFC 5280 §5) issued by `issuer` (its
/// subject becomes the CRL issuer), listing `revoked`, with thisUpdate =
/// `this_update`, nextUpdate = `next_update`, a cRLNumber extension =
/// `number` and an authorityKeyIdentifier, signed with SHA-256 RSA by
/// `issuer_key`. Returns DER.
///
/// The authorityKeyIdentifier is the issuer certificate's
/// subjectKeyIdentifier, or, when it has none, the issuer key's
/// [`crate::PublicKey::subject_key_identifier`] (the same value for a CA
/// this crate issued).
///
/// An empty `revoked` omits revokedCertificates, as RFC 5280 §5.1.2.6
/// asks. Times are UTCTime through 2049 and GeneralizedTime after.
///
/// Fails with [`Error::InvalidCrl`] when `issuer_key` is not the key of
/// `issuer`'s certificate, when `next_update` precedes `this_update`, or
/// when a serial is empty or longer than 20 bytes.
pub fn build(
    issuer: &Certificate,
    issuer_key: &dyn PrivateKey,
    revoked: &[RevokedCertificate],
    this_update: SystemTime,
    next_update: SystemTime,
    number: u64,
) -> Result<Vec<u8>> {
    let issuer_spki = &issuer.tbs_certificate.subject_public_key_info;
    if issuer_spki.subject_public_key.raw_bytes() != issuer_key.public_key().pkcs1_der() {
        return Err(Error::InvalidCrl(
            "issuer key does not match the issuer certificate",
        ));
    }
    if next_update < this_update {
        return Err(Error::InvalidCrl("nextUpdate precedes thisUpdate"));
    }
    let signature = SignatureAlgorithm::RSA_SHA256;
    let tbs = TbsCertList {
        version: Version::V2,
        signature: signature.identifier(),
        issuer: issuer.tbs_certificate.subject.clone(),
        this_update: x509_time(this_update)?,
        next_update: Some(x509_time(next_update)?),
        revoked_certificates: revoked_entries(revoked)?,
        crl_extensions: Some(crl_extensions(issuer, issuer_key, number)?),
    };
    let tbs_der = tbs.to_der().map_err(Error::asn1("TBSCertList"))?;
    let signature_value = issuer_key.sign(signature, &tbs_der)?;
    let crl = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: signature.identifier(),
        signature: BitString::from_bytes(&signature_value).map_err(Error::asn1("signature"))?,
    };
    crl.to_der().map_err(Error::asn1("CertificateList"))
}

/// The revokedCertificates entries, or `None` when there are none.
fn revoked_entries(revoked: &[RevokedCertificate]) -> Result<Option<Vec<RevokedCert>>> {
    if revoked.is_empty() {
        return Ok(None);
    }
    let entries = revoked
        .iter()
        .map(|r| {
            // `SerialNumber::new` accepts an empty slice and encodes an
            // INTEGER of length zero, which is not DER.
            let serial = SerialNumber::new(&r.serial)
                .ok()
                .filter(|_| !r.serial.is_empty())
                .ok_or(Error::InvalidCrl("serial number must be 1 to 20 bytes"))?;
            Ok(RevokedCert {
                serial_number: serial,
                revocation_date: x509_time(r.revoked_at)?,
                crl_entry_extensions: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(entries))
}

/// authorityKeyIdentifier and cRLNumber, both non-critical (RFC 5280
/// §5.2.1 and §5.2.3).
///
/// The key identifier is the issuer certificate's subjectKeyIdentifier when
/// it has one: a CA made elsewhere (openssl uses a SHA-1 hash) has another
/// than ours, and openssl then finds no CRL for its certificates ("unable
/// to get certificate CRL"). Otherwise it is the key's own.
fn crl_extensions(
    issuer: &Certificate,
    issuer_key: &dyn PrivateKey,
    number: u64,
) -> Result<Vec<Extension>> {
    let key_id = match cert::find_extension::<SubjectKeyIdentifier>(issuer) {
        Some(ski) => ski.0,
        None => OctetString::new(issuer_key.public_key().subject_key_identifier())
            .map_err(Error::asn1("AKI"))?,
    };
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(key_id),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    let number = CrlNumber(Uint::new(&number.to_be_bytes()).map_err(Error::asn1("cRLNumber"))?);
    Ok(vec![
        cert::extension(AuthorityKeyIdentifier::OID, false, &aki)?,
        cert::extension(CrlNumber::OID, false, &number)?,
    ])
}

/// Parses a DER CRL and returns the revoked serials, in the CRL's order,
/// big-endian without leading zero bytes (a negative serial from a
/// non-conforming CA keeps its two's-complement bytes).
///
/// The signature is not checked. Only v2 CRLs parse: x509-cert 0.2 requires
/// the version field, which v1 CRLs omit.
pub fn revoked_serials(der: &[u8]) -> Result<Vec<Vec<u8>>> {
    let crl = CertificateList::from_der(der).map_err(Error::asn1("CertificateList"))?;
    let serials = crl
        .tbs_cert_list
        .revoked_certificates
        .unwrap_or_default()
        .into_iter()
        .map(|entry| {
            let bytes = entry.serial_number.as_bytes();
            match bytes {
                [0, rest @ ..] if !rest.is_empty() => rest.to_vec(),
                _ => bytes.to_vec(),
            }
        })
        .collect();
    Ok(serials)
}
