//! The client's key, CSR and signer certificate, made as micromdm's
//! scepclient makes them.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use cryptoutil::cert::{self, Certificate, CertificateProfile, ID_KP_SERVER_AUTH, KeyUsage};
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::const_oid::{AssociatedOid, ObjectIdentifier};
use cryptoutil::der::asn1::{Any, Ia5String, PrintableStringRef, SetOfVec, Utf8StringRef};
use cryptoutil::x509_cert::attr::AttributeTypeAndValue;
use cryptoutil::x509_cert::ext::Extension;
use cryptoutil::x509_cert::ext::pkix::SubjectAltName;
use cryptoutil::x509_cert::ext::pkix::name::GeneralName;
use cryptoutil::x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use cryptoutil::{PrivateKey, RsaPrivateKey};
use pkcs8::der::Decode;

use crate::args::Args;

/// How long the self-signed signer certificate is valid, as micromdm's.
const SIGNER_VALIDITY: Duration = Duration::from_secs(3600);

/// Loads the key at `path` (PKCS#1 or PKCS#8 PEM), or generates an RSA key
/// of `bits` bits and writes it there as PKCS#1 PEM (`RSA PRIVATE KEY`),
/// readable by the owner only. Returns the key and whether it was created.
pub(crate) fn load_or_create_key(
    path: &Path,
    bits: usize,
) -> Result<(RsaPrivateKey, bool), String> {
    match std::fs::read_to_string(path) {
        Ok(pem) => RsaPrivateKey::from_pem(&pem)
            .map(|key| (key, false))
            .map_err(|e| format!("cannot load the private key {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = RsaPrivateKey::generate(bits)
                .map_err(|e| format!("cannot generate an RSA key: {e}"))?;
            write_new(path, pkcs1_pem(&key)?.as_bytes())
                .map_err(|e| format!("cannot write the private key {}: {e}", path.display()))?;
            Ok((key, true))
        }
        Err(e) => Err(format!(
            "cannot read the private key {}: {e}",
            path.display()
        )),
    }
}

/// The key as PKCS#1 PEM: the RSAPrivateKey inside its PKCS#8 wrapping.
fn pkcs1_pem(key: &RsaPrivateKey) -> Result<String, String> {
    let info = pkcs8::PrivateKeyInfo::from_der(key.to_pkcs8_der())
        .map_err(|e| format!("cannot encode the private key: {e}"))?;
    Ok(cryptoutil::pem::encode("RSA PRIVATE KEY", info.private_key))
}

/// Creates `path` (never overwriting) with mode 0600 and writes `data`.
fn write_new(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

/// The CSR subject: C, ST, L, O, OU, CN in Go's order, empty values left out.
pub(crate) fn subject(args: &Args) -> Result<Name, String> {
    name(&[
        (rfc4519::C, &args.country),
        (rfc4519::ST, &args.province),
        (rfc4519::L, &args.locality),
        (rfc4519::O, &args.organization),
        (rfc4519::OU, &args.ou),
        (rfc4519::CN, &args.cn),
    ])
}

/// A Name of one attribute per RDN; values are PrintableString when they
/// fit, else UTF8String, as Go encodes them.
fn name(attributes: &[(ObjectIdentifier, &str)]) -> Result<Name, String> {
    let mut rdns = Vec::new();
    for (oid, value) in attributes.iter().filter(|(_, v)| !v.is_empty()) {
        let value = match PrintableStringRef::new(value) {
            Ok(printable) => Any::encode_from(&printable),
            Err(_) => Utf8StringRef::new(value).and_then(|s| Any::encode_from(&s)),
        }
        .map_err(|e| format!("cannot encode {value:?} in a name: {e}"))?;
        let atv = AttributeTypeAndValue { oid: *oid, value };
        let set = SetOfVec::try_from(vec![atv]).map_err(|e| format!("name: {e}"))?;
        rdns.push(RelativeDistinguishedName(set));
    }
    Ok(RdnSequence(rdns))
}

/// The CSR, with the challenge password and the DNS names (as a requested
/// subjectAltName) when given.
pub(crate) fn csr(args: &Args, key: &RsaPrivateKey) -> Result<Vec<u8>, String> {
    let mut extensions = Vec::new();
    if !args.dns_names.is_empty() {
        extensions.push(subject_alt_name(&args.dns_names)?);
    }
    cryptoutil::csr::build(subject(args)?, key, args.challenge.as_deref(), &extensions)
        .map_err(|e| format!("cannot build the CSR: {e}"))
}

fn subject_alt_name(dns_names: &[String]) -> Result<Extension, String> {
    let names = dns_names
        .iter()
        .map(|n| Ia5String::new(n).map(GeneralName::DnsName))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--dns-names: not an ASCII name: {e}"))?;
    cert::extension(SubjectAltName::OID, false, &SubjectAltName(names))
        .map_err(|e| format!("cannot encode the subjectAltName: {e}"))
}

/// The self-signed certificate a first enrollment is signed with:
/// CN "SCEP SIGNER", O from `--organization`, valid for an hour,
/// keyEncipherment and digitalSignature, as micromdm's.
pub(crate) fn self_signed_signer(args: &Args, key: &RsaPrivateKey) -> Result<Certificate, String> {
    let failed = |e: cryptoutil::Error| format!("cannot make the signer certificate: {e}");
    let mut profile = CertificateProfile::new(1).map_err(failed)?;
    profile.not_after = SystemTime::now() + SIGNER_VALIDITY;
    profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
    profile.extended_key_usage = vec![ID_KP_SERVER_AUTH];
    profile.basic_constraints = Some((false, None));
    let subject = name(&[
        (rfc4519::O, &args.organization),
        (rfc4519::CN, "SCEP SIGNER"),
    ])?;
    cert::self_signed(subject, key, &profile).map_err(failed)
}

/// The certificate at `path`, if the file exists: the signer of a
/// RenewalReq. It must be for `key`.
pub(crate) fn existing_certificate(
    path: &Path,
    key: &RsaPrivateKey,
) -> Result<Option<Certificate>, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let certificate = cert::from_pem_or_der(&bytes)
        .ok()
        .and_then(|certs| certs.into_iter().next())
        .ok_or_else(|| format!("{} is not a certificate", path.display()))?;
    if certificate.tbs_certificate.subject_public_key_info != *key.public_key().spki() {
        return Err(format!(
            "{} is for another key than the private key",
            path.display()
        ));
    }
    Ok(Some(certificate))
}

/// Writes the issued certificate as PEM.
pub(crate) fn write_certificate(path: &Path, certificate: &Certificate) -> Result<(), String> {
    let pem =
        cert::to_pem(certificate).map_err(|e| format!("cannot encode the certificate: {e}"))?;
    std::fs::write(path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
