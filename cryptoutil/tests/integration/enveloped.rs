//! EnvelopedData against openssl, in both directions and every cipher.

use cryptoutil::cms::enveloped_data::{self, EnvelopedMessage};
use cryptoutil::{ContentEncryption, Error};

use crate::support::{Scratch, own_identity, payload};

/// openssl encrypts `payload()` to `recipient.pem` with `args` and returns
/// the output file.
fn openssl_envelope(scratch: &Scratch, args: &[&str]) -> Vec<u8> {
    scratch.write("data.bin", payload());
    let mut all = vec![
        "cms", "-encrypt", "-binary", "-in", "data.bin", "-outform", "DER", "-out", "env.der",
    ];
    all.extend_from_slice(args);
    all.push("recipient.pem");
    scratch.openssl(&all);
    scratch.read("env.der")
}

#[test]
fn openssl_envelopes_decrypt_with_every_supported_cipher() {
    let scratch = Scratch::new();
    let (key, cert) = scratch.openssl_identity("recipient");
    let cases: [(&[&str], ContentEncryption); 5] = [
        (&["-aes128"], ContentEncryption::Aes128Cbc),
        (&["-aes192"], ContentEncryption::Aes192Cbc),
        (&["-aes256"], ContentEncryption::Aes256Cbc),
        (&["-des3"], ContentEncryption::DesEde3Cbc),
        // Single DES lives in openssl 3's legacy provider.
        (
            &["-des", "-provider", "legacy", "-provider", "default"],
            ContentEncryption::DesCbc,
        ),
    ];
    for (args, cipher) in cases {
        let der = openssl_envelope(&scratch, args);
        let message = EnvelopedMessage::from_ber(&der).unwrap();
        assert_eq!(message.content_encryption().unwrap(), cipher);
        assert_eq!(
            message.decrypt(&cert, &key).unwrap(),
            payload(),
            "{cipher:?}"
        );
    }
}

#[test]
fn openssl_streamed_ber_envelope_decrypts() {
    // -stream writes indefinite lengths and encryptedContent as constructed
    // [0] segments, like Apple's DEP token files.
    let scratch = Scratch::new();
    let (key, cert) = scratch.openssl_identity("recipient");
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    scratch.write("data.bin", &big);
    scratch.openssl(&[
        "cms",
        "-encrypt",
        "-binary",
        "-stream",
        "-aes256",
        "-in",
        "data.bin",
        "-outform",
        "DER",
        "-out",
        "env.der",
        "recipient.pem",
    ]);
    let ber = scratch.read("env.der");
    assert_eq!(ber[1], 0x80, "openssl -stream writes indefinite lengths");
    assert_eq!(enveloped_data::decrypt(&ber, &cert, &key).unwrap(), big);
}

#[test]
fn our_envelopes_decrypt_with_openssl() {
    let scratch = Scratch::new();
    let (key, cert) = own_identity("recipient");
    scratch.write("recipient.key", key.to_pkcs8_pem());
    scratch.write_cert("recipient.pem", &cert);
    for cipher in [
        ContentEncryption::Aes128Cbc,
        ContentEncryption::Aes256Cbc,
        ContentEncryption::DesEde3Cbc,
    ] {
        let der = enveloped_data::encrypt(&payload(), std::slice::from_ref(&cert), cipher).unwrap();
        scratch.write("ours.der", &der);
        scratch.openssl(&[
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "ours.der",
            "-recip",
            "recipient.pem",
            "-inkey",
            "recipient.key",
            "-out",
            "out.bin",
        ]);
        assert_eq!(scratch.read("out.bin"), payload(), "{cipher:?}");
    }
}

#[test]
fn an_envelope_to_several_recipients_opens_for_each() {
    let (key_a, cert_a) = own_identity("a");
    let (key_b, cert_b) = own_identity("b");
    let der = enveloped_data::encrypt(
        b"both",
        &[cert_a.clone(), cert_b.clone()],
        ContentEncryption::Aes128Cbc,
    )
    .unwrap();
    assert_eq!(
        enveloped_data::decrypt(&der, &cert_a, &key_a).unwrap(),
        b"both"
    );
    assert_eq!(
        enveloped_data::decrypt(&der, &cert_b, &key_b).unwrap(),
        b"both"
    );
}

#[test]
fn an_envelope_for_another_recipient_is_reported_as_such() {
    let (_, cert_a) = own_identity("a");
    let (key_b, cert_b) = own_identity("b");
    let der = enveloped_data::encrypt(b"x", &[cert_a], ContentEncryption::Aes128Cbc).unwrap();
    let err = enveloped_data::decrypt(&der, &cert_b, &key_b).unwrap_err();
    assert!(matches!(err, Error::NoMatchingRecipient), "{err:?}");
}

#[test]
fn the_wrong_key_gives_a_decrypt_error_without_detail() {
    let (_, cert) = own_identity("a");
    let (other_key, _) = own_identity("b");
    let der = enveloped_data::encrypt(
        b"x",
        std::slice::from_ref(&cert),
        ContentEncryption::Aes128Cbc,
    )
    .unwrap();
    let err = enveloped_data::decrypt(&der, &cert, &other_key).unwrap_err();
    assert!(matches!(err, Error::Decrypt), "{err:?}");
    assert_eq!(err.to_string(), "decryption failed");
}

#[test]
fn single_des_is_never_produced() {
    let (_, cert) = own_identity("a");
    let err = enveloped_data::encrypt(b"x", &[cert], ContentEncryption::DesCbc).unwrap_err();
    assert!(err.to_string().contains("single DES"), "{err}");
}

#[test]
fn a_signed_data_is_not_mistaken_for_an_envelope() {
    let (key, cert) = own_identity("a");
    let signed = cryptoutil::cms::signed_data::SignedDataBuilder::new(b"x")
        .signer(cryptoutil::cms::signed_data::Signer::new(&cert, &key))
        .build()
        .unwrap();
    let err = EnvelopedMessage::from_ber(&signed).unwrap_err();
    assert!(
        matches!(err, Error::UnexpectedContentType { .. }),
        "{err:?}"
    );
}
