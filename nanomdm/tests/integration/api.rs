//! The nanomdm-compatible API: authentication, enqueue, push and the
//! APIResult status rules.

use base64::Engine as _;
use bytes::Bytes;
use http::{Request, StatusCode};
use nanomdm::protocol::enrollment::EnrollmentId;
use serde_json::Value;

use crate::harness::{API_KEY, Harness, text};

fn authorized(method: &str, uri: &str, body: &[u8]) -> Request<Bytes> {
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("nanomdm:{API_KEY}"));
    Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

fn json(response: &http::Response<Bytes>) -> Value {
    serde_json::from_slice(response.body()).unwrap()
}

const COMMAND: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>\
    <key>CommandUUID</key><string>api-1</string><key>Command</key><dict>\
    <key>RequestType</key><string>ProfileList</string></dict></dict></plist>\n";

#[tokio::test]
async fn requests_without_the_api_key_get_401_with_a_basic_challenge() {
    let server = Harness::new();
    let request = Request::put("/v1/push/x").body(Bytes::new()).unwrap();
    let response = server.api.handle("push/x", request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()[http::header::WWW_AUTHENTICATE],
        "Basic realm=\"nanomdm\""
    );
    let credentials = base64::engine::general_purpose::STANDARD.encode("nanomdm:wrong");
    let request = Request::put("/v1/push/x")
        .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
        .body(Bytes::new())
        .unwrap();
    let response = server.api.handle("push/x", request).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn enqueue_pushes_every_id_and_echoes_the_command() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let uri = format!("/v1/enqueue/{}", device.udid);
    let request = authorized("PUT", &uri, COMMAND.as_bytes());
    let response = server
        .api
        .handle(&format!("enqueue/{}", device.udid), request)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&response));
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        "application/json"
    );
    let body = json(&response);
    assert_eq!(body["command_uuid"], "api-1");
    assert_eq!(body["request_type"], "ProfileList");
    let expected_apns_id = format!("apns-{}", nanomdm_hex(&device.token));
    assert_eq!(
        body["status"][&device.udid]["push_result"],
        expected_apns_id
    );
    assert!(text(&response).starts_with("{\n\t\""), "tab-indented");
    assert_eq!(
        *server.pusher.pushed.lock().unwrap(),
        [EnrollmentId::new(&device.udid)]
    );
}

#[tokio::test]
async fn nopush_enqueues_without_pushing() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let path = format!("enqueue/{}", device.udid);
    let request = authorized("PUT", &format!("/v1/{path}?nopush=1"), COMMAND.as_bytes());
    let response = server.api.handle(&path, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(&response)["no_push"], true);
    assert!(server.pusher.pushed.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_command_without_request_type_is_a_500_command_error() {
    let server = Harness::new();
    let body = COMMAND.replace("<key>RequestType</key><string>ProfileList</string>", "");
    let response = server.api.enqueue("a", Bytes::from(body), true).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        json(&response)["command_error"],
        "decoding command: missing RequestType"
    );
}

#[tokio::test]
async fn enqueue_to_an_unknown_id_queues_nothing_and_is_500() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let ids = format!("{},unknown-device", device.udid);
    let response = server.api.enqueue(&ids, Bytes::from(COMMAND), true).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        json(&response)["command_error"]
            .as_str()
            .unwrap()
            .contains("unknown-device")
    );
    assert_eq!(
        crate::harness::served(&server.report(&device, &device.idle()).await),
        None
    );
}

#[tokio::test]
async fn push_to_known_and_unknown_ids_is_207_with_per_id_errors() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let response = server.api.push(&format!("{},ghost", device.udid)).await;
    assert_eq!(response.status(), StatusCode::MULTI_STATUS);
    let body = json(&response);
    assert_eq!(
        body["status"]["ghost"]["push_error"],
        "push data missing for id"
    );
    assert!(body["status"][&device.udid]["push_result"].is_string());
}

#[tokio::test]
async fn version_answers_without_authentication() {
    let server = Harness::new();
    let response = server.api.version();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(&response)["version"], env!("CARGO_PKG_VERSION"));
}

fn nanomdm_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A push certificate for `topic` (self-signed: the API checks the pair
/// and the topic, not the issuer) and its PEM upload with `key_pem`.
fn push_cert_upload(topic: &str, key_pem: Option<String>) -> (String, String) {
    let key = cryptoutil::RsaPrivateKey::generate(2048).unwrap();
    let subject = format!("UID={topic},CN=APSP:test,C=US").parse().unwrap();
    let profile = cryptoutil::cert::CertificateProfile::new(365).unwrap();
    let certificate = cryptoutil::cert::self_signed(subject, &key, &profile).unwrap();
    let cert_pem = cryptoutil::cert::to_pem(&certificate).unwrap();
    let key_pem = key_pem.unwrap_or_else(|| key.to_pkcs8_pem());
    (format!("{cert_pem}{key_pem}"), key.to_pkcs8_pem())
}

#[tokio::test]
async fn an_uploaded_push_certificate_is_reported_by_topic() {
    let server = Harness::new();
    let topic = "com.apple.mgmt.External.11111111-2222-3333-4444-555555555555";
    let (upload, _) = push_cert_upload(topic, None);
    let request = authorized("PUT", "/v1/pushcert", upload.as_bytes());
    let response = server.api.handle("pushcert", request).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&response));
    let put = json(&response);
    assert_eq!(put["topic"], topic);
    let not_after = put["not_after"].as_str().unwrap().to_owned();
    assert!(
        not_after.ends_with('Z') && not_after.len() == 20,
        "{not_after}"
    );

    let uri = format!("/v1/pushcert?topic={topic}");
    let response = server
        .api
        .handle("pushcert", authorized("GET", &uri, b""))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(&response)["topic"], topic);
    assert_eq!(json(&response)["not_after"], not_after.as_str());
}

#[tokio::test]
async fn a_push_certificate_with_another_key_is_refused_with_400() {
    let server = Harness::new();
    let topic = "com.apple.mgmt.External.11111111-2222-3333-4444-555555555555";
    let (_, other_key) = push_cert_upload(topic, None);
    let (upload, _) = push_cert_upload(topic, Some(other_key));
    let request = authorized("PUT", "/v1/pushcert", upload.as_bytes());
    let response = server.api.handle("pushcert", request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(json(&response)["error"].is_string());
    let uri = format!("/v1/pushcert?topic={topic}");
    let response = server
        .api
        .handle("pushcert", authorized("GET", &uri, b""))
        .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_push_certificate_for_a_non_mdm_topic_is_refused_and_get_needs_a_topic() {
    let server = Harness::new();
    let (upload, _) = push_cert_upload("com.example.app", None);
    let request = authorized("PUT", "/v1/pushcert", upload.as_bytes());
    let response = server.api.handle("pushcert", request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = server
        .api
        .handle("pushcert", authorized("GET", "/v1/pushcert", b""))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(&response)["error"], "missing topic");
    let response = server
        .api
        .handle("pushcert", authorized("DELETE", "/v1/pushcert", b""))
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}
