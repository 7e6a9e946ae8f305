//! Key loading, the `PrivateKey` conformance suite on every way of
//! obtaining an `RsaPrivateKey`, and encryption to small (1024..2047-bit)
//! device keys checked by openssl.

use std::sync::OnceLock;

use cryptoutil::cms::enveloped_data;
use cryptoutil::{ContentEncryption, Error, PrivateKey, PublicKey, RsaPrivateKey};

use crate::support::{Scratch, payload};

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

fn use_key(key: &RsaPrivateKey) -> PublicKey {
    key.public_key().clone()
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

/// The public key of an RSA key of `bits` bits made by `openssl genrsa`,
/// whose private key stays in `{name}.pem` (our `RsaPrivateKey` refuses
/// keys under 2048 bits, so openssl decrypts).
fn openssl_small_key(scratch: &Scratch, name: &str, bits: u32) -> PublicKey {
    let pem = format!("{name}.pem");
    let der = format!("{name}.pub.der");
    scratch.openssl(&["genrsa", "-out", &pem, &bits.to_string()]);
    scratch.openssl(&[
        "rsa", "-in", &pem, "-pubout", "-outform", "DER", "-out", &der,
    ]);
    PublicKey::from_der(&scratch.read(&der)).unwrap()
}

/// openssl's RSAES-PKCS1-v1_5 decryption of `ciphertext` with `{name}.pem`.
fn openssl_decrypt(scratch: &Scratch, name: &str, ciphertext: &[u8]) -> Vec<u8> {
    scratch.write("ct.bin", ciphertext);
    scratch.openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        &format!("{name}.pem"),
        "-in",
        "ct.bin",
        "-pkeyopt",
        "rsa_padding_mode:pkcs1",
    ])
}

#[test]
fn content_keys_encrypted_to_a_1024_bit_key_are_decrypted_by_openssl() {
    let scratch = Scratch::new();
    let key = openssl_small_key(&scratch, "k1024", 1024);
    for len in [16, 24, 32] {
        let secret: Vec<u8> = (0..len).map(|i| (i * 11 + 5) as u8).collect();
        let ciphertext = key.encrypt_pkcs1v15(&secret).unwrap();
        assert_eq!(ciphertext.len(), 128);
        assert_eq!(openssl_decrypt(&scratch, "k1024", &ciphertext), secret);
        assert_ne!(
            key.encrypt_pkcs1v15(&secret).unwrap(),
            ciphertext,
            "the padding is random"
        );
    }
}

#[test]
fn keys_between_1024_and_2047_bits_of_any_length_are_encrypted_to() {
    let scratch = Scratch::new();
    // 1100 bits: the top byte of the modulus is not full.
    for bits in [1100, 1536, 2040] {
        let name = format!("k{bits}");
        let key = openssl_small_key(&scratch, &name, bits);
        let ciphertext = key.encrypt_pkcs1v15(b"sixteen byte key").unwrap();
        assert_eq!(ciphertext.len(), (bits as usize).div_ceil(8));
        assert_eq!(
            openssl_decrypt(&scratch, &name, &ciphertext),
            b"sixteen byte key"
        );
    }
}

#[test]
fn a_1024_bit_key_carries_at_most_117_bytes() {
    let scratch = Scratch::new();
    let key = openssl_small_key(&scratch, "k1024", 1024);
    let longest = vec![0x5a; 117];
    let ciphertext = key.encrypt_pkcs1v15(&longest).unwrap();
    assert_eq!(openssl_decrypt(&scratch, "k1024", &ciphertext), longest);
    let err = key.encrypt_pkcs1v15(&[0x5a; 118]).unwrap_err();
    assert!(
        matches!(err, Error::PlaintextTooLong { len: 118, max: 117 }),
        "{err:?}"
    );
}

#[test]
fn a_2048_bit_key_refuses_plaintexts_over_245_bytes_with_the_same_error() {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let err = key.public_key().encrypt_pkcs1v15(&[1; 246]).unwrap_err();
    assert!(
        matches!(err, Error::PlaintextTooLong { len: 246, max: 245 }),
        "{err:?}"
    );
}

#[test]
fn an_envelope_to_a_1024_bit_certificate_is_decrypted_by_openssl_cms() {
    let scratch = Scratch::new();
    scratch.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-keyout",
        "device.key",
        "-out",
        "device.pem",
        "-days",
        "30",
        "-subj",
        "/CN=1024-bit device",
    ]);
    let devices = [scratch.cert("device.pem")];
    for cipher in [ContentEncryption::Aes128Cbc, ContentEncryption::DesEde3Cbc] {
        let envelope = enveloped_data::encrypt(&payload(), &devices, cipher).unwrap();
        scratch.write("env.der", envelope);
        let out = scratch.openssl(&[
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "env.der",
            "-recip",
            "device.pem",
            "-inkey",
            "device.key",
        ]);
        assert_eq!(out, payload(), "{cipher:?}");
    }
}

#[test]
fn encryption_to_a_512_bit_key_is_refused() {
    let scratch = Scratch::new();
    let key = openssl_small_key(&scratch, "k512", 512);
    let err = key.encrypt_pkcs1v15(&[1; 16]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::RsaKeyTooSmall {
                bits: 512,
                min: 1024
            }
        ),
        "{err:?}"
    );
}
