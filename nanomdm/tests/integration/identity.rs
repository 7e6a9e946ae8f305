//! Identity extraction and trust: the real `Mdm-Signature` vectors, proxy
//! header encodings of certificates made with openssl at test time, and
//! trust-store verification against CAs made with openssl.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use cryptoutil::cert::{self, Certificate};
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::der::Encode as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use nanomdm::IdentityError;
use nanomdm::identity::{
    self, ClientIdentity, ExtractConfig, IdentitySource, TrustStore, from_mdm_signature,
    from_proxy_header, from_tls_certificate, parse_mdm_signature,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// SHA-256 of the header-2 signer certificate, from
/// `openssl pkcs7 -print_certs | openssl x509 -fingerprint -sha256`.
const HEADER2_FINGERPRINT: &str =
    "9704ca2f1ea3ea1eaaebd5013b0803d920e813ccf0d4b7d8808499a15f6a4716";
/// SHA-256 of the header-1 signer certificate, computed the same way.
const HEADER1_FINGERPRINT: &str =
    "9acceeda1c02be03fa55803d778b55f154fcc40c217e6185d30e0857af9e75c0";

/// What nginx's `$ssl_client_escaped_cert` leaves unescaped.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn at(unix_seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix_seconds)
}

/// 2026-01-01T00:00:00Z, inside the header-2 certificate's 2021–2031 validity.
fn in_2026() -> SystemTime {
    at(1_767_225_600)
}

/// 2035-01-01T00:00:00Z.
fn in_2035() -> SystemTime {
    at(2_051_222_400)
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/micromdm-nanomdm/cryptoutil")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn header(n: u8) -> String {
    fixture(&format!("mdmSignatureHeader{n}.b64"))
}

fn body2() -> Vec<u8> {
    STANDARD
        .decode(fixture("mdmSignatureBody2.b64").trim())
        .unwrap()
}

fn der(certificate: &Certificate) -> Vec<u8> {
    certificate.to_der().unwrap()
}

/// The signer certificate of header 1, which has no body fixture.
fn header1_certificate() -> Certificate {
    let message = parse_mdm_signature(&header(1)).unwrap();
    message.certificates()[0].clone()
}

/// A scratch directory for openssl, unique per process and test, removed
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("nanomdm-identity-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Runs openssl in the scratch directory; `command` is split on
    /// whitespace (no argument here contains any).
    fn openssl(&self, command: &str) {
        let output = Command::new("openssl")
            .args(command.split_whitespace())
            .current_dir(&self.0)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "openssl {command}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).unwrap()
    }

    fn certificate(&self, name: &str) -> Certificate {
        cert::from_pem(&self.read(name)).unwrap().remove(0)
    }

    /// A self-signed certificate (a CA, per openssl's defaults) as
    /// `{name}.pem` with key `{name}.key`.
    fn self_signed(&self, name: &str, days: u32) -> Certificate {
        self.openssl(&format!(
            "req -x509 -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.pem \
             -days {days} -subj /CN={name}"
        ));
        self.certificate(&format!("{name}.pem"))
    }

    /// A certificate for `name`, valid for `days`, issued by CA `ca`.
    fn issued(&self, name: &str, ca: &str, days: u32) -> Certificate {
        self.openssl(&format!(
            "req -new -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr \
             -subj /CN={name}"
        ));
        self.openssl(&format!(
            "x509 -req -in {name}.csr -CA {ca}.pem -CAkey {ca}.key -set_serial 7 \
             -days {days} -out {name}.pem"
        ));
        self.certificate(&format!("{name}.pem"))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a leftover directory in temp is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn header_2_verifies_over_body_2_and_yields_the_scep_issued_device_certificate() {
    let identity = from_mdm_signature(&header(2), &body2()).unwrap();
    let certificate = identity.certificate();
    assert_eq!(identity.source(), IdentitySource::MdmSignature);
    assert_eq!(identity.fingerprint(), HEADER2_FINGERPRINT);
    // openssl shows an empty subject, issuer C=US, O=scep, OU=SCEP CA, CN=ca
    // and serial 34 (0x22).
    assert!(certificate.tbs_certificate.subject.0.is_empty());
    let issuer = &certificate.tbs_certificate.issuer;
    assert_eq!(
        cert::name_attribute(issuer, rfc4519::CN).as_deref(),
        Some("ca")
    );
    assert_eq!(
        cert::name_attribute(issuer, rfc4519::OU).as_deref(),
        Some("SCEP CA")
    );
    assert_eq!(certificate.tbs_certificate.serial_number.as_bytes(), [0x22]);
}

#[test]
fn header_2_over_a_modified_body_is_a_bad_signature() {
    let mut body = body2();
    let idle = body.windows(4).position(|w| w == b"Idle").unwrap();
    body[idle] = b'i';
    let error = from_mdm_signature(&header(2), &body).unwrap_err();
    assert!(matches!(error, IdentityError::BadSignature(_)), "{error:?}");
}

#[test]
fn header_2_tolerates_surrounding_whitespace() {
    let padded = format!("  {}\r\n", header(2).trim());
    let identity = from_mdm_signature(&padded, &body2()).unwrap();
    assert_eq!(identity.fingerprint(), HEADER2_FINGERPRINT);
}

#[test]
fn header_1_parses_as_a_detached_signature_with_one_signer_and_its_certificate() {
    let message = parse_mdm_signature(&header(1)).unwrap();
    assert!(message.content().is_none());
    assert_eq!(message.signer_infos().count(), 1);
    assert_eq!(message.certificates().len(), 1);
    let identity = from_tls_certificate(&der(&header1_certificate())).unwrap();
    assert_eq!(identity.fingerprint(), HEADER1_FINGERPRINT);
}

#[test]
fn a_header_that_is_not_base64_is_a_signature_encoding_error() {
    let error = from_mdm_signature("not base64 at all!", b"body").unwrap_err();
    assert!(
        matches!(error, IdentityError::SignatureEncoding(_)),
        "{error:?}"
    );
}

#[test]
fn base64_that_is_not_cms_is_a_malformed_signature() {
    let error = from_mdm_signature(&STANDARD.encode(b"garbage"), b"body").unwrap_err();
    assert!(
        matches!(error, IdentityError::MalformedSignature(_)),
        "{error:?}"
    );
}

#[test]
fn an_empty_or_blank_header_is_missing() {
    for value in ["", "  \t"] {
        let error = from_mdm_signature(value, b"body").unwrap_err();
        assert!(matches!(error, IdentityError::Missing), "{error:?}");
    }
}

#[test]
fn the_three_proxy_header_encodings_yield_the_same_fingerprint() {
    let scratch = Scratch::new("proxy-encodings");
    let certificate = scratch.self_signed("device", 30);
    let pem = scratch.read("device.pem");
    let expected = from_tls_certificate(&der(&certificate)).unwrap();

    let escaped = utf8_percent_encode(&pem, URI_COMPONENT).to_string();
    assert!(escaped.starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
    let rfc9440 = format!(":{}:", STANDARD.encode(der(&certificate)));
    let rfc9440_unpadded = format!(":{}:", STANDARD_NO_PAD.encode(der(&certificate)));
    let spaced = pem.trim().replace('\n', " ");

    for value in [&escaped, &rfc9440, &rfc9440_unpadded, &spaced, &pem] {
        let identity = from_proxy_header(value).unwrap();
        assert_eq!(identity.source(), IdentitySource::ProxyHeader);
        assert_eq!(identity.fingerprint(), expected.fingerprint(), "{value}");
        assert_eq!(identity.certificate(), &certificate);
    }
}

#[test]
fn malformed_proxy_headers_name_the_problem() {
    let cases = [
        (":", "RFC 9440 byte sequence must be ':' base64 ':'"),
        (":TUlJ", "RFC 9440 byte sequence must be ':' base64 ':'"),
        (":!!!:", "RFC 9440 byte sequence is not base64"),
        (
            "hello",
            "neither a PEM certificate nor an RFC 9440 byte sequence",
        ),
        (
            "-----BEGIN PRIVATE KEY-----%0AMIIB%0A-----END PRIVATE KEY-----",
            "first PEM block is not a CERTIFICATE",
        ),
        (
            "-----BEGIN CERTIFICATE----- MIIB",
            "PEM certificate has no END line",
        ),
        (
            "-----BEGIN CERTIFICATE----- ***** -----END CERTIFICATE-----",
            "PEM certificate body is not base64",
        ),
    ];
    for (value, problem) in cases {
        match from_proxy_header(value) {
            Err(IdentityError::MalformedHeader(found)) => assert_eq!(found, problem, "{value}"),
            other => panic!("{value}: {other:?}"),
        }
    }
}

#[test]
fn a_well_framed_proxy_header_without_a_certificate_is_a_malformed_certificate() {
    let value = format!(":{}:", STANDARD.encode(b"not a certificate"));
    let error = from_proxy_header(&value).unwrap_err();
    assert!(
        matches!(error, IdentityError::MalformedCertificate(_)),
        "{error:?}"
    );
    let error = from_tls_certificate(b"not a certificate").unwrap_err();
    assert!(
        matches!(error, IdentityError::MalformedCertificate(_)),
        "{error:?}"
    );
}

#[test]
fn an_empty_proxy_header_is_missing() {
    let error = from_proxy_header(" ").unwrap_err();
    assert!(matches!(error, IdentityError::Missing), "{error:?}");
}

#[test]
fn the_trust_store_accepts_its_cas_certificates_and_rejects_others_and_expired_ones() {
    let scratch = Scratch::new("trust");
    let ca = scratch.self_signed("ca", 3650);
    scratch.self_signed("other-ca", 3650);
    let trusted = scratch.issued("trusted", "ca", 365);
    let stranger = scratch.issued("stranger", "other-ca", 365);
    // Same CA name, another key: only the signature tells them apart.
    let imposter_scratch = Scratch::new("trust-imposter");
    imposter_scratch.self_signed("ca", 3650);
    let imposter = imposter_scratch.issued("imposter", "ca", 365);
    let store = TrustStore::new([ca]);
    let now = SystemTime::now();
    let two_years_on = now + Duration::from_secs(2 * 365 * 24 * 3600);

    let trusted = from_tls_certificate(&der(&trusted)).unwrap();
    store.verify(&trusted, now).unwrap();
    for untrusted in [stranger, imposter] {
        let untrusted = from_tls_certificate(&der(&untrusted)).unwrap();
        assert!(matches!(
            store.verify(&untrusted, now),
            Err(IdentityError::UntrustedIssuer)
        ));
    }
    assert!(matches!(
        store.verify(&trusted, two_years_on),
        Err(IdentityError::Expired)
    ));
}

#[test]
fn an_empty_trust_store_accepts_nothing_and_accept_any_still_checks_validity() {
    let device = from_mdm_signature(&header(2), &body2()).unwrap();
    assert!(matches!(
        TrustStore::default().verify(&device, in_2026()),
        Err(IdentityError::UntrustedIssuer)
    ));
    assert!(matches!(
        TrustStore::new([]).verify(&device, in_2026()),
        Err(IdentityError::UntrustedIssuer)
    ));
    TrustStore::accept_any().verify(&device, in_2026()).unwrap();
}

#[test]
fn the_device_certificate_is_valid_in_2026_and_expired_in_2035() {
    let device = from_mdm_signature(&header(2), &body2()).unwrap();
    let store = TrustStore::accept_any();
    store.verify(&device, in_2026()).unwrap();
    assert!(matches!(
        store.verify(&device, in_2035()),
        Err(IdentityError::Expired)
    ));
    assert!(matches!(
        store.verify(&device, at(1_577_836_800)),
        Err(IdentityError::Expired)
    ));
}

/// Headers with a valid `Mdm-Signature` (header 2) and the header-1
/// certificate in the proxy header `x-client-cert`.
fn all_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        identity::MDM_SIGNATURE,
        HeaderValue::from_str(header(2).trim()).unwrap(),
    );
    let proxy = format!(":{}:", STANDARD.encode(der(&header1_certificate())));
    headers.insert(proxy_header(), HeaderValue::from_str(&proxy).unwrap());
    headers
}

fn proxy_header() -> HeaderName {
    HeaderName::from_static("x-client-cert")
}

fn source(result: Result<ClientIdentity, IdentityError>) -> IdentitySource {
    result.unwrap().source()
}

#[test]
fn extract_uses_only_the_configured_proxy_header() {
    let proxied = ExtractConfig::with_cert_header(proxy_header());
    let tls = der(&header1_certificate());
    let headers = all_headers();
    let identity = identity::extract(&headers, &body2(), Some(&tls), &proxied).unwrap();
    assert_eq!(identity.source(), IdentitySource::ProxyHeader);
    assert_eq!(identity.fingerprint(), HEADER1_FINGERPRINT);

    let mut without_proxy = all_headers();
    without_proxy.remove(proxy_header());
    let error = identity::extract(&without_proxy, &body2(), Some(&tls), &proxied).unwrap_err();
    assert!(matches!(error, IdentityError::Missing), "{error:?}");
}

#[test]
fn extract_prefers_mdm_signature_over_tls_and_falls_back_to_tls() {
    let config = ExtractConfig::new();
    let tls = der(&header1_certificate());
    let headers = all_headers();
    let signed = identity::extract(&headers, &body2(), Some(&tls), &config);
    assert_eq!(source(signed), IdentitySource::MdmSignature);

    let mut blank = HeaderMap::new();
    blank.insert(identity::MDM_SIGNATURE, HeaderValue::from_static(""));
    for headers in [HeaderMap::new(), blank] {
        let tls_only = identity::extract(&headers, &body2(), Some(&tls), &config);
        assert_eq!(source(tls_only), IdentitySource::TlsClientCertificate);
        let error = identity::extract(&headers, &body2(), None, &config).unwrap_err();
        assert!(matches!(error, IdentityError::Missing), "{error:?}");
    }
}

#[test]
fn extract_does_not_fall_back_to_tls_when_the_signature_is_invalid() {
    let tls = der(&header1_certificate());
    let error = identity::extract(
        &all_headers(),
        b"other body",
        Some(&tls),
        &ExtractConfig::new(),
    )
    .unwrap_err();
    assert!(matches!(error, IdentityError::BadSignature(_)), "{error:?}");
}

#[test]
fn extract_rejects_a_repeated_mdm_signature_header() {
    let mut headers = all_headers();
    headers.append(
        identity::MDM_SIGNATURE,
        HeaderValue::from_str(header(1).trim()).unwrap(),
    );
    let error = identity::extract(&headers, &body2(), None, &ExtractConfig::new()).unwrap_err();
    assert!(
        matches!(error, IdentityError::SignatureEncoding(_)),
        "{error:?}"
    );
}

#[test]
fn a_signature_with_encapsulated_content_is_rejected_whatever_the_body() {
    let scratch = Scratch::new("encapsulated");
    scratch.self_signed("device", 30);
    std::fs::write(scratch.0.join("body"), b"signed body").unwrap();
    // `openssl cms -sign` detaches by default; `-nodetach` encapsulates.
    let sign = |extra: &str, out: &str| {
        scratch.openssl(&format!(
            "cms -sign -binary -noattr -md sha1 -in body -signer device.pem \
             -inkey device.key -outform DER -out {out} {extra}"
        ));
        STANDARD.encode(std::fs::read(scratch.0.join(out)).unwrap())
    };
    let detached = sign("", "detached.der");
    let encapsulated = sign("-nodetach", "encapsulated.der");

    from_mdm_signature(&detached, b"signed body").unwrap();
    for body in [&b"signed body"[..], b"any other body"] {
        let error = from_mdm_signature(&encapsulated, body).unwrap_err();
        assert!(
            matches!(
                error,
                IdentityError::SignatureEncoding("signature is not detached")
            ),
            "{error:?}"
        );
    }
}
