//! Enrollments through the service, with the message layer as the client.

use std::time::SystemTime;

use cryptoutil::cert;
use cryptoutil::x509_cert::ext::pkix::name::GeneralName;
use cryptoutil::x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, SubjectAltName};
use cryptoutil::{ContentEncryption, der};
use scep::Depot;
use scep::message::{FailInfo, MessageType, PkiMessage, PkiStatus};

use crate::support::{CHALLENGE, Device, test_ca};

async fn reply(ca: &crate::support::TestCa, request: &[u8]) -> PkiMessage {
    let cert_rep = ca
        .service
        .pki_operation(request, SystemTime::now())
        .await
        .unwrap();
    PkiMessage::parse(&cert_rep).unwrap()
}

#[tokio::test]
async fn a_pkcsreq_with_the_right_challenge_is_issued_a_certificate() {
    let ca = test_ca();
    let device = Device::new();
    let rep = reply(&ca, &device.pkcs_req(Some(CHALLENGE), &ca.certificate)).await;
    assert_eq!(rep.message_type, MessageType::CertRep);
    assert_eq!(rep.pki_status, Some(PkiStatus::Success));
    assert_eq!(
        rep.signer, ca.certificate,
        "CertRep is signed by the GetCACert certificate"
    );
    let issued = rep
        .issued_certificate(&device.certificate, &device.key)
        .unwrap();
    cert::verify_issued_by(&issued, &ca.certificate).unwrap();
    assert_eq!(cert::common_name(&issued).as_deref(), Some("device-1"));
    assert_eq!(
        cert::public_key(&issued).unwrap(),
        *cryptoutil::PrivateKey::public_key(&device.key)
    );
    let eku = cert::find_extension::<ExtendedKeyUsage>(&issued).unwrap();
    assert_eq!(eku.0, vec![cert::ID_KP_CLIENT_AUTH]);
    let usage = cert::find_extension::<KeyUsage>(&issued).unwrap();
    assert!(usage.digital_signature() && usage.key_encipherment());
    let stored: Vec<_> = ca
        .depot
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.certificate)
        .collect();
    assert_eq!(stored, vec![issued]);
}

#[tokio::test]
async fn the_cert_rep_echoes_the_transaction_and_the_sender_nonce() {
    let ca = test_ca();
    let device = Device::new();
    let request = device.pkcs_req(Some(CHALLENGE), &ca.certificate);
    let parsed_request = PkiMessage::parse(&request).unwrap();
    let rep = reply(&ca, &request).await;
    assert_eq!(rep.transaction_id, parsed_request.transaction_id);
    assert_eq!(
        rep.recipient_nonce.as_deref(),
        Some(parsed_request.sender_nonce.as_slice())
    );
    assert_ne!(
        rep.sender_nonce, parsed_request.sender_nonce,
        "the CA sends a fresh nonce"
    );
}

#[tokio::test]
async fn a_wrong_or_missing_challenge_gets_a_failure_with_bad_request() {
    let ca = test_ca();
    let device = Device::new();
    for challenge in [Some("wrong"), None] {
        let rep = reply(&ca, &device.pkcs_req(challenge, &ca.certificate)).await;
        assert_eq!(rep.pki_status, Some(PkiStatus::Failure), "{challenge:?}");
        assert_eq!(rep.fail_info, Some(FailInfo::BadRequest));
        assert_eq!(rep.fail_info_text.as_deref(), Some("invalid challenge"));
        let err = rep
            .issued_certificate(&device.certificate, &device.key)
            .unwrap_err();
        assert!(err.to_string().contains("invalid challenge"), "{err}");
    }
    assert!(ca.depot.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn requested_subject_alt_names_are_copied() {
    let ca = test_ca();
    let device = Device::new();
    let san = SubjectAltName(vec![GeneralName::DnsName(
        der::asn1::Ia5String::new("device.example").unwrap(),
    )]);
    let ext = cert::extension("2.5.29.17".parse().unwrap(), false, &san).unwrap();
    let csr = device.csr("device-san", Some(CHALLENGE), &[ext]);
    let request = device.request(
        MessageType::PkcsReq,
        &csr,
        &ca.certificate,
        ContentEncryption::DesEde3Cbc,
    );
    let issued = reply(&ca, &request)
        .await
        .issued_certificate(&device.certificate, &device.key)
        .unwrap();
    assert_eq!(cert::find_extension::<SubjectAltName>(&issued), Some(san));
}

#[tokio::test]
async fn a_request_encrypted_to_another_ca_gets_bad_message_check() {
    let ca = test_ca();
    let other = test_ca();
    let device = Device::new();
    let rep = reply(&ca, &device.pkcs_req(Some(CHALLENGE), &other.certificate)).await;
    assert_eq!(rep.fail_info, Some(FailInfo::BadMessageCheck));
}

#[tokio::test]
async fn a_csr_whose_signature_does_not_verify_gets_bad_message_check() {
    let ca = test_ca();
    let device = Device::new();
    let mut csr = device.csr("device-1", Some(CHALLENGE), &[]);
    let last = csr.len() - 1;
    csr[last] ^= 1;
    let request = device.request(
        MessageType::PkcsReq,
        &csr,
        &ca.certificate,
        ContentEncryption::Aes128Cbc,
    );
    let rep = reply(&ca, &request).await;
    assert_eq!(rep.fail_info, Some(FailInfo::BadMessageCheck));
    assert_eq!(
        rep.fail_info_text.as_deref(),
        Some("CSR signature does not verify")
    );
}

#[tokio::test]
async fn a_tampered_pki_message_is_an_error_not_a_cert_rep() {
    let ca = test_ca();
    let device = Device::new();
    let mut request = device.pkcs_req(Some(CHALLENGE), &ca.certificate);
    let middle = request.len() / 2;
    request[middle] ^= 0xff;
    assert!(
        ca.service
            .pki_operation(&request, SystemTime::now())
            .await
            .is_err()
    );
}
