use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::{RsaPrivateKey, pem};

use super::*;

const TOPIC: &str = "com.apple.mgmt.External.0c5a4e2a-1111-2222-3333-444455556666";
const EC_SEC1: &str = include_str!("../../../tests/fixtures/push_cert_ec_p256_sec1.pem");
const EC_PKCS8_KEY: &str = include_str!("../../../tests/fixtures/push_key_ec_p256_pkcs8.pem");

struct Identity {
    cert: Certificate,
    key: RsaPrivateKey,
}

fn identity(subject: &str) -> Identity {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let mut profile = CertificateProfile::new(365).unwrap();
    profile.not_after = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let cert = cert::self_signed(subject.parse().unwrap(), &key, &profile).unwrap();
    Identity { cert, key }
}

/// A push certificate like Apple's: the topic in the subject's UID.
fn push() -> &'static Identity {
    static PUSH: OnceLock<Identity> = OnceLock::new();
    PUSH.get_or_init(|| identity(&format!("UID={TOPIC},CN=APSP:0c5a4e2a,C=US")))
}

fn other() -> &'static Identity {
    static OTHER: OnceLock<Identity> = OnceLock::new();
    OTHER.get_or_init(|| identity("CN=not a push certificate"))
}

fn cert_pem(identity: &Identity) -> String {
    cert::to_pem(&identity.cert).unwrap()
}

fn pkcs1_pem(key: &RsaPrivateKey) -> String {
    let info = pkcs8::PrivateKeyInfo::try_from(key.to_pkcs8_der()).unwrap();
    pem::encode("RSA PRIVATE KEY", info.private_key)
}

fn parse(text: &str) -> Result<PushCertificate, PushCertError> {
    PushCertificate::from_pem(text.as_bytes())
}

#[test]
fn a_pkcs8_rsa_upload_yields_topic_and_not_after() {
    let upload = cert_pem(push()) + &push().key.to_pkcs8_pem();
    let parsed = parse(&upload).unwrap();
    assert_eq!(parsed.topic(), TOPIC);
    assert_eq!(
        parsed.not_after(),
        SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000)
    );
    assert_eq!(parsed.certificate(), &push().cert);
    assert_eq!(parsed.private_key_der().0, KeyFormat::Pkcs8);
}

#[test]
fn a_pkcs1_rsa_key_is_accepted() {
    let upload = cert_pem(push()) + &pkcs1_pem(&push().key);
    let parsed = parse(&upload).unwrap();
    assert_eq!(parsed.private_key_der().0, KeyFormat::Pkcs1);
}

#[test]
fn the_key_may_come_before_the_certificate() {
    let upload = push().key.to_pkcs8_pem() + &cert_pem(push());
    assert_eq!(parse(&upload).unwrap().topic(), TOPIC);
}

#[test]
fn blocks_glued_without_a_newline_are_split() {
    let upload = cert_pem(push()).trim_end().to_owned() + push().key.to_pkcs8_pem().as_str();
    assert!(upload.contains("----------"));
    assert_eq!(parse(&upload).unwrap().topic(), TOPIC);
}

#[test]
fn the_last_certificate_wins() {
    let key = push().key.to_pkcs8_pem();
    let upload = cert_pem(other()) + &cert_pem(push()) + &key;
    assert_eq!(parse(&upload).unwrap().topic(), TOPIC);
    let upload = cert_pem(push()) + &cert_pem(other()) + &key;
    assert!(matches!(parse(&upload), Err(PushCertError::KeyMismatch)));
}

#[test]
fn the_key_of_another_certificate_is_a_mismatch() {
    let upload = cert_pem(push()) + &other().key.to_pkcs8_pem();
    let err = parse(&upload).unwrap_err();
    assert!(matches!(err, PushCertError::KeyMismatch), "{err:?}");
    assert_eq!(
        err.to_string(),
        "private key does not match the push certificate"
    );
}

#[test]
fn an_encrypted_pkcs8_key_is_refused() {
    let upload = cert_pem(push()) + &pem::encode("ENCRYPTED PRIVATE KEY", b"opaque");
    assert!(matches!(parse(&upload), Err(PushCertError::EncryptedKey)));
}

#[test]
fn a_legacy_encrypted_key_is_refused() {
    let upload = cert_pem(push())
        + "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert!(matches!(parse(&upload), Err(PushCertError::EncryptedKey)));
}

#[test]
fn other_block_types_are_refused_by_name() {
    let upload =
        cert_pem(push()) + &push().key.to_pkcs8_pem() + &pem::encode("CERTIFICATE REQUEST", b"x");
    let err = parse(&upload).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unrecognized PEM block \"CERTIFICATE REQUEST\""
    );
    let upload = cert_pem(push()) + &pem::encode("OPENSSH PRIVATE KEY", b"x");
    assert!(
        matches!(parse(&upload), Err(PushCertError::UnsupportedKey(l)) if l == "OPENSSH PRIVATE KEY")
    );
}

#[test]
fn a_missing_certificate_or_key_is_named() {
    assert!(matches!(
        parse(&push().key.to_pkcs8_pem()),
        Err(PushCertError::MissingCertificate)
    ));
    assert!(matches!(
        parse(&cert_pem(push())),
        Err(PushCertError::MissingKey)
    ));
    assert!(matches!(parse(""), Err(PushCertError::MissingCertificate)));
}

#[test]
fn malformed_pem_and_certificates_are_errors_not_panics() {
    let bad_base64 = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(parse(bad_base64), Err(PushCertError::Pem(_))));
    assert!(matches!(
        PushCertificate::from_pem(&[0xff, 0xfe]),
        Err(PushCertError::Pem(_))
    ));
    let not_a_cert = pem::encode("CERTIFICATE", b"nope") + &push().key.to_pkcs8_pem();
    assert!(matches!(
        parse(&not_a_cert),
        Err(PushCertError::Certificate(_))
    ));
    let bad_key = cert_pem(push()) + &pem::encode("PRIVATE KEY", b"nope");
    assert!(matches!(parse(&bad_key), Err(PushCertError::InvalidKey(_))));
}

#[test]
fn a_certificate_without_an_mdm_topic_is_refused() {
    let upload = cert_pem(other()) + &other().key.to_pkcs8_pem();
    assert!(matches!(parse(&upload), Err(PushCertError::NoTopic)));
    let web = identity("UID=com.example.app,CN=web push");
    let upload = cert_pem(&web) + &web.key.to_pkcs8_pem();
    let err = parse(&upload).unwrap_err();
    assert!(matches!(&err, PushCertError::NotMdmTopic(t) if t == "com.example.app"));
    assert!(err.to_string().contains("com.apple.mgmt"), "{err}");
}

#[test]
fn ec_keys_are_accepted_in_sec1_and_pkcs8() {
    let sec1 = parse(EC_SEC1).unwrap();
    assert_eq!(
        sec1.topic(),
        "com.apple.mgmt.External.7e1f0c3a-ec00-4b6e-9d1e-000000000256"
    );
    assert_eq!(sec1.private_key_der().0, KeyFormat::Sec1);
    let cert_only = &EC_SEC1[..EC_SEC1.find("-----BEGIN EC").unwrap()];
    let pkcs8 = parse(&(cert_only.to_owned() + EC_PKCS8_KEY)).unwrap();
    assert_eq!(pkcs8.private_key_der().0, KeyFormat::Pkcs8);
}

#[test]
fn an_ec_key_with_an_rsa_certificate_is_refused() {
    let ec_key = &EC_SEC1[EC_SEC1.find("-----BEGIN EC").unwrap()..];
    let upload = cert_pem(push()) + ec_key;
    assert!(matches!(parse(&upload), Err(PushCertError::KeyMismatch)));
    let cert_only = &EC_SEC1[..EC_SEC1.find("-----BEGIN EC").unwrap()];
    let upload = cert_only.to_owned() + &push().key.to_pkcs8_pem();
    assert!(matches!(parse(&upload), Err(PushCertError::InvalidKey(_))));
}

#[test]
fn the_stored_form_parses_back_to_the_same_pair() {
    for upload in [
        cert_pem(push()) + &pkcs1_pem(&push().key),
        EC_SEC1.to_owned(),
    ] {
        let parsed = parse(&upload).unwrap();
        let stored = parsed.to_push_cert();
        assert_eq!(stored.topic, parsed.topic());
        let back = PushCertificate::from_push_cert(&stored).unwrap();
        assert_eq!(back.certificate_der(), parsed.certificate_der());
        assert_eq!(back.private_key_der(), parsed.private_key_der());
    }
}

#[test]
fn debug_output_shows_no_key_material() {
    let parsed = parse(EC_SEC1).unwrap();
    let debug = format!("{parsed:?}");
    assert!(debug.contains("topic"), "{debug}");
    assert!(!debug.contains("key_der"), "{debug}");
}
