//! Bad requests to the MDM endpoints: each gets a 4xx with a reason, never
//! 401, never a panic, and nothing is stored.

use bytes::Bytes;
use http::{Request, StatusCode};
use nanomdm::identity::MDM_SIGNATURE;
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::store::CheckinStore as _;

use crate::harness::{Harness, text};

/// A signed check-in PUT of `body` (any bytes) by `device`.
fn signed(
    device: &nanomdm::testing::device::Device,
    content_type: &str,
    body: &[u8],
) -> Request<Bytes> {
    Request::put("/mdm")
        .header(http::header::CONTENT_TYPE, content_type)
        .header(MDM_SIGNATURE, device.sign(body).unwrap())
        .body(Bytes::copy_from_slice(body))
        .unwrap()
}

const CHECKIN: &str = "application/x-apple-aspen-mdm-checkin";

#[tokio::test]
async fn a_malformed_plist_is_400_with_the_reason() {
    let server = Harness::new();
    let device = server.device();
    let response = server
        .mdm
        .mdm(signed(&device, CHECKIN, b"<plist><dict><key>"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        text(&response).starts_with("malformed plist"),
        "{}",
        text(&response)
    );
}

#[tokio::test]
async fn an_unknown_message_type_is_400_naming_it() {
    let server = Harness::new();
    let device = server.device();
    let mut message = device.authenticate();
    message.insert("MessageType".to_owned(), "Teleport".into());
    let response = server.checkin(&device, &message).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        text(&response).contains("\"Teleport\""),
        "{}",
        text(&response)
    );
}

#[tokio::test]
async fn a_check_in_without_udid_or_enrollment_id_is_400() {
    let server = Harness::new();
    let device = server.device();
    let mut message = device.authenticate();
    message.remove("UDID");
    let response = server.checkin(&device, &message).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(text(&response), "missing UDID or EnrollmentID\n");
}

#[tokio::test]
async fn a_report_without_status_is_400() {
    let server = Harness::new();
    let device = server.device();
    let mut message = device.idle();
    message.remove("Status");
    let response = server.report(&device, &message).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(text(&response), "missing Status\n");
}

#[tokio::test]
async fn a_foreign_content_type_is_415_and_the_endpoints_keep_to_their_kind() {
    let server = Harness::new();
    let device = server.device();
    let body = nanomdm::testing::device::to_xml(&device.authenticate()).unwrap();
    let response = server
        .mdm
        .mdm(signed(&device, "application/json", &body))
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = server.mdm.command(signed(&device, CHECKIN, &body)).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let idle = nanomdm::testing::device::to_xml(&device.idle()).unwrap();
    let response = server
        .mdm
        .checkin(signed(&device, "application/x-apple-aspen-mdm", &idle))
        .await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn an_oversized_body_is_413_before_anything_is_parsed() {
    let server = Harness::new();
    let device = server.device();
    let mdm = server.mdm.clone().with_max_body(1024);
    let response = mdm.mdm(signed(&device, CHECKIN, &vec![b' '; 1025])).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn an_unsigned_request_is_400_not_401() {
    let server = Harness::new();
    let device = server.device();
    let body = nanomdm::testing::device::to_xml(&device.authenticate()).unwrap();
    let request = Request::put("/mdm")
        .header(http::header::CONTENT_TYPE, CHECKIN)
        .body(Bytes::from(body))
        .unwrap();
    let response = server.mdm.mdm(request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(text(&response), "no device identity presented\n");
}

#[tokio::test]
async fn a_signature_over_other_bytes_is_400() {
    let server = Harness::new();
    let device = server.device();
    let body = nanomdm::testing::device::to_xml(&device.authenticate()).unwrap();
    let request = Request::put("/mdm")
        .header(http::header::CONTENT_TYPE, CHECKIN)
        .header(MDM_SIGNATURE, device.sign(b"something else").unwrap())
        .body(Bytes::from(body))
        .unwrap();
    let response = server.mdm.mdm(request).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(&response).starts_with("Mdm-Signature does not verify"));
}

#[tokio::test]
async fn a_device_certificate_from_another_ca_is_400_and_nothing_is_stored() {
    let server = Harness::new();
    let outsider = nanomdm::testing::device::Device::new(crate::harness::TOPIC).unwrap();
    let response = server.checkin(&outsider, &outsider.authenticate()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        text(&response),
        "client certificate not issued by a trusted CA\n"
    );
    server.checkin(&outsider, &outsider.token_update()).await;
    let id = EnrollmentId::new(&outsider.udid);
    assert_eq!(server.store.enrollment(&id).await.unwrap(), None);
}
