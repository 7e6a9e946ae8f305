//! Legacy OpenSSL PEM encryption (`Proc-Type: 4,ENCRYPTED`) against
//! `openssl rsa -traditional` and micromdm's test CA key.

use cryptoutil::pem::{self, legacy};
use cryptoutil::{PrivateKey, RsaPrivateKey};

use crate::support::{Scratch, shared_fixture};

/// A 2048-bit PKCS#1 key made by openssl, unencrypted, as `plain.pem`.
fn openssl_key(scratch: &Scratch) -> RsaPrivateKey {
    scratch.openssl(&["genrsa", "-traditional", "-out", "plain.pem", "2048"]);
    scratch.key("plain.pem")
}

fn decrypts_openssl_cipher(cipher_flag: &str, dek_info: &str) {
    let scratch = Scratch::new();
    let key = openssl_key(&scratch);
    scratch.openssl(&[
        "rsa",
        "-in",
        "plain.pem",
        "-traditional",
        cipher_flag,
        "-passout",
        "pass:xyz",
        "-out",
        "encrypted.pem",
    ]);
    let text = String::from_utf8(scratch.read("encrypted.pem")).unwrap();
    assert!(text.contains(&format!("DEK-Info: {dek_info},")), "{text}");

    let (label, der) = legacy::decrypt(&text, b"xyz").unwrap();
    assert_eq!(label, "RSA PRIVATE KEY");
    let decrypted = RsaPrivateKey::from_pkcs1_der(&der).unwrap();
    assert_eq!(decrypted.public_key(), key.public_key());
}

#[test]
fn a_des3_key_from_openssl_rsa_traditional_decrypts_with_its_password() {
    decrypts_openssl_cipher("-des3", "DES-EDE3-CBC");
}

#[test]
fn an_aes256_key_from_openssl_rsa_traditional_decrypts_with_its_password() {
    decrypts_openssl_cipher("-aes256", "AES-256-CBC");
}

#[test]
fn an_aes128_key_from_openssl_rsa_traditional_decrypts_with_its_password() {
    decrypts_openssl_cipher("-aes128", "AES-128-CBC");
}

#[test]
fn openssl_rsa_reads_a_key_encrypted_by_encrypt_des3() {
    let scratch = Scratch::new();
    openssl_key(&scratch);
    let plain = String::from_utf8(scratch.read("plain.pem")).unwrap();
    let pkcs1 = pem::blocks(&plain).unwrap().remove(0);
    assert_eq!(pkcs1.label, "RSA PRIVATE KEY");

    let encrypted = legacy::encrypt_des3(&pkcs1.label, &pkcs1.der, b"xyz").unwrap();
    scratch.write("ours.pem", &encrypted);
    let ours = scratch.openssl(&["rsa", "-in", "ours.pem", "-passin", "pass:xyz", "-pubout"]);
    let theirs = scratch.openssl(&["rsa", "-in", "plain.pem", "-pubout"]);
    assert_eq!(ours, theirs);

    let wrong =
        scratch.openssl_status(&["rsa", "-in", "ours.pem", "-passin", "pass:abc", "-pubout"]);
    assert!(
        !wrong.status.success(),
        "openssl rejects a wrong password too"
    );
}

#[test]
fn the_micromdm_test_ca_key_decrypts_with_an_empty_password_and_matches_its_certificate() {
    let text = String::from_utf8(shared_fixture("micromdm-scep/testdata/testca/ca.key")).unwrap();
    let (label, der) = legacy::decrypt(&text, b"").unwrap();
    assert_eq!(label, "RSA PRIVATE KEY");
    let key = RsaPrivateKey::from_pkcs1_der(&der).unwrap();

    let certificate =
        cryptoutil::cert::from_pem_or_der(&shared_fixture("micromdm-scep/testdata/testca/ca.pem"))
            .unwrap()
            .remove(0);
    assert_eq!(
        key.public_key(),
        &cryptoutil::cert::public_key(&certificate).unwrap()
    );
}

#[test]
fn a_wrong_password_is_an_error_not_garbage() {
    let text = String::from_utf8(shared_fixture("micromdm-scep/testdata/testca/ca.key")).unwrap();
    let err = legacy::decrypt(&text, b"not the password").unwrap_err();
    assert!(err.to_string().contains("wrong password"), "{err}");
}

#[test]
fn pem_blocks_still_refuses_legacy_encrypted_keys() {
    let text = String::from_utf8(shared_fixture("micromdm-scep/testdata/testca/ca.key")).unwrap();
    assert!(pem::blocks(&text).is_err());
}
