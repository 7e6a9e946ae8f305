//! One function per sentence of the [`PrivateKey`] contract. Each panics
//! (with a message naming the broken sentence) when the key breaks it.

use crate::algorithm::{ContentEncryption, DigestAlgorithm, SignatureAlgorithm};
use crate::cert::{self, CertificateProfile};
use crate::cms::{enveloped_data, signed_data};
use crate::error::Error;
use crate::key::{PrivateKey, PublicKey};

const MESSAGE: &[u8] = b"conformance message";

/// `sign` returns a signature that verifies with `public_key`, for every
/// digest this crate signs with.
pub fn signatures_verify_with_the_public_key(key: &dyn PrivateKey) {
    for digest in [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ] {
        let algorithm = SignatureAlgorithm(digest);
        let signature = key.sign(algorithm, MESSAGE).expect("signing succeeds");
        key.public_key()
            .verify(algorithm, MESSAGE, &signature)
            .unwrap_or_else(|e| panic!("{digest:?} signature must verify: {e}"));
    }
}

/// A signature does not verify for another message or another digest.
pub fn signatures_do_not_verify_for_another_message(key: &dyn PrivateKey) {
    let signature = key
        .sign(SignatureAlgorithm::RSA_SHA256, MESSAGE)
        .expect("signing succeeds");
    let public = key.public_key();
    assert!(
        public
            .verify(
                SignatureAlgorithm::RSA_SHA256,
                b"another message",
                &signature
            )
            .is_err(),
        "a signature must not verify for another message"
    );
    assert!(
        public
            .verify(
                SignatureAlgorithm(DigestAlgorithm::Sha512),
                MESSAGE,
                &signature
            )
            .is_err(),
        "a signature must not verify under another digest"
    );
}

/// SHA-1 signing either fails with an error or produces a valid signature;
/// it never panics.
pub fn sha1_signing_is_refused_or_verifies(key: &dyn PrivateKey) {
    let algorithm = SignatureAlgorithm(DigestAlgorithm::Sha1);
    if let Ok(signature) = key.sign(algorithm, MESSAGE) {
        key.public_key()
            .verify(algorithm, MESSAGE, &signature)
            .expect("a SHA-1 signature, when produced, must verify");
    }
}

/// `decrypt_pkcs1v15` inverts PKCS#1 v1.5 encryption to `public_key`.
pub fn decryption_inverts_pkcs1v15_encryption(key: &dyn PrivateKey) {
    for len in [16, 24, 32] {
        let secret: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
        let ciphertext = key
            .public_key()
            .encrypt_pkcs1v15(&secret)
            .expect("encryption succeeds");
        let plaintext = key
            .decrypt_pkcs1v15(&ciphertext)
            .expect("decryption succeeds");
        assert_eq!(
            plaintext, secret,
            "decryption must return what was encrypted"
        );
    }
}

/// A ciphertext that is not exactly the modulus length is an error.
pub fn decryption_of_a_wrong_length_ciphertext_is_an_error(key: &dyn PrivateKey) {
    for ciphertext in [&[][..], &[1u8; 10][..], &[1u8; 1024][..]] {
        assert!(
            key.decrypt_pkcs1v15(ciphertext).is_err(),
            "a {}-byte ciphertext must be rejected",
            ciphertext.len()
        );
    }
}

/// A ciphertext that is not a valid PKCS#1 v1.5 block fails with
/// [`Error::Decrypt`], which carries no detail (or, for implementations
/// with implicit rejection, yields a synthetic plaintext).
pub fn decryption_of_garbage_fails_without_detail(key: &dyn PrivateKey) {
    let len = key
        .public_key()
        .encrypt_pkcs1v15(b"x")
        .expect("encryption succeeds")
        .len();
    // Below the modulus (leading zero byte) but without valid padding.
    let mut garbage = vec![0x42u8; len];
    garbage[0] = 0;
    match key.decrypt_pkcs1v15(&garbage) {
        Ok(_) | Err(Error::Decrypt) => {}
        Err(other) => panic!("bad padding must be Error::Decrypt, got {other:?}"),
    }
}

/// `public_key` is an RSA SubjectPublicKeyInfo that round-trips through DER.
pub fn public_key_round_trips_through_der(key: &dyn PrivateKey) {
    use der::Encode;
    let der = key.public_key().spki().to_der().expect("SPKI encodes");
    let parsed = PublicKey::from_der(&der).expect("SPKI parses back");
    assert_eq!(&parsed, key.public_key(), "public key must round-trip");
}

/// A CMS SignedData signed with the key verifies, with and without signed
/// attributes.
pub fn cms_signed_data_from_the_key_verifies(key: &dyn PrivateKey) {
    let cert = test_certificate(key);
    for with_attributes in [true, false] {
        let mut signer = signed_data::Signer::new(&cert, key);
        if !with_attributes {
            signer = signer.without_signed_attributes();
        }
        let der = signed_data::SignedDataBuilder::new(MESSAGE)
            .signer(signer)
            .build()
            .expect("SignedData builds");
        let message = signed_data::SignedMessage::from_ber(&der).expect("SignedData parses");
        message.verify(None).unwrap_or_else(|e| {
            panic!("SignedData (signed attributes: {with_attributes}) must verify: {e}")
        });
    }
}

/// An EnvelopedData addressed to the key's certificate decrypts with it.
pub fn cms_envelope_to_the_key_decrypts(key: &dyn PrivateKey) {
    let cert = test_certificate(key);
    for cipher in [ContentEncryption::Aes128Cbc, ContentEncryption::DesEde3Cbc] {
        let der = enveloped_data::encrypt(MESSAGE, std::slice::from_ref(&cert), cipher)
            .expect("envelope builds");
        let plaintext = enveloped_data::decrypt(&der, &cert, key)
            .unwrap_or_else(|e| panic!("{cipher:?} envelope must decrypt: {e}"));
        assert_eq!(plaintext, MESSAGE);
    }
}

fn test_certificate(key: &dyn PrivateKey) -> cert::Certificate {
    let subject = "CN=conformance".parse().expect("valid name");
    let profile = CertificateProfile::new(1).expect("profile");
    cert::self_signed(subject, key, &profile).expect("self-signed certificate")
}
