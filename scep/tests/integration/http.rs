//! The HTTP adapter: operations, status codes and GET encodings.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use cryptoutil::der::Encode;
use http::{Method, Request, StatusCode};
use scep::PkiMessage;
use scep::message::PkiStatus;

use scep::IssuancePolicy;
use scep::signer::DuplicateSubjects;

use crate::support::{CHALLENGE, Device, test_ca, test_ca_with};

fn request(method: Method, query: &str, body: &[u8]) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(format!("/scep?{query}"))
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

#[tokio::test]
async fn get_ca_caps_lists_only_what_is_implemented() {
    let ca = test_ca();
    let response = scep::http::handle(
        &ca.service,
        request(Method::GET, "operation=GetCACaps", b""),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/plain");
    let caps = String::from_utf8(response.body().to_vec()).unwrap();
    assert!(caps.lines().any(|c| c == "POSTPKIOperation"));
    assert!(caps.lines().any(|c| c == "AES"));
    assert!(caps.lines().any(|c| c == "Renewal"));
    assert!(!caps.contains("GetNextCACert"), "no next CA is configured");
}

#[tokio::test]
async fn get_ca_cert_returns_the_ca_certificate_der() {
    let ca = test_ca();
    let response = scep::http::handle(
        &ca.service,
        request(Method::GET, "operation=GetCACert&message=CA", b""),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-x509-ca-cert"
    );
    assert_eq!(response.body().to_vec(), ca.certificate.to_der().unwrap());
}

#[tokio::test]
async fn pki_operation_works_by_post_and_by_get_in_every_base64_spelling() {
    // The same request four times: allow the repeated subject.
    let ca = test_ca_with(IssuancePolicy {
        duplicate_subjects: DuplicateSubjects::Allow,
        ..IssuancePolicy::default()
    });
    let device = Device::new();
    let message = device.pkcs_req(Some(CHALLENGE), &ca.certificate);
    let std = STANDARD.encode(&message);
    let std_escaped: String = form_urlencoded::byte_serialize(std.as_bytes()).collect();
    let requests = [
        request(Method::POST, "operation=PKIOperation", &message),
        request(
            Method::GET,
            &format!("operation=PKIOperation&message={std_escaped}"),
            b"",
        ),
        // An unescaped '+' arrives as a space after query decoding.
        request(
            Method::GET,
            &format!("operation=PKIOperation&message={}", std.replace('/', "%2F")),
            b"",
        ),
        request(
            Method::GET,
            &format!(
                "operation=PKIOperation&message={}",
                URL_SAFE_NO_PAD.encode(&message)
            ),
            b"",
        ),
    ];
    for (i, req) in requests.into_iter().enumerate() {
        let response = scep::http::handle(&ca.service, req).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "request {i}: {:?}",
            response.body()
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/x-pki-message"
        );
        let rep = PkiMessage::parse(response.body()).unwrap();
        assert_eq!(rep.pki_status, Some(PkiStatus::Success), "request {i}");
    }
}

#[tokio::test]
async fn client_mistakes_are_400s_with_a_one_line_reason() {
    let ca = test_ca();
    let cases = [
        (
            request(Method::GET, "operation=Nope", b""),
            "unknown operation Nope",
        ),
        (request(Method::GET, "", b""), "missing operation parameter"),
        (
            request(Method::GET, "operation=PKIOperation", b""),
            "needs a message parameter",
        ),
        (
            request(Method::GET, "operation=PKIOperation&message=%21%21", b""),
            "not valid base64",
        ),
        (
            request(Method::POST, "operation=PKIOperation", b"\x30\x80garbage"),
            "malformed BER",
        ),
        (
            request(Method::POST, "operation=PKIOperation", b""),
            "malformed",
        ),
    ];
    for (req, reason) in cases {
        let response = scep::http::handle(&ca.service, req).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{reason}");
        let body = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(body.contains(reason), "{body:?} should contain {reason:?}");
        assert_eq!(body.trim_end().lines().count(), 1, "{body:?}");
    }
}

#[tokio::test]
async fn other_methods_get_405_and_oversized_bodies_413() {
    let ca = test_ca();
    let response = scep::http::handle(
        &ca.service,
        request(Method::PUT, "operation=GetCACaps", b""),
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let big = vec![0u8; scep::http::MAX_BODY_BYTES + 1];
    let response = scep::http::handle(
        &ca.service,
        request(Method::POST, "operation=PKIOperation", &big),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
