//! Real device captures from the shared upstream fixtures (see
//! `tests/fixtures/README.md`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cryptoutil::cms::enveloped_data;
use cryptoutil::cms::signed_data::SignedMessage;
use cryptoutil::const_oid::ObjectIdentifier;
use cryptoutil::const_oid::db::rfc4519;
use cryptoutil::csr::Csr;
use cryptoutil::{DigestAlgorithm, Error, attribute};

use crate::support::{Scratch, shared_fixture};

fn b64_fixture(path: &str) -> Vec<u8> {
    let text = String::from_utf8(shared_fixture(path)).unwrap();
    STANDARD.decode(text.trim()).unwrap()
}

#[test]
fn a_real_mdm_signature_header_verifies_against_its_body() {
    let header = b64_fixture("micromdm-nanomdm/cryptoutil/mdmSignatureHeader2.b64");
    let body = b64_fixture("micromdm-nanomdm/cryptoutil/mdmSignatureBody2.b64");
    let message = SignedMessage::from_ber(&header).unwrap();
    assert_eq!(message.content(), None, "Mdm-Signature is detached");
    let signers = message.verify(Some(&body)).unwrap();
    assert_eq!(signers[0].digest, DigestAlgorithm::Sha1);
    assert!(signers[0].signed_attributes.is_empty());

    let mut tampered = body;
    tampered[20] ^= 1;
    assert!(matches!(
        message.verify(Some(&tampered)),
        Err(Error::BadSignature)
    ));
}

#[test]
fn the_other_real_mdm_signature_header_parses() {
    let header = b64_fixture("micromdm-nanomdm/cryptoutil/mdmSignatureHeader1.b64");
    let message = SignedMessage::from_ber(&header).unwrap();
    assert!(!message.certificates().is_empty());
    assert_eq!(message.signer_infos().count(), 1);
}

#[test]
fn a_macos_scep_pkcsreq_verifies_decrypts_and_holds_a_version_2_csr() {
    let scratch = Scratch::new();
    let der = shared_fixture("micromdm-scep/testdata/PKCSReq.der");
    let message = SignedMessage::from_ber(&der).unwrap();
    let signers = message.verify(None).unwrap();
    let message_type = ObjectIdentifier::new_unwrap("2.16.840.1.113733.1.9.2");
    let value = signers[0].attribute(message_type).unwrap();
    assert_eq!(
        attribute::any_to_string(value).as_deref(),
        Some("19"),
        "PKCSReq"
    );

    // The test CA key is legacy-encrypted with an empty password; openssl
    // converts it (we do not read legacy-encrypted PEM).
    scratch.write(
        "ca.key",
        shared_fixture("micromdm-scep/testdata/testca/ca.key"),
    );
    scratch.openssl(&[
        "rsa",
        "-in",
        "ca.key",
        "-passin",
        "pass:",
        "-out",
        "plain.key",
    ]);
    let key = scratch.key("plain.key");
    let ca =
        cryptoutil::cert::from_pem_or_der(&shared_fixture("micromdm-scep/testdata/testca/ca.pem"))
            .unwrap()
            .remove(0);
    let csr_der = enveloped_data::decrypt(message.content().unwrap(), &ca, &key).unwrap();
    let csr = Csr::from_der(&csr_der).unwrap();
    assert_eq!(csr.version(), 2, "Apple's CSR carries version 2");
    csr.verify_signature().unwrap(); // 1024-bit key, SHA-1
    assert_eq!(
        csr.challenge_password(),
        None,
        "this capture was made without a challenge"
    );
    let requested = csr.requested_extensions();
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].extn_id.to_string(), "2.5.29.15", "keyUsage");
    assert!(
        cryptoutil::cert::name_attribute(csr.subject(), rfc4519::CN)
            .is_some_and(|cn| cn.starts_with("com.apple.security.scep."))
    );
}
