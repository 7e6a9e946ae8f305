//! End to end through the MDM HTTP adapter: a simulated device enrolls,
//! is served its queue, re-enrolls and checks out; impersonation and
//! malformed requests are refused.

use http::StatusCode;
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::service::CertAuthOptions;
use nanomdm::store::{BootstrapTokenStore as _, CheckinStore as _, CommandQueue as _};
use nanomdm::testing::device::AnswerPolicy;

use crate::harness::{Harness, served, text};

#[tokio::test]
async fn enrollment_creates_an_enabled_enrollment_with_the_devices_push_info() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;

    let id = EnrollmentId::new(&device.udid);
    let enrollment = server.store.enrollment(&id).await.unwrap().unwrap();
    assert!(enrollment.enabled);
    assert_eq!(enrollment.token_update_tally, 1);
    assert_eq!(enrollment.push.push_magic, device.push_magic);
    assert_eq!(enrollment.push.token, device.token);
    assert_eq!(enrollment.push.topic, device.topic);
    assert_eq!(
        server.events(),
        [
            format!("Authenticate {}", device.udid),
            format!("TokenUpdate {}", device.udid)
        ]
    );
}

#[tokio::test]
async fn queue_serves_commands_in_enqueue_order_one_per_report() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    assert_eq!(served(&server.report(&device, &device.idle()).await), None);

    let first = server.enqueue(&device.udid, "DeviceInformation").await;
    let second = server.enqueue(&device.udid, "ProfileList").await;
    let third = server.enqueue(&device.udid, "SecurityInfo").await;

    let got = served(&server.report(&device, &device.idle()).await);
    assert_eq!(got.as_ref(), Some(&first));
    let ack = device.report("Acknowledged", Some(&first));
    assert_eq!(
        served(&server.report(&device, &ack).await),
        Some(second.clone())
    );
    let ack = device.report("Acknowledged", Some(&second));
    assert_eq!(
        served(&server.report(&device, &ack).await),
        Some(third.clone())
    );
    let error = device.report("Error", Some(&third));
    assert_eq!(served(&server.report(&device, &error).await), None);
    assert_eq!(served(&server.report(&device, &device.idle()).await), None);
}

#[tokio::test]
async fn the_served_command_is_the_enqueued_plist_byte_for_byte() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>\
         <key>CommandUUID</key><string>c-1</string><key>Command</key><dict>\
         <key>RequestType</key><string>DeviceInformation</string>\
         <key>Queries</key><array><string>UDID</string></array></dict>\
         <key>X-Extra</key><string>kept</string></dict></plist>\n",
    );
    let response = server
        .api
        .enqueue(&device.udid, body.clone().into(), true)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&response));
    let response = server.report(&device, &device.idle()).await;
    assert_eq!(response.body().as_ref(), body.as_bytes());
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        "application/xml"
    );
}

#[tokio::test]
async fn not_now_skips_the_command_until_the_next_idle() {
    let server = Harness::new();
    let mut device = server.device();
    server.enroll(&device).await;
    let deferred = server.enqueue(&device.udid, "InstallProfile").await;
    assert_eq!(
        served(&server.report(&device, &device.idle()).await),
        Some(deferred.clone())
    );
    let not_now = device.report("NotNow", Some(&deferred));
    assert_eq!(served(&server.report(&device, &not_now).await), None);

    // Another command enqueued meanwhile is served after a NotNow.
    let other = server.enqueue(&device.udid, "DeviceInformation").await;
    let not_now = device.report("NotNow", Some(&deferred));
    assert_eq!(
        served(&server.report(&device, &not_now).await),
        Some(other.clone())
    );
    let command = server
        .store
        .queue(&EnrollmentId::new(&device.udid))
        .await
        .unwrap();
    let raw = &command
        .iter()
        .find(|c| c.command.command_uuid == other)
        .unwrap();
    let answer = device
        .answer(&raw.command.raw, &AnswerPolicy::always_acknowledge())
        .unwrap();
    assert!(answer.contains_key("QueryResponses"));
    assert_eq!(served(&server.report(&device, &answer).await), None);

    // The next Idle serves the deferred command again.
    assert_eq!(
        served(&server.report(&device, &device.idle()).await),
        Some(deferred.clone())
    );
    let ack = device.report("Acknowledged", Some(&deferred));
    assert_eq!(served(&server.report(&device, &ack).await), None);
    let result = server
        .store
        .command_result(&EnrollmentId::new(&device.udid), &deferred)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.not_now_tally, 2);
}

#[tokio::test]
async fn re_enrollment_clears_the_queue_resets_the_tally_and_the_bootstrap_token() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let response = server
        .checkin(&device, &device.set_bootstrap_token(b"escrowed"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = server.checkin(&device, &device.get_bootstrap_token()).await;
    let token: plist::Dictionary = plist::from_bytes(response.body()).unwrap();
    assert_eq!(
        token.get("BootstrapToken").and_then(plist::Value::as_data),
        Some(&b"escrowed"[..])
    );
    server.checkin(&device, &device.token_update()).await;
    let id = EnrollmentId::new(&device.udid);
    assert_eq!(server.store.token_update_tally(&id).await.unwrap(), 2);
    server.enqueue(&device.udid, "DeviceInformation").await;

    // Authenticate alone: disabled, no commands, queue gone.
    let response = server.checkin(&device, &device.authenticate()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(served(&server.report(&device, &device.idle()).await), None);
    assert!(!server.store.enrollment(&id).await.unwrap().unwrap().enabled);

    server.checkin(&device, &device.token_update()).await;
    assert_eq!(server.store.token_update_tally(&id).await.unwrap(), 1);
    assert_eq!(served(&server.report(&device, &device.idle()).await), None);
    let channel = nanomdm::protocol::enrollment::Channel::device(
        id,
        nanomdm::protocol::enrollment::EnrollmentType::Device,
    );
    assert_eq!(server.store.bootstrap_token(&channel).await.unwrap(), None);
    let response = server.checkin(&device, &device.get_bootstrap_token()).await;
    assert!(response.body().is_empty());
}

#[tokio::test]
async fn check_out_disables_the_enrollment_and_stops_commands_and_pushes() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    server.enqueue(&device.udid, "DeviceInformation").await;
    let response = server.checkin(&device, &device.check_out()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = EnrollmentId::new(&device.udid);
    assert!(!server.store.enrollment(&id).await.unwrap().unwrap().enabled);
    assert_eq!(served(&server.report(&device, &device.idle()).await), None);
    let response = server.api.push(&device.udid).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        text(&response).contains("enrollment is disabled"),
        "{}",
        text(&response)
    );
}

#[tokio::test]
async fn a_user_channel_has_its_own_queue_beside_the_device_channel() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let user = "F151140B-0000-4000-8000-000000000001";
    let response = server
        .checkin(&device, &device.user_token_update(user, "jappleseed"))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", text(&response));
    let user_id = format!("{}:{user}", device.udid);
    let for_user = server.enqueue(&user_id, "ProfileList").await;
    let for_device = server.enqueue(&device.udid, "DeviceInformation").await;

    let mut user_idle = device.idle();
    user_idle.insert("UserID".to_owned(), user.into());
    assert_eq!(
        served(&server.report(&device, &user_idle).await),
        Some(for_user)
    );
    assert_eq!(
        served(&server.report(&device, &device.idle()).await),
        Some(for_device)
    );
}

#[tokio::test]
async fn additional_users_are_declined_with_410_by_default() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let message = device.user_authenticate("F151140B-0000-4000-8000-000000000002", None);
    let response = server.checkin(&device, &message).await;
    assert_eq!(response.status(), StatusCode::GONE);
}

#[tokio::test]
async fn check_ins_without_a_handler_fail_with_500_not_401() {
    let server = Harness::new();
    let device = server.device();
    server.enroll(&device).await;
    let mut message = device.check_out();
    message.insert("MessageType".to_owned(), "DeclarativeManagement".into());
    message.insert("Endpoint".to_owned(), "tokens".into());
    let response = server.checkin(&device, &message).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(text(&response), "internal server error\n");
}

#[tokio::test]
async fn a_valid_certificate_of_device_a_cannot_speak_for_device_b() {
    let server = Harness::new();
    let victim = server.device();
    server.enroll(&victim).await;
    let mut attacker = server.device();
    server.enroll(&attacker).await;
    let uuid = server.enqueue(&victim.udid, "DeviceInformation").await;

    // The attacker keeps its own (CA-issued, valid) identity but claims
    // the victim's UDID.
    attacker.udid = victim.udid.clone();
    let response = server.report(&attacker, &attacker.idle()).await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "{}",
        text(&response)
    );
    let response = server.checkin(&attacker, &attacker.token_update()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Authenticate with a certificate already bound elsewhere is refused.
    let response = server.checkin(&attacker, &attacker.authenticate()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Nothing was stored or served for the victim.
    let id = EnrollmentId::new(&victim.udid);
    let enrollment = server.store.enrollment(&id).await.unwrap().unwrap();
    assert_eq!(enrollment.push.push_magic, victim.push_magic);
    assert_eq!(
        served(&server.report(&victim, &victim.idle()).await),
        Some(uuid)
    );
}

#[tokio::test]
async fn a_token_update_before_authenticate_is_refused_unless_retroactive() {
    let strict = Harness::new();
    let device = strict.device();
    let response = strict.checkin(&device, &device.token_update()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let retro = Harness::with_options(CertAuthOptions::default().allow_retroactive(true));
    let device = retro.device();
    let response = retro.checkin(&device, &device.token_update()).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The association made retroactively binds this certificate: a second
    // certificate for the same UDID is refused until Authenticate.
    let mut renewed = device.clone();
    let key = cryptoutil::RsaPrivateKey::generate(2048).unwrap();
    renewed.set_identity(retro.issue(&key), key);
    let response = retro.checkin(&renewed, &renewed.token_update()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn hooks_run_after_the_core_and_not_for_refused_requests() {
    let server = Harness::new();
    let device = server.device();
    let response = server.checkin(&device, &device.token_update()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(server.events().is_empty());
    server.enroll(&device).await;
    server.report(&device, &device.idle()).await;
    assert_eq!(
        server.events().last().unwrap(),
        &format!("Idle {} -> -", device.udid)
    );
}
