//! A real macOS PKCSReq (2016, from micromdm/scep's test data, read in
//! place from `shared/fixtures`): parsed, verified and answered at a pinned
//! time, since its test CA expired in 2026.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cryptoutil::cert;
use scep::message::{MessageType, PkiStatus};
use scep::{Identity, IssuancePolicy, MemoryDepot, PkiMessage, Service};

fn fixture(path: &str) -> Vec<u8> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/micromdm-scep/testdata")
        .join(path);
    std::fs::read(&file)
        .unwrap_or_else(|e| panic!("shared fixture {} missing: {e}", file.display()))
}

/// 2016-06-01, inside the test CA's validity (2016-05-29 to 2026-05-29) and
/// just after the request's signingTime (2016-05-31).
fn pinned_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_464_739_200)
}

fn test_ca() -> Identity {
    // micromdm's ca.key is legacy-encrypted PEM with an empty password.
    let pem = String::from_utf8(fixture("testca/ca.key")).unwrap();
    let (_, der) = cryptoutil::pem::legacy::decrypt(&pem, b"").unwrap();
    let key = cryptoutil::RsaPrivateKey::from_der(&der).unwrap();
    let certificate = cert::from_pem_or_der(&fixture("testca/ca.pem"))
        .unwrap()
        .remove(0);
    Identity {
        certificate,
        key: Arc::new(key),
    }
}

#[tokio::test]
async fn a_real_macos_pkcsreq_is_parsed_verified_and_answered() {
    let body = fixture("PKCSReq.der");
    let request = PkiMessage::parse(&body).unwrap();
    assert_eq!(request.message_type, MessageType::PkcsReq);
    assert_eq!(
        request.transaction_id.len(),
        40,
        "Apple sends 40 hex characters"
    );

    let ca = test_ca();
    let ca_certificate = ca.certificate.clone();
    // The capture carries no challenge password.
    let service = Service::standard(
        Arc::new(MemoryDepot::new(ca)),
        None,
        IssuancePolicy::default(),
    );
    let cert_rep = service.pki_operation(&body, pinned_now()).await.unwrap();
    let rep = PkiMessage::parse(&cert_rep).unwrap();
    assert_eq!(
        rep.pki_status,
        Some(PkiStatus::Success),
        "{:?}",
        rep.fail_info_text
    );
    assert_eq!(rep.transaction_id, request.transaction_id);
    assert_eq!(
        rep.recipient_nonce.as_deref(),
        Some(request.sender_nonce.as_slice())
    );

    // The reply is encrypted to the device's 1024-bit key, which only the
    // device holds; check what we can: the envelope is addressed to the
    // device's certificate, and the issued certificate is in the CertRep.
    let envelope =
        cryptoutil::cms::enveloped_data::EnvelopedMessage::from_ber(&rep.message_data).unwrap();
    assert_eq!(
        envelope.enveloped_data().recip_infos.0.len(),
        request.certificates.len()
    );
    let issued = rep
        .certificates
        .iter()
        .find(|c| **c != ca_certificate)
        .expect("the issued certificate travels in the CertRep");
    cert::verify_issued_by(issued, &ca_certificate).unwrap();
    assert!(
        cert::common_name(issued)
            .unwrap()
            .starts_with("com.apple.security.scep.")
    );
    assert!(cert::is_valid_at(issued, pinned_now()));
}

#[tokio::test]
async fn the_macos_pkcsreq_is_refused_now_that_the_ca_certificate_has_expired() {
    let body = fixture("PKCSReq.der");
    let service = Service::standard(
        Arc::new(MemoryDepot::new(test_ca())),
        None,
        IssuancePolicy::default(),
    );
    let cert_rep = service
        .pki_operation(&body, SystemTime::now())
        .await
        .unwrap();
    // Signed by an expired CA, the CertRep fails verification, as it should
    // for any client; read its attributes without verifying.
    assert!(PkiMessage::parse(&cert_rep).is_err());
    let message = cryptoutil::cms::signed_data::SignedMessage::from_ber(&cert_rep).unwrap();
    let info = message.signer_infos().next().unwrap();
    let attrs = info.signed_attrs.as_ref().unwrap();
    let read = |oid| {
        cryptoutil::attribute::find(attrs.iter(), oid)
            .and_then(cryptoutil::attribute::any_to_string)
    };
    assert_eq!(
        read(scep::message::oid::PKI_STATUS).as_deref(),
        Some("2"),
        "FAILURE"
    );
    assert_eq!(
        read(scep::message::oid::FAIL_INFO_TEXT).as_deref(),
        Some("the CA certificate is not valid now")
    );
}
