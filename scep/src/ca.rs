//! CA initialisation (micromdm's `scepserver ca -init`), fixed to give the
//! CA digitalSignature and keyEncipherment as RFC 8894 §2.1.2 requires of a
//! certificate that signs CertReps and decrypts requests.

use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::der::asn1::{Any, SetOfVec};
use cryptoutil::der::{self, Tag, asn1};
use cryptoutil::x509_cert::attr::AttributeTypeAndValue;
use cryptoutil::x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use cryptoutil::{PrivateKey, RsaPrivateKey};

use crate::error::{Error, Result};

/// How to make a new CA. Defaults follow `scepserver ca -init`.
#[derive(Debug, Clone)]
pub struct CaOptions {
    /// RSA key size in bits (default 4096).
    pub key_bits: usize,
    /// Validity in years (default 10).
    pub years: u32,
    /// Country (default `US`).
    pub country: String,
    /// Organization (default `scep-ca`).
    pub organization: String,
    /// Organizational unit (default `SCEP CA`).
    pub organizational_unit: String,
    /// Common name (default `MICROMDM SCEP CA`; empty leaves it out, as
    /// scepserver 2.1.0 did).
    pub common_name: String,
}

impl Default for CaOptions {
    fn default() -> Self {
        Self {
            key_bits: 4096,
            years: 10,
            country: "US".into(),
            organization: "scep-ca".into(),
            organizational_unit: "SCEP CA".into(),
            common_name: "MICROMDM SCEP CA".into(),
        }
    }
}

/// Creates a self-signed CA: serial 1, basicConstraints cA, keyCertSign,
/// cRLSign, digitalSignature and keyEncipherment, SHA-256.
pub fn init(options: &CaOptions) -> Result<(Certificate, RsaPrivateKey)> {
    let key = RsaPrivateKey::generate(options.key_bits).map_err(Error::Build)?;
    let mut profile = CertificateProfile::certificate_authority(options.years.saturating_mul(365))
        .map_err(Error::Build)?;
    profile.serial = vec![1];
    let certificate = cert::self_signed(subject(options)?, &key, &profile).map_err(Error::Build)?;
    debug_assert_eq!(
        key.public_key(),
        &cert::public_key(&certificate).map_err(Error::Build)?
    );
    Ok((certificate, key))
}

/// C, O, OU, CN in that order, leaving out empty fields.
fn subject(options: &CaOptions) -> Result<Name> {
    let fields: [(ObjectIdentifier, &str, Tag); 4] = [
        (rfc4519::C, &options.country, Tag::PrintableString),
        (rfc4519::O, &options.organization, Tag::Utf8String),
        (rfc4519::OU, &options.organizational_unit, Tag::Utf8String),
        (rfc4519::CN, &options.common_name, Tag::Utf8String),
    ];
    let mut rdns = Vec::new();
    for (oid, value, tag) in fields.into_iter().filter(|(_, v, _)| !v.is_empty()) {
        if tag == Tag::PrintableString {
            asn1::PrintableStringRef::new(value).map_err(|e| build("country", e))?;
        }
        let value = Any::new(tag, value.as_bytes()).map_err(|e| build("subject", e))?;
        let atv = AttributeTypeAndValue { oid, value };
        let set = SetOfVec::try_from(vec![atv]).map_err(|e| build("subject", e))?;
        rdns.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(rdns))
}

fn build(what: &'static str, source: der::Error) -> Error {
    Error::Build(cryptoutil::Error::Asn1 { what, source })
}
