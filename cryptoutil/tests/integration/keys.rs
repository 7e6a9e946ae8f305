//! Key loading, and the `PrivateKey` conformance suite on every way of
//! obtaining an `RsaPrivateKey`.

use std::sync::OnceLock;

use cryptoutil::{Error, RsaPrivateKey};

use crate::support::Scratch;

/// Keys made by openssl once per test binary (key generation is slow).
fn openssl_key(form: &'static str) -> &'static RsaPrivateKey {
    static PKCS1: OnceLock<RsaPrivateKey> = OnceLock::new();
    static PKCS8: OnceLock<RsaPrivateKey> = OnceLock::new();
    let (cell, args): (_, &[&str]) = match form {
        "pkcs1" => (&PKCS1, &["genrsa", "-traditional", "-out", "k.pem", "2048"]),
        _ => (
            &PKCS8,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:3072",
                "-out",
                "k.pem",
            ],
        ),
    };
    cell.get_or_init(|| {
        let scratch = Scratch::new();
        scratch.openssl(args);
        scratch.key("k.pem")
    })
}

mod generated_2048 {
    cryptoutil::private_key_conformance!(Box::new(
        cryptoutil::RsaPrivateKey::generate(2048).unwrap()
    ));
}

mod openssl_pkcs1_2048 {
    cryptoutil::private_key_conformance!(super::openssl_key("pkcs1"));
}

mod openssl_pkcs8_3072 {
    cryptoutil::private_key_conformance!(super::openssl_key("pkcs8"));
}

#[test]
fn pkcs1_and_pkcs8_der_load_to_the_same_key() {
    let scratch = Scratch::new();
    scratch.openssl(&["genrsa", "-traditional", "-out", "k1.pem", "2048"]);
    scratch.openssl(&[
        "pkcs8", "-topk8", "-nocrypt", "-in", "k1.pem", "-outform", "DER", "-out", "k8.der",
    ]);
    scratch.openssl(&[
        "rsa",
        "-in",
        "k1.pem",
        "-traditional",
        "-outform",
        "DER",
        "-out",
        "k1.der",
    ]);
    let from_pem = scratch.key("k1.pem");
    let from_pkcs8 = RsaPrivateKey::from_der(&scratch.read("k8.der")).unwrap();
    let from_pkcs1 = RsaPrivateKey::from_der(&scratch.read("k1.der")).unwrap();
    assert_eq!(use_key(&from_pem), use_key(&from_pkcs8));
    assert_eq!(use_key(&from_pem), use_key(&from_pkcs1));
}

fn use_key(key: &RsaPrivateKey) -> cryptoutil::PublicKey {
    cryptoutil::PrivateKey::public_key(key).clone()
}

#[test]
fn our_pkcs8_pem_is_read_by_openssl() {
    let scratch = Scratch::new();
    let key = RsaPrivateKey::generate(2048).unwrap();
    scratch.write("ours.pem", key.to_pkcs8_pem());
    let out = String::from_utf8(scratch.openssl(&["pkey", "-in", "ours.pem", "-noout", "-text"]))
        .unwrap();
    assert!(out.contains("2048 bit"), "{out}");
}

#[test]
fn encrypted_keys_are_refused_with_a_message() {
    let scratch = Scratch::new();
    scratch.openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-aes256",
        "-pass",
        "pass:secret",
        "-out",
        "enc.pem",
    ]);
    let err =
        RsaPrivateKey::from_pem(&String::from_utf8(scratch.read("enc.pem")).unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("encrypted private keys are not supported"),
        "{err}"
    );
}

#[test]
fn a_pem_without_a_key_is_refused() {
    let err = RsaPrivateKey::from_pem("no pem here").unwrap_err();
    assert!(matches!(err, Error::InvalidPrivateKey(_)), "{err:?}");
}

#[test]
fn non_rsa_and_small_keys_are_refused() {
    let scratch = Scratch::new();
    scratch.openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "ec.pem",
    ]);
    scratch.openssl(&["genrsa", "-out", "small.pem", "1024"]);
    for name in ["ec.pem", "small.pem"] {
        let pem = String::from_utf8(scratch.read(name)).unwrap();
        assert!(
            RsaPrivateKey::from_pem(&pem).is_err(),
            "{name} must be refused"
        );
    }
    assert!(RsaPrivateKey::generate(1024).is_err());
}

#[test]
fn debug_output_never_shows_key_material() {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains("bits: 2048"), "{debug}");
    assert!(!debug.contains("pkcs8"), "{debug}");
}
