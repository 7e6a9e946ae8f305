//! CRLs we build, checked with `openssl crl` and `openssl verify -crl_check`.

use std::time::{Duration, SystemTime};

use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use cryptoutil::crl::{self, RevokedCertificate};
use cryptoutil::der::Decode;
use cryptoutil::x509_cert::time::Time;
use cryptoutil::{Error, PrivateKey, RsaPrivateKey};

use crate::support::Scratch;

const DAY: Duration = Duration::from_secs(86_400);

/// Our CA (`ca.pem`), made with the certificate-authority profile.
fn ca(scratch: &Scratch) -> (RsaPrivateKey, Certificate) {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = CertificateProfile::certificate_authority(30).unwrap();
    let ca = cert::self_signed("CN=CRL test CA".parse().unwrap(), &key, &profile).unwrap();
    scratch.write_cert("ca.pem", &ca);
    (key, ca)
}

/// A certificate issued by the CA, written as `{cn}.pem`.
fn issue(scratch: &Scratch, ca: (&RsaPrivateKey, &Certificate), cn: &str) -> Certificate {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = CertificateProfile::new(30).unwrap();
    let issuer = Issuer {
        certificate: Some(ca.1),
        key: ca.0,
    };
    let leaf = cert::issue(
        format!("CN={cn}").parse().unwrap(),
        key.public_key(),
        &profile,
        issuer,
    )
    .unwrap();
    scratch.write_cert(&format!("{cn}.pem"), &leaf);
    leaf
}

fn revoked(serial: &[u8]) -> RevokedCertificate {
    RevokedCertificate {
        serial: serial.to_vec(),
        revoked_at: SystemTime::now() - Duration::from_secs(60),
    }
}

/// A CRL valid from a minute ago for a week.
fn build(ca: (&RsaPrivateKey, &Certificate), revoked: &[RevokedCertificate]) -> Vec<u8> {
    let now = SystemTime::now() - Duration::from_secs(60);
    crl::build(ca.1, ca.0, revoked, now, now + 7 * DAY, 42).unwrap()
}

fn serial_of(cert: &Certificate) -> Vec<u8> {
    cert.tbs_certificate.serial_number.as_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The trimmed line after the line containing `marker`.
fn line_after<'a>(text: &'a str, marker: &str) -> &'a str {
    let mut lines = text.lines().skip_while(|line| !line.contains(marker));
    lines.nth(1).unwrap_or_default().trim()
}

/// `openssl crl -text` of `der` checked against `ca.pem`; asserts that it
/// says "verify OK" (on stdout or stderr) and returns the text.
fn openssl_crl_text(scratch: &Scratch, der: &[u8]) -> String {
    scratch.write("x.crl", der);
    let out = scratch.openssl_status(&[
        "crl", "-inform", "DER", "-in", "x.crl", "-CAfile", "ca.pem", "-noout", "-text",
    ]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("verify OK") || stderr.contains("verify OK"),
        "{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn a_crl_we_build_is_verified_by_openssl_and_lists_the_revoked_serials() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let serials = [vec![0x01, 0x23, 0x45, 0x67, 0x89], vec![0x7f; 16]];
    let list: Vec<_> = serials.iter().map(|s| revoked(s)).collect();
    let der = build((&key, &ca), &list);
    let text = openssl_crl_text(&scratch, &der);
    for serial in &serials {
        assert!(
            text.contains(&format!("Serial Number: {}", hex(serial))),
            "{text}"
        );
    }
    assert!(text.contains("Version 2 (0x1)"), "{text}");
    assert!(text.contains("sha256WithRSAEncryption"), "{text}");
    assert_eq!(line_after(&text, "X509v3 CRL Number:"), "42", "{text}");
    let ski = key.public_key().subject_key_identifier();
    let ski = ski.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>();
    assert_eq!(
        line_after(&text, "X509v3 Authority Key Identifier:"),
        ski.join(":"),
        "{text}"
    );
    assert!(text.contains("Issuer: CN = CRL test CA"), "{text}");
    assert_eq!(crl::revoked_serials(&der).unwrap(), serials);
}

#[test]
fn openssl_rejects_our_crl_when_its_signature_is_altered() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let mut der = build((&key, &ca), &[revoked(&[1, 2, 3])]);
    *der.last_mut().unwrap() ^= 1;
    scratch.write("x.crl", &der);
    let out = scratch.openssl_status(&[
        "crl", "-inform", "DER", "-in", "x.crl", "-CAfile", "ca.pem", "-noout",
    ]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("verify OK"), "{all}");
    assert!(all.contains("verify failure"), "{all}");
}

#[test]
fn an_empty_crl_is_verified_by_openssl_and_lists_no_serials() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let der = build((&key, &ca), &[]);
    let text = openssl_crl_text(&scratch, &der);
    assert!(text.contains("No Revoked Certificates."), "{text}");
    assert!(crl::revoked_serials(&der).unwrap().is_empty());
}

#[test]
fn openssl_verify_with_our_crl_rejects_the_revoked_certificate_and_accepts_the_other() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let bad = issue(&scratch, (&key, &ca), "revoked");
    issue(&scratch, (&key, &ca), "good");
    let der = build((&key, &ca), &[revoked(&serial_of(&bad))]);
    scratch.write("crl.pem", cryptoutil::pem::encode("X509 CRL", &der));
    let verify = |name: &str| {
        scratch.openssl_status(&[
            "verify",
            "-crl_check",
            "-CRLfile",
            "crl.pem",
            "-CAfile",
            "ca.pem",
            name,
        ])
    };
    let out = verify("revoked.pem");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("certificate revoked"), "{all}");
    let out = verify("good.pem");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("good.pem: OK"));
}

#[test]
fn update_times_after_2049_are_generalized_time() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let now = SystemTime::now();
    // 2051-01-01T00:00:00Z.
    let later = SystemTime::UNIX_EPOCH + Duration::from_secs(2_556_144_000);
    let der = crl::build(&ca, &key, &[revoked(&[5])], now, later, 1).unwrap();
    let text = openssl_crl_text(&scratch, &der);
    assert!(
        text.contains("Next Update: Jan  1 00:00:00 2051 GMT"),
        "{text}"
    );
    let parsed = crl::CertificateList::from_der(&der).unwrap();
    assert!(matches!(parsed.tbs_cert_list.this_update, Time::UtcTime(_)));
    assert!(matches!(
        parsed.tbs_cert_list.next_update,
        Some(Time::GeneralTime(_))
    ));
}

#[test]
fn serials_with_the_high_bit_set_round_trip_without_the_sign_byte() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let serials = [vec![0x80, 0x01, 0x02], vec![0xff; 19], vec![0x00]];
    let list: Vec<_> = serials.iter().map(|s| revoked(s)).collect();
    let der = build((&key, &ca), &list);
    let text = openssl_crl_text(&scratch, &der);
    assert!(text.contains("Serial Number: 800102"), "{text}");
    assert_eq!(crl::revoked_serials(&der).unwrap(), serials);
}

#[test]
fn a_crl_is_refused_when_the_key_is_not_the_issuers() {
    let scratch = Scratch::new();
    let (_, ca) = ca(&scratch);
    let other = RsaPrivateKey::generate(2048).unwrap();
    let now = SystemTime::now();
    let err = crl::build(&ca, &other, &[], now, now + DAY, 1).unwrap_err();
    assert!(matches!(err, Error::InvalidCrl(_)), "{err:?}");
}

#[test]
fn a_crl_is_refused_for_bad_serials_and_backwards_update_times() {
    let scratch = Scratch::new();
    let (key, ca) = ca(&scratch);
    let now = SystemTime::now();
    for serial in [vec![], vec![0x7f; 21]] {
        let err = crl::build(&ca, &key, &[revoked(&serial)], now, now + DAY, 1).unwrap_err();
        assert!(matches!(err, Error::InvalidCrl(_)), "{serial:?}: {err:?}");
    }
    let err = crl::build(&ca, &key, &[], now, now - DAY, 1).unwrap_err();
    assert!(matches!(err, Error::InvalidCrl(_)), "{err:?}");
}

#[test]
fn a_malformed_crl_is_a_typed_error() {
    let err = crl::revoked_serials(b"not a crl").unwrap_err();
    assert!(matches!(err, Error::Asn1 { .. }), "{err:?}");
}

#[test]
fn a_crl_for_a_ca_made_by_openssl_revokes_its_certificates_in_openssl_verify() {
    let scratch = Scratch::new();
    // openssl's subjectKeyIdentifier is a SHA-1 hash, not ours.
    let (key, ca) = scratch.openssl_identity("ca");
    scratch.openssl(&[
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-subj", "/CN=leaf",
        "-out", "leaf.csr",
    ]);
    scratch.openssl(&[
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "30",
        "-out", "leaf.pem",
    ]);
    let leaf = scratch.cert("leaf.pem");
    let der = build((&key, &ca), &[revoked(&serial_of(&leaf))]);
    scratch.write("crl.pem", cryptoutil::pem::encode("X509 CRL", &der));
    let out = scratch.openssl_status(&[
        "verify",
        "-crl_check",
        "-CRLfile",
        "crl.pem",
        "-CAfile",
        "ca.pem",
        "leaf.pem",
    ]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("certificate revoked"), "{all}");
}

#[test]
fn a_v1_crl_from_openssl_ca_is_a_typed_error_not_a_panic() {
    // x509-cert 0.2 requires the version field, which v1 CRLs omit.
    let scratch = Scratch::new();
    scratch.openssl_identity("ca");
    scratch.write("index.txt", "");
    scratch.write(
        "ca.cnf",
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ndefault_md = sha256\ndefault_crl_days = 7\n",
    );
    scratch.openssl(&[
        "ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "ca.key", "-cert", "ca.pem", "-out",
        "v1.crl",
    ]);
    scratch.openssl(&["crl", "-in", "v1.crl", "-outform", "DER", "-out", "v1.der"]);
    let err = crl::revoked_serials(&scratch.read("v1.der")).unwrap_err();
    assert!(matches!(err, Error::Asn1 { .. }), "{err:?}");
}
