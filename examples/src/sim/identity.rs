//! The device's SCEP request: its subject, CSR and self-signed signer, made
//! as a Mac makes them from the profile's SCEP payload.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, Certificate, CertificateProfile, KeyUsage};
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::der::asn1::{Any, PrintableStringRef, SetOfVec, Utf8StringRef};
use cryptoutil::x509_cert::attr::AttributeTypeAndValue;
use cryptoutil::x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use nanomdm::testing::device::Device;

/// How long the self-signed SCEP signer is valid: it only signs one request.
const SIGNER_VALIDITY: Duration = Duration::from_secs(3600);

/// `value` with the per-device variables replaced: `%HardwareUUID%` by the
/// UDID and `%SerialNumber%` by the serial number.
pub fn substitute(value: &str, device: &Device) -> String {
    value
        .replace("%HardwareUUID%", &device.udid)
        .replace("%SerialNumber%", &device.serial_number)
}

/// The CSR subject from the profile's `Subject` (per-device variables
/// replaced), one RDN per inner list.
pub(crate) fn subject(rdns: &[Vec<(String, String)>], device: &Device) -> anyhow::Result<Name> {
    name(rdns, |value| substitute(value, device))
}

/// A name of `rdns`, each value passed through `fill`.
fn name(rdns: &[Vec<(String, String)>], fill: impl Fn(&str) -> String) -> anyhow::Result<Name> {
    let mut sequence = Vec::new();
    for rdn in rdns {
        let mut attributes = Vec::new();
        for (kind, value) in rdn {
            let value = fill(value);
            attributes.push(AttributeTypeAndValue {
                oid: attribute_oid(kind)?,
                value: string_value(&value)?,
            });
        }
        let set = SetOfVec::try_from(attributes).context("subject RDN")?;
        sequence.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(sequence))
}

/// The OID of a `Subject` attribute type: Apple's short names, or a
/// dotted OID.
fn attribute_oid(kind: &str) -> anyhow::Result<ObjectIdentifier> {
    Ok(match kind {
        "C" => rfc4519::C,
        "ST" => rfc4519::ST,
        "L" => rfc4519::L,
        "O" => rfc4519::O,
        "OU" => rfc4519::OU,
        "CN" => rfc4519::CN,
        dotted => match ObjectIdentifier::new(dotted) {
            Ok(oid) => oid,
            Err(_) => bail!("unknown Subject attribute type {dotted:?}"),
        },
    })
}

/// PrintableString when the value fits, else UTF8String, as devices encode.
fn string_value(value: &str) -> anyhow::Result<Any> {
    match PrintableStringRef::new(value) {
        Ok(printable) => Any::encode_from(&printable),
        Err(_) => Utf8StringRef::new(value).and_then(|s| Any::encode_from(&s)),
    }
    .with_context(|| format!("cannot encode {value:?} in the subject"))
}

/// The self-signed certificate a first SCEP request is signed with.
pub(crate) fn signer(key: &RsaPrivateKey) -> anyhow::Result<Certificate> {
    let mut profile = CertificateProfile::new(1)?;
    profile.not_after = SystemTime::now() + SIGNER_VALIDITY;
    profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
    let cn = [vec![("CN".to_owned(), "device-sim SCEP signer".to_owned())]];
    Ok(cert::self_signed(name(&cn, str::to_owned)?, key, &profile)?)
}

/// A second handle on `key` (aws-lc keys are not `Clone`).
pub(crate) fn copy_key(key: &RsaPrivateKey) -> anyhow::Result<RsaPrivateKey> {
    Ok(RsaPrivateKey::from_pkcs8_der(key.to_pkcs8_der())?)
}

#[cfg(test)]
mod tests {
    use cryptoutil::x509_cert::der::Encode as _;

    use super::*;

    #[test]
    fn subject_variables_become_the_device_udid_and_serial() {
        let device = Device::new("com.apple.mgmt.External.test").unwrap();
        let rdns = vec![
            vec![("O".to_owned(), "device-sim".to_owned())],
            vec![("CN".to_owned(), "%HardwareUUID% %SerialNumber%".to_owned())],
        ];
        let name = subject(&rdns, &device).unwrap();
        let expected = format!("{} {}", device.udid, device.serial_number);
        assert_eq!(
            cert::name_attribute(&name, rfc4519::CN).as_deref(),
            Some(expected.as_str())
        );
        assert_eq!(
            cert::name_attribute(&name, rfc4519::O).as_deref(),
            Some("device-sim")
        );
        assert!(name.to_der().is_ok());
    }

    #[test]
    fn an_unknown_subject_type_is_an_error_and_a_dotted_oid_is_not() {
        let device = Device::new("com.apple.mgmt.External.test").unwrap();
        let unknown = vec![vec![("XYZ".to_owned(), "x".to_owned())]];
        let error = subject(&unknown, &device).unwrap_err().to_string();
        assert!(error.contains("XYZ"), "{error}");
        let email = vec![vec![("1.2.840.113549.1.9.1".to_owned(), "a@b".to_owned())]];
        assert!(subject(&email, &device).is_ok());
    }
}
