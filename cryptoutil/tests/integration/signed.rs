//! SignedData against openssl: its signatures verify here, ours verify there.

use cryptoutil::attribute;
use cryptoutil::cms::signed_data::{self, SignedDataBuilder, SignedMessage, Signer};
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::{DigestAlgorithm, Error};

use crate::support::{Scratch, own_identity, payload};

fn openssl_signed(scratch: &Scratch, extra: &[&str]) -> Vec<u8> {
    scratch.openssl_identity("signer");
    scratch.write("data.bin", payload());
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-in",
        "data.bin",
        "-signer",
        "signer.pem",
        "-inkey",
        "signer.key",
        "-outform",
        "DER",
        "-out",
        "signed.der",
    ];
    args.extend_from_slice(extra);
    scratch.openssl(&args);
    scratch.read("signed.der")
}

#[test]
fn openssl_attached_sha256_signature_verifies() {
    let scratch = Scratch::new();
    let der = openssl_signed(&scratch, &["-nodetach", "-md", "sha256"]);
    let message = SignedMessage::from_ber(&der).unwrap();
    assert_eq!(message.content(), Some(payload().as_slice()));
    let signers = message.verify(None).unwrap();
    assert_eq!(signers.len(), 1);
    assert_eq!(signers[0].digest, DigestAlgorithm::Sha256);
    assert_eq!(signers[0].certificate, scratch.cert("signer.pem"));
}

#[test]
fn openssl_detached_sha1_signature_without_signed_attributes_verifies() {
    // The shape of a device's Mdm-Signature header.
    let scratch = Scratch::new();
    let der = openssl_signed(&scratch, &["-md", "sha1", "-noattr"]);
    let message = SignedMessage::from_ber(&der).unwrap();
    assert_eq!(message.content(), None);
    let signers = message.verify(Some(&payload())).unwrap();
    assert_eq!(signers[0].digest, DigestAlgorithm::Sha1);
    assert!(signers[0].signed_attributes.is_empty());
}

#[test]
fn openssl_streamed_ber_signature_verifies() {
    let scratch = Scratch::new();
    let ber = openssl_signed(&scratch, &["-nodetach", "-stream", "-md", "sha512"]);
    assert_eq!(ber[1], 0x80, "openssl -stream writes indefinite lengths");
    let message = SignedMessage::from_ber(&ber).unwrap();
    assert_eq!(message.content(), Some(payload().as_slice()));
    message.verify(None).unwrap();
}

#[test]
fn tampered_detached_content_is_rejected() {
    let scratch = Scratch::new();
    for extra in [&["-md", "sha256"][..], &["-md", "sha1", "-noattr"][..]] {
        let der = openssl_signed(&scratch, extra);
        let mut tampered = payload();
        tampered[10] ^= 1;
        let err = SignedMessage::from_ber(&der)
            .unwrap()
            .verify(Some(&tampered))
            .unwrap_err();
        assert!(
            matches!(err, Error::DigestMismatch | Error::BadSignature),
            "{extra:?}: {err:?}"
        );
    }
}

#[test]
fn detached_signature_without_content_is_an_error() {
    let scratch = Scratch::new();
    let der = openssl_signed(&scratch, &[]);
    let err = SignedMessage::from_ber(&der)
        .unwrap()
        .verify(None)
        .unwrap_err();
    assert!(err.to_string().contains("no content"), "{err}");
}

#[test]
fn our_attached_signature_verifies_with_openssl() {
    let scratch = Scratch::new();
    let (key, cert) = own_identity("rust signer");
    let der = SignedDataBuilder::new(&payload())
        .signer(Signer::new(&cert, &key))
        .build()
        .unwrap();
    scratch.write("ours.der", &der);
    scratch.write_cert("ca.pem", &cert);
    scratch.openssl(&[
        "cms", "-verify", "-binary", "-inform", "DER", "-in", "ours.der", "-CAfile", "ca.pem",
        "-purpose", "any", "-out", "out.bin",
    ]);
    assert_eq!(scratch.read("out.bin"), payload());
}

#[test]
fn our_detached_signature_without_attributes_verifies_with_openssl() {
    let scratch = Scratch::new();
    let (key, cert) = own_identity("device");
    let der = SignedDataBuilder::new(&payload())
        .detached()
        .signer(Signer::new(&cert, &key).without_signed_attributes())
        .build()
        .unwrap();
    scratch.write("sig.der", &der);
    scratch.write("data.bin", payload());
    scratch.openssl(&[
        "cms",
        "-verify",
        "-binary",
        "-noverify",
        "-inform",
        "DER",
        "-in",
        "sig.der",
        "-content",
        "data.bin",
        "-out",
        "/dev/null",
    ]);
    SignedMessage::from_ber(&der)
        .unwrap()
        .verify(Some(&payload()))
        .unwrap();
}

#[test]
fn scep_style_signed_attributes_reach_openssl_and_come_back() {
    let scratch = Scratch::new();
    let (key, cert) = own_identity("scep ca");
    let message_type = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.2");
    let sender_nonce = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.5");
    let signer = Signer::new(&cert, &key)
        .digest(DigestAlgorithm::Sha512)
        .attribute(attribute::printable(message_type, "3").unwrap())
        .attribute(attribute::octets(sender_nonce, &[7; 16]).unwrap());
    let der = SignedDataBuilder::new(b"payload")
        .signer(signer)
        .build()
        .unwrap();
    scratch.write("scep.der", &der);
    let printed = String::from_utf8(scratch.openssl(&[
        "cms", "-cmsout", "-print", "-inform", "DER", "-in", "scep.der",
    ]))
    .unwrap();
    assert!(printed.contains("2.16.840.1.113733.1.9.2"), "{printed}");
    assert!(printed.contains("PRINTABLESTRING:3"), "{printed}");
    scratch.openssl(&[
        "cms",
        "-verify",
        "-noverify",
        "-inform",
        "DER",
        "-in",
        "scep.der",
        "-out",
        "/dev/null",
    ]);

    let signers = SignedMessage::from_ber(&der).unwrap().verify(None).unwrap();
    let value = signers[0].attribute(message_type).unwrap();
    assert_eq!(attribute::any_to_string(value).as_deref(), Some("3"));
    let nonce = signers[0].attribute(sender_nonce).unwrap();
    assert_eq!(attribute::any_to_octets(nonce), Some(vec![7; 16]));
}

#[test]
fn certificates_only_round_trips_and_openssl_reads_it() {
    let scratch = Scratch::new();
    let certs: Vec<_> = ["zeta", "alpha", "mid"]
        .iter()
        .map(|cn| own_identity(cn).1)
        .collect();
    let der = signed_data::build_certificates_only(&certs).unwrap();
    scratch.write("certs.p7b", &der);
    let printed = String::from_utf8(scratch.openssl(&[
        "pkcs7",
        "-inform",
        "DER",
        "-in",
        "certs.p7b",
        "-print_certs",
        "-noout",
    ]))
    .unwrap();
    for cn in ["zeta", "alpha", "mid"] {
        assert!(printed.contains(&format!("CN = {cn}")), "{printed}");
    }
    let read = signed_data::certificates_only(&der).unwrap();
    assert_eq!(
        read.len(),
        3,
        "a SET OF in DER order: membership, not position"
    );
    for cert in &certs {
        assert!(read.contains(cert));
    }
}

#[test]
fn openssl_certificates_only_is_read_in_its_order() {
    let scratch = Scratch::new();
    scratch.openssl_identity("first");
    scratch.openssl_identity("second");
    scratch.openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        "second.pem",
        "-certfile",
        "first.pem",
        "-outform",
        "DER",
        "-out",
        "chain.p7b",
    ]);
    let certs = signed_data::certificates_only(&scratch.read("chain.p7b")).unwrap();
    assert_eq!(
        certs,
        vec![scratch.cert("second.pem"), scratch.cert("first.pem")]
    );
}

#[test]
fn a_signer_whose_certificate_is_missing_is_reported() {
    let scratch = Scratch::new();
    let der = openssl_signed(&scratch, &["-nodetach", "-nocerts"]);
    let err = SignedMessage::from_ber(&der)
        .unwrap()
        .verify(None)
        .unwrap_err();
    assert!(matches!(err, Error::SignerCertificateNotFound), "{err:?}");
}

#[test]
fn sha1_signing_is_refused_with_a_typed_error() {
    let (key, cert) = own_identity("legacy");
    let err = SignedDataBuilder::new(b"x")
        .signer(Signer::new(&cert, &key).digest(DigestAlgorithm::Sha1))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedAlgorithm { .. }), "{err:?}");
}

#[test]
fn signing_time_outside_the_signer_validity_is_rejected() {
    let (key, cert) = own_identity("time");
    let long_ago =
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400 * 365 * 20);
    let der = SignedDataBuilder::new(b"x")
        .signer(Signer::new(&cert, &key).signing_time(Some(long_ago)))
        .build()
        .unwrap();
    let err = SignedMessage::from_ber(&der)
        .unwrap()
        .verify(None)
        .unwrap_err();
    assert!(matches!(err, Error::SigningTimeOutsideValidity), "{err:?}");
}

#[test]
fn verifying_over_a_body_never_accepts_a_signature_over_other_encapsulated_content() {
    let scratch = Scratch::new();
    let der = openssl_signed(&scratch, &["-nodetach", "-md", "sha256"]);
    let message = SignedMessage::from_ber(&der).unwrap();
    let err = message.verify(Some(b"another body")).unwrap_err();
    assert!(err.to_string().contains("differs"), "{err}");
    message.verify(Some(&payload())).unwrap();
}
