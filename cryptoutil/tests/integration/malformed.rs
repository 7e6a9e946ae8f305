//! Malformed input gives a typed error, never a panic or an unbounded
//! allocation.

use cryptoutil::cms::enveloped_data::EnvelopedMessage;
use cryptoutil::cms::signed_data::{SignedDataBuilder, SignedMessage, Signer};
use cryptoutil::csr::Csr;
use cryptoutil::{ContentEncryption, Error};

use crate::support::own_identity;

fn samples() -> Vec<Vec<u8>> {
    let (key, cert) = own_identity("malformed");
    let signed = SignedDataBuilder::new(b"content")
        .signer(Signer::new(&cert, &key))
        .build()
        .unwrap();
    let enveloped = cryptoutil::cms::enveloped_data::encrypt(
        b"content",
        std::slice::from_ref(&cert),
        ContentEncryption::Aes128Cbc,
    )
    .unwrap();
    vec![signed, enveloped]
}

fn parse_all(input: &[u8]) {
    let _ = SignedMessage::from_ber(input).map(|m| m.verify(Some(b"content")));
    let _ = EnvelopedMessage::from_ber(input);
    let _ = Csr::from_der(input);
    let _ = cryptoutil::cert::from_pem_or_der(input);
}

#[test]
fn truncation_at_every_offset_is_an_error() {
    for sample in samples() {
        for len in 0..sample.len() {
            assert!(SignedMessage::from_ber(&sample[..len]).is_err());
            assert!(EnvelopedMessage::from_ber(&sample[..len]).is_err());
        }
    }
}

#[test]
fn byte_flips_at_every_offset_never_panic() {
    for sample in samples() {
        for i in 0..sample.len() {
            for mask in [0x01, 0x80, 0xff] {
                let mut mutated = sample.clone();
                mutated[i] ^= mask;
                parse_all(&mutated);
            }
        }
    }
}

#[test]
fn empty_input_is_a_ber_error() {
    assert!(matches!(SignedMessage::from_ber(&[]), Err(Error::Ber(_))));
    assert!(matches!(
        EnvelopedMessage::from_ber(&[]),
        Err(Error::Ber(_))
    ));
}

#[test]
fn a_100_mb_declared_length_fails_fast() {
    // SEQUENCE claiming 100,000,000 bytes, followed by 4 bytes.
    let input = [0x30, 0x84, 0x05, 0xf5, 0xe1, 0x00, 1, 2, 3, 4];
    assert!(matches!(
        SignedMessage::from_ber(&input),
        Err(Error::Ber(_))
    ));
}

#[test]
fn deep_nesting_is_refused() {
    let mut input = Vec::new();
    for _ in 0..10_000 {
        input.extend_from_slice(&[0x30, 0x80]);
    }
    input.extend(std::iter::repeat_n(0, 20_000));
    assert!(matches!(
        SignedMessage::from_ber(&input),
        Err(Error::Ber(_))
    ));
}

#[test]
fn wrong_tags_are_reported_as_malformed_structures() {
    // A valid DER INTEGER where a ContentInfo should be.
    let err = SignedMessage::from_ber(&[0x02, 0x01, 0x05]).unwrap_err();
    assert!(matches!(err, Error::Asn1 { .. }), "{err:?}");
    assert_eq!(err.to_string(), "malformed ContentInfo");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let input = vec![0u8; 5 * 1024 * 1024];
    assert!(matches!(
        SignedMessage::from_ber(&input),
        Err(Error::Ber(_))
    ));
}
