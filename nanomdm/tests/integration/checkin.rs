//! Check-in decoding: real device captures from micromdm/nanomdm, golden
//! plists written from Apple's schemas, and malformed input.

use std::path::{Path, PathBuf};

use nanomdm::DecodeError;
use nanomdm::protocol::checkin::{Checkin, CheckinMessage, decode};
use nanomdm::protocol::enrollment::EnrollmentType;

const TOPIC: &str = "com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9";
const IOS_UDID: &str = "663b07bb783e9ade1dae4fbb92ea12afc0ce5b69";
const MAC_UDID: &str = "66ADE930-5FDF-5EC4-8429-15640684C489";
const MAC_USER_ID: &str = "F151140B-5B2B-4C2E-9E6A-3D2B7A1C0E55";
const IPHONE_UDID: &str = "00008030-001A2B3C4D5E802E";

fn shared_fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/micromdm-nanomdm/mdm/testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn golden(name: &str) -> Vec<u8> {
    let path = golden_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decoded(body: &[u8]) -> Checkin {
    decode(body).unwrap()
}

/// The resolved enrollment as plain strings.
fn ids(checkin: &Checkin) -> (String, EnrollmentType, Option<String>) {
    let channel = &checkin.channel;
    (
        channel.id.to_string(),
        channel.kind,
        channel.parent.as_ref().map(ToString::to_string),
    )
}

fn device(udid: &str) -> (String, EnrollmentType, Option<String>) {
    (udid.to_owned(), EnrollmentType::Device, None)
}

#[test]
fn ios_authenticate_capture_decodes_with_udid_topic_and_serial() {
    let body = shared_fixture("Authenticate.1.plist");
    let checkin = decoded(&body);
    assert_eq!(checkin.raw, body);
    assert_eq!(ids(&checkin), device(IOS_UDID));
    let CheckinMessage::Authenticate(m) = &checkin.message else {
        panic!("not Authenticate: {:?}", checkin.message);
    };
    assert_eq!(m.topic, TOPIC);
    assert_eq!(m.enrollment.udid.as_deref(), Some(IOS_UDID));
    assert_eq!(m.serial_number.as_deref(), Some("F5JM992LF193"));
    assert_eq!(m.product_name.as_deref(), Some("iPad2,5"));
    assert_eq!(m.os_version.as_deref(), Some("9.3.5"));
    assert_eq!(m.build_version.as_deref(), Some("13G36"));
    assert_eq!(m.challenge, None);
}

#[test]
fn macos_authenticate_capture_decodes_with_challenge_and_model() {
    let checkin = decoded(&shared_fixture("Authenticate.2.plist"));
    assert_eq!(checkin.message.message_type(), "Authenticate");
    assert_eq!(ids(&checkin), device(MAC_UDID));
    let CheckinMessage::Authenticate(m) = &checkin.message else {
        panic!("not Authenticate: {:?}", checkin.message);
    };
    assert_eq!(m.topic, TOPIC);
    assert_eq!(m.challenge.as_deref(), Some(&b"apple"[..]));
    assert_eq!(m.device_name.as_deref(), Some("Fruit"));
    assert_eq!(m.model.as_deref(), Some("iMac14,2"));
    assert_eq!(m.model_name.as_deref(), Some("iMac"));
    assert_eq!(m.serial_number.as_deref(), Some("C02MT66KFLHH"));
}

#[test]
fn ios_token_update_capture_decodes_token_push_magic_and_unlock_token() {
    let checkin = decoded(&shared_fixture("TokenUpdate.1.plist"));
    assert_eq!(ids(&checkin), device(IOS_UDID));
    let CheckinMessage::TokenUpdate(m) = &checkin.message else {
        panic!("not TokenUpdate: {:?}", checkin.message);
    };
    assert_eq!(m.topic, TOPIC);
    assert_eq!(m.push_magic, "CEFDF0BD-E342-4A27-8742-E930EA116B0A");
    assert_eq!(
        m.token_hex(),
        "47e8eec062c2f729ec1703c1b3e18f1971d85f00be76445d34080baa701b5f51"
    );
    let unlock = m.unlock_token.as_deref().unwrap();
    assert_eq!(unlock.len(), 1288);
    assert!(unlock.starts_with(b"DATA"));
    assert!(!m.awaiting_configuration);
}

#[test]
fn macos_token_update_capture_has_no_unlock_token() {
    let checkin = decoded(&shared_fixture("TokenUpdate.2.plist"));
    assert_eq!(ids(&checkin), device(MAC_UDID));
    let CheckinMessage::TokenUpdate(m) = &checkin.message else {
        panic!("not TokenUpdate: {:?}", checkin.message);
    };
    assert_eq!(m.push_magic, "888CEB39-BFFA-40F6-89FA-B60752EB63C2");
    assert_eq!(m.token.len(), 32);
    assert_eq!(
        m.token_hex(),
        "1ba7c90066c50f77689a24f3a425caf68a300f729e88e460a9416022d5d642cc"
    );
    assert_eq!(m.unlock_token, None);
}

#[test]
fn user_channel_token_update_resolves_to_udid_colon_user_id() {
    let checkin = decoded(&golden("checkin_token_update_user_channel.plist"));
    assert_eq!(
        ids(&checkin),
        (
            format!("{MAC_UDID}:{MAC_USER_ID}"),
            EnrollmentType::User,
            Some(MAC_UDID.to_owned())
        )
    );
    let CheckinMessage::TokenUpdate(m) = &checkin.message else {
        panic!("not TokenUpdate: {:?}", checkin.message);
    };
    assert_eq!(m.enrollment.user_short_name.as_deref(), Some("jappleseed"));
    assert_eq!(
        m.enrollment.user_long_name.as_deref(),
        Some("Johnny Appleseed")
    );
    assert_eq!(m.token, (0x10..0x30).collect::<Vec<u8>>());
    assert!(!m.not_on_console);
}

#[test]
fn shared_ipad_token_update_resolves_to_udid_colon_short_name() {
    let checkin = decoded(&golden("checkin_token_update_shared_ipad.plist"));
    assert_eq!(
        ids(&checkin),
        (
            format!("{IPHONE_UDID}:jane@example.com"),
            EnrollmentType::SharedIPad,
            Some(IPHONE_UDID.to_owned())
        )
    );
}

#[test]
fn user_enrollment_authenticate_resolves_to_the_enrollment_id() {
    let checkin = decoded(&golden("checkin_authenticate_user_enrollment.plist"));
    let id = "4C5A2E8F-9B1D-4E3A-A7C6-0D1F2E3B4A5C";
    assert_eq!(
        ids(&checkin),
        (id.to_owned(), EnrollmentType::UserEnrollmentDevice, None)
    );
    let CheckinMessage::Authenticate(m) = &checkin.message else {
        panic!("not Authenticate: {:?}", checkin.message);
    };
    assert_eq!(m.enrollment.udid, None);
    assert_eq!(m.serial_number, None);
    assert_eq!(m.model.as_deref(), Some("iPhone15,2"));
}

#[test]
fn checkout_decodes_with_topic() {
    let checkin = decoded(&golden("checkin_checkout.plist"));
    assert_eq!(ids(&checkin), device(MAC_UDID));
    let CheckinMessage::CheckOut(m) = &checkin.message else {
        panic!("not CheckOut: {:?}", checkin.message);
    };
    assert_eq!(m.topic, TOPIC);
}

#[test]
fn initial_user_authenticate_is_not_a_digest_response() {
    let checkin = decoded(&golden("checkin_user_authenticate.plist"));
    assert_eq!(
        checkin.channel.id.to_string(),
        format!("{MAC_UDID}:{MAC_USER_ID}")
    );
    let CheckinMessage::UserAuthenticate(m) = &checkin.message else {
        panic!("not UserAuthenticate: {:?}", checkin.message);
    };
    assert!(!m.is_digest_response());
    assert_eq!(m.digest_response(), None);
}

#[test]
fn second_user_authenticate_carries_the_digest_response() {
    let checkin = decoded(&golden("checkin_user_authenticate_digest.plist"));
    assert_eq!(checkin.channel.kind, EnrollmentType::User);
    let CheckinMessage::UserAuthenticate(m) = &checkin.message else {
        panic!("not UserAuthenticate: {:?}", checkin.message);
    };
    assert!(m.is_digest_response());
    assert!(
        m.digest_response()
            .unwrap()
            .starts_with("username=\"jappleseed\"")
    );
}

#[test]
fn set_bootstrap_token_decodes_the_token_bytes() {
    let checkin = decoded(&golden("checkin_set_bootstrap_token.plist"));
    assert_eq!(ids(&checkin), device(MAC_UDID));
    let CheckinMessage::SetBootstrapToken(m) = &checkin.message else {
        panic!("not SetBootstrapToken: {:?}", checkin.message);
    };
    assert_eq!(m.bootstrap_token, Some((0x40..0x60).collect()));
    assert!(m.awaiting_configuration);
}

#[test]
fn get_bootstrap_token_decodes() {
    let checkin = decoded(&golden("checkin_get_bootstrap_token.plist"));
    assert_eq!(checkin.message.message_type(), "GetBootstrapToken");
    let CheckinMessage::GetBootstrapToken(m) = &checkin.message else {
        panic!("not GetBootstrapToken: {:?}", checkin.message);
    };
    assert!(!m.awaiting_configuration);
}

#[test]
fn declarative_management_decodes_endpoint_and_json_data() {
    let checkin = decoded(&golden("checkin_declarative_management.plist"));
    let CheckinMessage::DeclarativeManagement(m) = &checkin.message else {
        panic!("not DeclarativeManagement: {:?}", checkin.message);
    };
    assert_eq!(m.endpoint, "status");
    let json = String::from_utf8(m.data.clone().unwrap()).unwrap();
    assert!(json.starts_with("{\"StatusItems\""), "{json}");
}

#[test]
fn get_token_decodes_service_type_and_parameters() {
    let checkin = decoded(&golden("checkin_get_token.plist"));
    assert_eq!(ids(&checkin), device(IPHONE_UDID));
    let CheckinMessage::GetToken(m) = &checkin.message else {
        panic!("not GetToken: {:?}", checkin.message);
    };
    assert_eq!(m.token_service_type, "com.apple.watch.pairing");
    let params = m.token_parameters.as_ref().unwrap();
    assert_eq!(params.phone_udid.as_deref(), Some(IPHONE_UDID));
    assert_eq!(
        params.watch_udid.as_deref(),
        Some("00008301-0012345678901234")
    );
    assert!(params.security_token.is_some());
}

#[test]
fn watch_pairing_get_token_without_parameters_is_rejected() {
    let body = String::from_utf8(golden("checkin_get_token.plist")).unwrap();
    let start = body.find("<key>TokenParameters</key>").unwrap();
    let end = body.find("</dict>").unwrap() + "</dict>".len();
    let body = format!("{}{}", &body[..start], &body[end..]);
    let err = decode(body.as_bytes()).unwrap_err();
    assert!(
        matches!(err, DecodeError::Missing("TokenParameters")),
        "{err:?}"
    );
}

#[test]
fn return_to_service_decodes() {
    let checkin = decoded(&golden("checkin_return_to_service.plist"));
    assert_eq!(checkin.message.message_type(), "ReturnToService");
    assert_eq!(ids(&checkin), device(IPHONE_UDID));
}

#[test]
fn binary_plist_decodes_like_its_xml_original() {
    let xml = shared_fixture("TokenUpdate.1.plist");
    let value = plist::Value::from_reader(std::io::Cursor::new(&xml)).unwrap();
    let mut binary = Vec::new();
    plist::to_writer_binary(&mut binary, &value).unwrap();
    assert!(binary.starts_with(b"bplist00"));
    let from_binary = decoded(&binary);
    assert_eq!(from_binary.message, decoded(&xml).message);
    assert_eq!(from_binary.raw, binary);
}

#[test]
fn malformed_plist_is_a_plist_error() {
    let err = decode(b"<plist><dict><key>MessageType</key>").unwrap_err();
    assert!(matches!(err, DecodeError::Plist(_)), "{err:?}");
    assert_eq!(err.to_string(), "malformed plist");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn empty_body_is_a_plist_error() {
    assert!(matches!(decode(b""), Err(DecodeError::Plist(_))));
}

#[test]
fn a_plist_that_is_not_a_dictionary_is_rejected() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><array/></plist>"#;
    let err = decode(body).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid plist: top level is not a dictionary"
    );
}

fn replace_in(fixture: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = std::str::from_utf8(fixture).unwrap();
    assert!(text.contains(from), "fixture lacks {from:?}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn unknown_message_type_is_named_in_the_error() {
    let body = replace_in(
        &golden("checkin_checkout.plist"),
        "<string>CheckOut</string>",
        "<string>Reboot</string>",
    );
    let err = decode(&body).unwrap_err();
    assert!(matches!(&err, DecodeError::UnknownMessageType(t) if t == "Reboot"));
    assert_eq!(err.to_string(), "unknown check-in MessageType \"Reboot\"");
}

#[test]
fn missing_message_type_is_reported() {
    let body = replace_in(&golden("checkin_checkout.plist"), "MessageType", "Kind");
    let err = decode(&body).unwrap_err();
    assert_eq!(err.to_string(), "missing MessageType");
}

#[test]
fn missing_udid_and_enrollment_id_is_reported() {
    let body = replace_in(
        &shared_fixture("Authenticate.1.plist"),
        "<key>UDID</key>",
        "<key>X</key>",
    );
    let err = decode(&body).unwrap_err();
    assert!(matches!(err, DecodeError::Missing(_)), "{err:?}");
    assert_eq!(err.to_string(), "missing UDID or EnrollmentID");
}

#[test]
fn token_update_without_token_is_reported() {
    let body = replace_in(
        &shared_fixture("TokenUpdate.2.plist"),
        "<key>Token</key>",
        "<key>T</key>",
    );
    let err = decode(&body).unwrap_err();
    assert_eq!(err.to_string(), "missing Token");
}

#[test]
fn a_key_of_the_wrong_type_is_a_plist_error() {
    let body = replace_in(
        &shared_fixture("TokenUpdate.2.plist"),
        "<string>888CEB39-BFFA-40F6-89FA-B60752EB63C2</string>",
        "<integer>7</integer>",
    );
    assert!(matches!(decode(&body), Err(DecodeError::Plist(_))));
}

#[test]
fn unknown_keys_are_ignored_and_kept_in_raw() {
    let body = replace_in(
        &golden("checkin_checkout.plist"),
        "<key>Topic</key>",
        "<key>FutureKey</key><dict><key>When</key><date>2025-01-01T00:00:00Z</date></dict><key>Topic</key>",
    );
    let checkin = decoded(&body);
    assert_eq!(checkin.message.message_type(), "CheckOut");
    assert_eq!(checkin.raw, body);
}

#[test]
fn flipping_any_byte_of_a_capture_never_panics() {
    let fixture = shared_fixture("Authenticate.2.plist");
    for i in 0..fixture.len() {
        for flip in [0x01, 0x20, 0x80, 0xff] {
            let mut body = fixture.clone();
            body[i] ^= flip;
            let _ = decode(&body);
        }
    }
}

#[test]
fn flipping_any_byte_of_a_binary_plist_never_panics() {
    let value = plist::Value::from_reader(std::io::Cursor::new(golden(
        "checkin_token_update_user_channel.plist",
    )))
    .unwrap();
    let mut binary = Vec::new();
    plist::to_writer_binary(&mut binary, &value).unwrap();
    for i in 0..binary.len() {
        for flip in [0x01, 0x10, 0x80, 0xff] {
            let mut body = binary.clone();
            body[i] ^= flip;
            let _ = decode(&body);
        }
    }
}
