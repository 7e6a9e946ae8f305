use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use cryptoutil::cert;
use cryptoutil::der::Encode;

use super::*;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn key_pair() -> &'static KeyPair {
    static PAIR: OnceLock<KeyPair> = OnceLock::new();
    PAIR.get_or_init(|| self_signed_key_pair("depserver", 1, now()).unwrap())
}

fn other_key_pair() -> &'static KeyPair {
    static PAIR: OnceLock<KeyPair> = OnceLock::new();
    PAIR.get_or_init(|| self_signed_key_pair("other", 1, now()).unwrap())
}

fn tokens() -> OAuth1Tokens {
    OAuth1Tokens {
        consumer_key: "CK_1".into(),
        consumer_secret: "CS_1".into(),
        access_token: "AT_1".into(),
        access_secret: "AS_1".into(),
        access_token_expiry: Some(now() + Duration::from_secs(365 * 86_400)),
    }
}

fn p7m_for(tokens: &OAuth1Tokens, pair: &KeyPair) -> Vec<u8> {
    let (certificate, _) = pair.load().unwrap();
    encrypt_token(tokens, &certificate, ContentEncryption::Aes256Cbc).unwrap()
}

#[test]
fn a_generated_certificate_is_self_signed_rsa_2048_serial_1_with_the_given_name_and_validity() {
    let pair = self_signed_key_pair("my, server", 3, now()).unwrap();
    let (certificate, key) = pair.load().unwrap();
    assert_eq!(key.bits(), 2048);
    assert_eq!(
        cert::common_name(&certificate).as_deref(),
        Some("my, server")
    );
    assert_eq!(certificate.tbs_certificate.serial_number.as_bytes(), [1]);
    assert_eq!(
        certificate.tbs_certificate.issuer,
        certificate.tbs_certificate.subject
    );
    cert::verify_issued_by(&certificate, &certificate).unwrap();
    assert!(cert::is_valid_at(
        &certificate,
        now() - Duration::from_secs(599)
    ));
    assert!(cert::is_valid_at(
        &certificate,
        now() + Duration::from_secs(3 * 86_400)
    ));
    assert!(!cert::is_valid_at(
        &certificate,
        now() + Duration::from_secs(3 * 86_400 + 1)
    ));
}

#[test]
fn the_key_is_pkcs1_pem_and_the_certificate_pem() {
    let pair = key_pair();
    assert!(pair.key_pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert!(
        pair.certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert!(!format!("{pair:?}").contains("PRIVATE"));
}

#[test]
fn an_empty_common_name_is_refused() {
    assert!(matches!(
        self_signed_key_pair("", 1, now()),
        Err(TokenError::KeyPair(..))
    ));
}

#[test]
fn a_token_encrypted_to_the_certificate_decrypts_to_the_same_tokens() {
    let p7m = p7m_for(&tokens(), key_pair());
    assert!(p7m.starts_with(b"Content-Type: application/pkcs7-mime"));
    assert_eq!(decrypt_token(&p7m, key_pair(), now()).unwrap(), tokens());
}

#[test]
fn a_token_for_another_certificate_names_the_certificate_as_wrong() {
    let p7m = p7m_for(&tokens(), other_key_pair());
    let err = decrypt_token(&p7m, key_pair(), now()).unwrap_err();
    assert!(matches!(err, TokenError::WrongCertificate), "{err:?}");
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_the_wrong_key() {
    let p7m = p7m_for(&tokens(), key_pair());
    let mixed = KeyPair {
        certificate_pem: key_pair().certificate_pem.clone(),
        key_pem: other_key_pair().key_pem.clone(),
    };
    let err = decrypt_token(&p7m, &mixed, now()).unwrap_err();
    assert!(matches!(err, TokenError::WrongKey), "{err:?}");
}

#[test]
fn an_expired_token_is_refused_with_its_expiry() {
    let mut old = tokens();
    old.access_token_expiry = Some(now() - Duration::from_secs(1));
    let err = decrypt_token(&p7m_for(&old, key_pair()), key_pair(), now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "token expired at 2023-11-14T22:13:19Z; download a new one"
    );
}

#[test]
fn a_truncated_file_is_reported_as_truncated() {
    let p7m = p7m_for(&tokens(), key_pair());
    for len in [p7m.len() / 2, p7m.len() - 20, 320] {
        let err = decrypt_token(&p7m[..len], key_pair(), now()).unwrap_err();
        assert!(matches!(err, TokenError::Truncated(_)), "{len}: {err:?}");
    }
}

#[test]
fn files_that_are_not_smime_are_named_as_such() {
    let (certificate, _) = key_pair().load().unwrap();
    let der = certificate.to_der().unwrap();
    for input in [
        der.as_slice(),
        b"{\"consumer_key\":\"CK\"}\n".as_slice(),
        b"Content-Type: text/plain\n\nhello\n",
    ] {
        let err = decrypt_token(input, key_pair(), now()).unwrap_err();
        assert!(matches!(err, TokenError::NotSmime(_)), "{err:?}");
    }
}

#[test]
fn a_token_with_an_empty_field_is_incomplete() {
    let mut bad = tokens();
    bad.access_secret.clear();
    let err = decrypt_token(&p7m_for(&bad, key_pair()), key_pair(), now()).unwrap_err();
    assert_eq!(err.to_string(), "token has an empty access_secret");
}

#[test]
fn the_token_message_may_span_lines_and_use_crlf() {
    let text = "Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\r\n\
        {\"consumer_key\":\"CK_1\",\"consumer_secret\":\"CS_1\",\r\n\"access_token\":\"AT_1\",\
        \"access_secret\":\"AS_1\",\"access_token_expiry\":\"2023-07-01T22:18:53Z\"}\r\n\
        -----END MESSAGE-----\r\n";
    let tokens = unwrap_token_message(text.as_bytes()).unwrap();
    assert_eq!(tokens.access_secret, "AS_1");
    assert_eq!(
        tokens.access_token_expiry,
        Some(UNIX_EPOCH + Duration::from_secs(1_688_249_933))
    );
}

#[test]
fn a_message_without_markers_is_refused() {
    let err = unwrap_token_message(b"Content-Type: text/plain\n\n{}").unwrap_err();
    assert!(matches!(err, TokenError::Message(_)));
    let err = unwrap_token_message(b"-----BEGIN MESSAGE-----\n{}").unwrap_err();
    assert!(matches!(err, TokenError::Message("no END MESSAGE line")));
}
