//! CSR parsing and certificate issuance, checked with `openssl verify` and
//! `openssl x509 -text`.

use cryptoutil::cert::{self, CertificateProfile, ID_KP_CLIENT_AUTH, Issuer, KeyUsage};
use cryptoutil::csr::{self, Csr};
use cryptoutil::{Error, PrivateKey, RsaPrivateKey};

use crate::support::Scratch;

fn ca(scratch: &Scratch) -> (RsaPrivateKey, cert::Certificate) {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = CertificateProfile::certificate_authority(3650).unwrap();
    let ca = cert::self_signed(
        "CN=Test SCEP CA,O=cryptoutil tests".parse().unwrap(),
        &key,
        &profile,
    )
    .unwrap();
    scratch.write_cert("ca.pem", &ca);
    (key, ca)
}

#[test]
fn a_certificate_issued_from_an_openssl_csr_verifies_with_openssl() {
    let scratch = Scratch::new();
    let (ca_key, ca) = ca(&scratch);
    scratch.openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "device.key",
        "-out",
        "device.csr",
        "-outform",
        "DER",
        "-subj",
        "/O=Example/CN=device-1234",
        "-addext",
        "subjectAltName=DNS:device.example",
        "-addext",
        "1.2.840.113549.1.9.7=ASN1:UTF8String:s3cret",
    ]);
    let request = Csr::from_der(&scratch.read("device.csr")).unwrap();
    request.verify_signature().unwrap();

    let mut profile = CertificateProfile::new(365).unwrap();
    profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
    profile.extended_key_usage = vec![ID_KP_CLIENT_AUTH];
    profile.extensions = request.requested_extensions();
    let issued = cert::issue(
        request.subject().clone(),
        request.public_key(),
        &profile,
        Issuer {
            certificate: Some(&ca),
            key: &ca_key,
        },
    )
    .unwrap();
    scratch.write_cert("issued.pem", &issued);

    let verified =
        String::from_utf8(scratch.openssl(&["verify", "-CAfile", "ca.pem", "issued.pem"])).unwrap();
    assert!(verified.contains("issued.pem: OK"), "{verified}");
    let text =
        String::from_utf8(scratch.openssl(&["x509", "-in", "issued.pem", "-noout", "-text"]))
            .unwrap();
    for expected in [
        "Digital Signature, Key Encipherment",
        "TLS Web Client Authentication",
        "DNS:device.example",
        "Subject Key Identifier",
        "Authority Key Identifier",
        "CN = device-1234",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    cert::verify_issued_by(&issued, &ca).unwrap();
    assert_eq!(cert::common_name(&issued).as_deref(), Some("device-1234"));
}

#[test]
fn the_challenge_password_is_read_as_utf8_or_printable_string() {
    let scratch = Scratch::new();
    scratch.write(
        "req.cnf",
        "[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n\
         [dn]\nCN = device\n[attrs]\nchallengePassword = s3cret\n",
    );
    scratch.openssl(&[
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-config", "req.cnf",
        "-outform", "DER", "-out", "r.der",
    ]);
    let utf8 = scratch.read("r.der");
    let request = Csr::from_der(&utf8).unwrap();
    request.verify_signature().unwrap();
    assert_eq!(request.challenge_password().as_deref(), Some("s3cret"));

    // openssl 3 always writes UTF8String here; other clients send a
    // PrintableString, so re-tag the value (the signature no longer matters).
    let at = utf8
        .windows(8)
        .position(|w| w == b"\x0c\x06s3cret")
        .unwrap();
    let mut printable = utf8;
    printable[at] = 0x13;
    let request = Csr::from_der(&printable).unwrap();
    assert_eq!(request.challenge_password().as_deref(), Some("s3cret"));
}

#[test]
fn our_csr_carries_its_challenge_and_verifies_with_openssl() {
    let scratch = Scratch::new();
    let key = RsaPrivateKey::generate(2048).unwrap();
    let der = csr::build("CN=device".parse().unwrap(), &key, Some("one-time"), &[]).unwrap();
    let request = Csr::from_der(&der).unwrap();
    request.verify_signature().unwrap();
    assert_eq!(request.challenge_password().as_deref(), Some("one-time"));
    scratch.write("ours.der", &der);
    let out = String::from_utf8(scratch.openssl(&[
        "req", "-inform", "DER", "-in", "ours.der", "-verify", "-noout", "-text",
    ]))
    .unwrap();
    assert!(out.contains("challengePassword"), "{out}");
}

#[test]
fn a_csr_with_a_broken_signature_is_rejected() {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let mut der = csr::build("CN=device".parse().unwrap(), &key, None, &[]).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let err = Csr::from_der(&der).unwrap().verify_signature().unwrap_err();
    assert!(matches!(err, Error::BadSignature), "{err:?}");
}

#[test]
fn our_ca_is_a_ca_for_openssl() {
    let scratch = Scratch::new();
    let (_, ca) = ca(&scratch);
    assert!(cert::is_ca(&ca));
    let text =
        String::from_utf8(scratch.openssl(&["x509", "-in", "ca.pem", "-noout", "-text"])).unwrap();
    assert!(text.contains("CA:TRUE"), "{text}");
    assert!(text.contains("Certificate Sign, CRL Sign"), "{text}");
    scratch.openssl(&["verify", "-CAfile", "ca.pem", "ca.pem"]);
}

#[test]
fn a_certificate_from_another_ca_does_not_verify_as_issued_by_ours() {
    let scratch = Scratch::new();
    let (_, ours) = ca(&scratch);
    let (_, other) = ca(&scratch);
    let err = cert::verify_issued_by(&other, &ours).unwrap_err();
    assert!(matches!(err, Error::BadSignature), "{err:?}");
}

#[test]
fn the_apns_topic_is_the_uid_of_a_push_certificate() {
    let scratch = Scratch::new();
    scratch.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "push.key",
        "-out",
        "push.pem",
        "-days",
        "1",
        "-subj",
        "/UID=com.apple.mgmt.External.0c5a4e2a-1111-2222-3333-444455556666/CN=APSP:0c5a4e2a/C=US",
    ]);
    let push = scratch.cert("push.pem");
    assert_eq!(
        cert::apns_topic(&push).unwrap(),
        "com.apple.mgmt.External.0c5a4e2a-1111-2222-3333-444455556666"
    );
    let (_, not_push) = scratch.openssl_identity("plain");
    assert!(matches!(
        cert::apns_topic(&not_push),
        Err(Error::NoApnsTopic(_))
    ));
}

#[test]
fn certificates_load_from_pem_chains_and_der() {
    let scratch = Scratch::new();
    scratch.openssl_identity("a");
    scratch.openssl_identity("b");
    let chain = [scratch.read("a.pem"), scratch.read("b.pem")].concat();
    assert_eq!(cert::from_pem_or_der(&chain).unwrap().len(), 2);
    scratch.openssl(&["x509", "-in", "a.pem", "-outform", "DER", "-out", "a.der"]);
    assert_eq!(
        cert::from_pem_or_der(&scratch.read("a.der")).unwrap(),
        vec![scratch.cert("a.pem")]
    );
    assert!(cert::from_pem_or_der(b"not a certificate").is_err());
}

#[test]
fn validity_follows_the_profile() {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = CertificateProfile::new(10).unwrap();
    let c = cert::self_signed("CN=v".parse().unwrap(), &key, &profile).unwrap();
    let now = std::time::SystemTime::now();
    assert!(cert::is_valid_at(&c, now));
    assert!(!cert::is_valid_at(
        &c,
        now + std::time::Duration::from_secs(11 * 86_400)
    ));
    assert_eq!(key.public_key(), &cert::public_key(&c).unwrap());
}

#[test]
fn a_certificate_issued_under_an_openssl_ca_chains_by_its_key_identifier() {
    // openssl's CA has a SHA-1 subject key identifier; the issued
    // certificate's authority key identifier must repeat it.
    let scratch = Scratch::new();
    scratch.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=openssl CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    let (ca_key, ca) = (scratch.key("ca.key"), scratch.cert("ca.pem"));
    let device = RsaPrivateKey::generate(2048).unwrap();
    let issued = cert::issue(
        "CN=leaf".parse().unwrap(),
        device.public_key(),
        &CertificateProfile::new(1).unwrap(),
        Issuer {
            certificate: Some(&ca),
            key: &ca_key,
        },
    )
    .unwrap();
    scratch.write_cert("leaf.pem", &issued);
    let out =
        String::from_utf8(scratch.openssl(&["verify", "-CAfile", "ca.pem", "leaf.pem"])).unwrap();
    assert!(out.contains("leaf.pem: OK"), "{out}");
}

#[test]
fn an_empty_or_oversized_serial_is_refused() {
    let key = RsaPrivateKey::generate(2048).unwrap();
    for serial in [vec![], vec![1; 21]] {
        let mut profile = CertificateProfile::new(1).unwrap();
        profile.serial = serial;
        let err = cert::self_signed("CN=x".parse().unwrap(), &key, &profile).unwrap_err();
        assert!(matches!(err, Error::InvalidCertificate(_)), "{err:?}");
    }
}
