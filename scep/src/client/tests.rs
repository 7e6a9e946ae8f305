use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use cryptoutil::ContentEncryption;
use cryptoutil::PrivateKey;
use cryptoutil::cert;
use cryptoutil::cms::enveloped_data::EnvelopedMessage;
use cryptoutil::cms::signed_data;
use cryptoutil::csr::Csr;
use http::{Method, StatusCode};

use super::*;
use crate::message::{FailInfo, MessageType, PkiMessage};

mod fakes;

use fakes::*;

async fn enroll_with<T: Transport>(
    client: &Client<T>,
    device: &Device,
    challenge: &str,
) -> Result<Enrollment, ClientError> {
    let ca = client.ca_certificates(None).await?;
    client
        .enroll(
            &device.csr(challenge),
            device.requester(),
            &ca,
            MessageType::PkcsReq,
        )
        .await
}

#[test]
fn capabilities_match_case_insensitively_and_scep_standard_implies_post_aes_and_sha256() {
    let caps = Capabilities::parse("postpkioperation\r\nSHA-1\n\nDES3");
    assert!(caps.has("POSTPKIOperation") && caps.has("sha-1") && !caps.has("AES"));
    assert!(caps.supports_post() && !caps.supports_aes() && !caps.supports_sha256());
    assert_eq!(caps.request_cipher(), ContentEncryption::DesEde3Cbc);
    assert_eq!(caps.keywords().count(), 3);
    let standard = Capabilities::parse("SCEPStandard");
    assert!(standard.supports_post() && standard.supports_aes() && standard.supports_sha256());
    assert_eq!(standard.request_cipher(), ContentEncryption::Aes128Cbc);
}

#[tokio::test]
async fn the_client_enrolls_by_post_in_aes_with_the_key_identifier_as_transaction_id() {
    let ca = identity("CN=Client Test CA");
    let client = Client::new(InProcess::new(service(&ca)), URL.parse().unwrap());
    let caps = client.ca_caps().await.unwrap();
    assert!(caps.supports_post() && caps.supports_aes());
    let device = Device::new();
    let Enrollment::Issued(issued) = enroll_with(&client, &device, CHALLENGE).await.unwrap() else {
        panic!("not issued");
    };
    cert::verify_issued_by(&issued, &ca.certificate).unwrap();
    assert_eq!(cert::common_name(&issued).as_deref(), Some("device-1"));
    let sent = client.transport().pki_operations();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method(), Method::POST);
    let request = PkiMessage::parse(sent[0].body()).unwrap();
    let ski = device.key.public_key().subject_key_identifier();
    assert_eq!(request.transaction_id, STANDARD.encode(ski));
    assert_eq!(request.sender_nonce.len(), 16);
    let envelope = EnvelopedMessage::from_ber(&request.message_data).unwrap();
    assert_eq!(
        envelope.content_encryption().unwrap(),
        ContentEncryption::Aes128Cbc
    );
}

#[tokio::test]
async fn a_server_without_post_or_aes_gets_a_percent_encoded_get_in_triple_des() {
    let ca = identity("CN=Client Test CA");
    let mut transport = InProcess::new(service(&ca));
    transport.caps = Some("SHA-256\nDES3");
    let client = Client::new(transport, URL.parse().unwrap());
    let device = Device::new();
    let enrollment = enroll_with(&client, &device, CHALLENGE).await.unwrap();
    assert!(matches!(enrollment, Enrollment::Issued(_)));
    let sent = client.transport().pki_operations();
    assert_eq!(sent[0].method(), Method::GET);
    let raw_query = sent[0].uri().query().unwrap();
    let raw_message = raw_query.split("message=").nth(1).unwrap();
    assert!(!raw_message.contains(['+', '/', '=']), "{raw_message}");
    let message = query_param(&sent[0], "message").unwrap();
    let der = STANDARD.decode(message).unwrap();
    let request = PkiMessage::parse(&der).unwrap();
    let envelope = EnvelopedMessage::from_ber(&request.message_data).unwrap();
    assert_eq!(
        envelope.content_encryption().unwrap(),
        ContentEncryption::DesEde3Cbc
    );
}

#[tokio::test]
async fn a_wrong_challenge_is_refused_with_bad_request_and_its_text() {
    let ca = identity("CN=Client Test CA");
    let client = Client::new(InProcess::new(service(&ca)), URL.parse().unwrap());
    let err = enroll_with(&client, &Device::new(), "guess")
        .await
        .unwrap_err();
    let ClientError::Refused { fail_info, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*fail_info, Some(FailInfo::BadRequest));
    assert!(
        err.to_string().contains("failInfo: badRequest (2)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_cert_rep_with_a_wrong_recipient_nonce_is_rejected() {
    let ca = identity("CN=Client Test CA");
    let transport = Forging::new(&ca, |request| request.sender_nonce = vec![7; 16]);
    let client = Client::new(transport, URL.parse().unwrap());
    let err = enroll_with(&client, &Device::new(), CHALLENGE)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::CertRepCheck(m) if m.contains("recipientNonce")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_cert_rep_for_another_transaction_is_rejected() {
    let ca = identity("CN=Client Test CA");
    let transport = Forging::new(&ca, |request| {
        request.transaction_id = "someone else".into();
    });
    let client = Client::new(transport, URL.parse().unwrap());
    let err = enroll_with(&client, &Device::new(), CHALLENGE)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::CertRepCheck(m) if m.contains("transactionID")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_issued_certificate_for_another_key_is_rejected() {
    let ca = identity("CN=Client Test CA");
    let mut transport = Forging::new(&ca, |_| {});
    transport.issue_ca_certificate = true;
    let client = Client::new(transport, URL.parse().unwrap());
    let err = enroll_with(&client, &Device::new(), CHALLENGE)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::CertRepCheck(m) if m.contains("another key")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_cert_rep_not_signed_by_a_recipient_is_rejected() {
    let ca = identity("CN=Client Test CA");
    let client = Client::new(InProcess::new(service(&ca)), URL.parse().unwrap());
    let device = Device::new();
    let stranger = identity("CN=Some Other CA");
    let err = client
        .enroll(
            &device.csr(CHALLENGE),
            device.requester(),
            std::slice::from_ref(&stranger.certificate),
            MessageType::PkcsReq,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::CertRepCheck(m) if m.contains("GetCACert")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_pending_request_is_reported_and_can_be_polled() {
    let ca = identity("CN=Client Test CA");
    let client = Client::new(InProcess::new(pending_service(&ca)), URL.parse().unwrap());
    let device = Device::new();
    let csr = device.csr(CHALLENGE);
    let Enrollment::Pending { transaction_id } =
        enroll_with(&client, &device, CHALLENGE).await.unwrap()
    else {
        panic!("not pending");
    };
    assert_eq!(
        transaction_id,
        super::transaction_id(&Csr::from_der(&csr).unwrap())
    );
    let subject = Csr::from_der(&csr).unwrap().subject().clone();
    let issuer = &ca.certificate.tbs_certificate.subject;
    let polled = client
        .poll(
            &transaction_id,
            issuer,
            &subject,
            device.requester(),
            std::slice::from_ref(&ca.certificate),
        )
        .await
        .unwrap();
    assert!(matches!(polled, Enrollment::Pending { transaction_id: t } if t == transaction_id));
    let sent = client.transport().pki_operations();
    let poll = PkiMessage::parse(sent[1].body()).unwrap();
    assert_eq!(poll.message_type, MessageType::CertPoll);
    assert_eq!(poll.transaction_id, transaction_id);
}

#[tokio::test]
async fn polling_for_an_unknown_transaction_is_refused_by_the_service() {
    let ca = identity("CN=Client Test CA");
    let client = Client::new(InProcess::new(service(&ca)), URL.parse().unwrap());
    let device = Device::new();
    let subject = "CN=device-1".parse().unwrap();
    let issuer = &ca.certificate.tbs_certificate.subject;
    let err = client
        .poll(
            "nothing pending",
            issuer,
            &subject,
            device.requester(),
            std::slice::from_ref(&ca.certificate),
        )
        .await
        .unwrap_err();
    // badCertId, not badRequest: the service read our IssuerAndSubject.
    assert!(
        matches!(
            err,
            ClientError::Refused {
                fail_info: Some(FailInfo::BadCertId),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn get_ca_cert_reads_one_der_certificate_or_a_degenerate_pkcs7() {
    let ca = identity("CN=Client Test CA");
    let client = Client::new(InProcess::new(service(&ca)), URL.parse().unwrap());
    assert_eq!(
        client.ca_certificates(None).await.unwrap(),
        vec![ca.certificate.clone()]
    );
    let ra = identity("CN=Client Test RA");
    let chain = [ra.certificate.clone(), ca.certificate.clone()];
    let body = signed_data::build_certificates_only(&chain).unwrap();
    let canned = Canned(StatusCode::OK, "application/x-x509-ca-ra-cert", body.into());
    let client = Client::new(canned, URL.parse().unwrap());
    // A SET OF: the order on the wire is the DER order, not ours.
    let received = client.ca_certificates(Some("ca-ident")).await.unwrap();
    assert_eq!(received.len(), 2);
    assert!(chain.iter().all(|c| received.contains(c)));
}

#[tokio::test]
async fn get_ca_cert_sends_the_message_and_keeps_the_url_query() {
    let ca = identity("CN=Client Test CA");
    let url = "http://scep.test/scep?tenant=a%20b".parse().unwrap();
    let client = Client::new(InProcess::new(service(&ca)), url);
    client.ca_certificates(Some("MDM CA/1+2")).await.unwrap();
    let requests = client.transport().requests.lock().unwrap();
    assert_eq!(
        query_param(&requests[0], "message").as_deref(),
        Some("MDM CA/1+2")
    );
    assert_eq!(query_param(&requests[0], "tenant").as_deref(), Some("a b"));
    assert_eq!(requests[0].uri().path(), "/scep");
}

#[tokio::test]
async fn a_wrong_content_type_is_reported_with_what_was_found() {
    let canned = Canned(StatusCode::OK, "text/html", Bytes::from_static(b"<html>"));
    let client = Client::new(canned, URL.parse().unwrap());
    let err = client.ca_certificates(None).await.unwrap_err();
    assert!(matches!(err, ClientError::ContentType { .. }), "{err:?}");
    assert!(err.to_string().contains("\"text/html\""), "{err}");
}

#[tokio::test]
async fn an_http_error_is_reported_with_the_first_line_of_the_body() {
    let body = Bytes::from_static(b"operation not implemented\nmore detail");
    let canned = Canned(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", body);
    let client = Client::new(canned, URL.parse().unwrap());
    let err = client.ca_caps().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "HTTP status 500 Internal Server Error from GetCACaps: operation not implemented"
    );
}

#[tokio::test]
async fn a_malformed_ca_certificate_is_reported_as_such() {
    let canned = Canned(
        StatusCode::OK,
        "application/x-x509-ca-cert",
        Bytes::from_static(b"junk"),
    );
    let client = Client::new(canned, URL.parse().unwrap());
    let err = client.ca_certificates(None).await.unwrap_err();
    assert!(matches!(err, ClientError::Certificate(_)), "{err:?}");
}

#[tokio::test]
async fn a_transport_failure_names_the_operation_and_keeps_the_cause() {
    let client = Client::new(Unreachable, URL.parse().unwrap());
    let err = client.ca_certificates(None).await.unwrap_err();
    assert_eq!(err.to_string(), "transport failure during GetCACert");
    let source = std::error::Error::source(&err).unwrap();
    assert_eq!(source.to_string(), "connection refused");
}
