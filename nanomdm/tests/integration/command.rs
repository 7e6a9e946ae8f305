//! Commands and command reports: a real device report, golden reports for
//! every status, binary input, malformed input, and command round trips.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use nanomdm::DecodeError;
use nanomdm::protocol::command::{
    Command, KNOWN_REQUEST_TYPES, Report, Status, decode_report, is_known_request_type,
};
use plist::{Dictionary, Value};

const UDID: &str = "66ADE930-5FDF-5EC4-8429-15640684C489";

fn shared_fixture(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn device_information() -> Vec<u8> {
    shared_fixture("micromdm-nanomdm/mdm/testdata/DeviceInformation.1.plist")
}

fn report(name: &str) -> Report {
    decode_report(&fixture(name)).unwrap()
}

fn to_binary(xml: &[u8]) -> Vec<u8> {
    let value: Value = plist::from_bytes(xml).unwrap();
    let mut binary = Vec::new();
    plist::to_writer_binary(&mut binary, &value).unwrap();
    binary
}

#[test]
fn the_real_device_information_report_decodes_as_acknowledged() {
    let body = device_information();
    let report = decode_report(&body).unwrap();
    assert_eq!(report.status, Status::Acknowledged);
    assert!(!report.is_idle());
    assert_eq!(
        report.command_uuid.as_deref(),
        Some("76eda240-5488-4989-8339-f2ae160113c4")
    );
    assert_eq!(report.enrollment.udid.as_deref(), Some(UDID));
    assert_eq!(report.enrollment.user_id, None);
    assert!(report.error_chain.is_empty());
    assert_eq!(report.raw, body);
}

#[test]
fn the_query_responses_of_device_information_are_readable() {
    let report = decode_report(&device_information()).unwrap();
    let responses = report.query_responses().unwrap();
    assert_eq!(
        responses.get("HostName").and_then(Value::as_string),
        Some("fruit.example.com")
    );
    assert_eq!(responses.get("UDID").and_then(Value::as_string), Some(UDID));
    let payload = report.payload().unwrap();
    assert_eq!(
        payload.get("RequestType").and_then(Value::as_string),
        Some("DeviceInformation")
    );
}

#[test]
fn a_report_without_query_responses_says_they_are_missing() {
    let error = report("report_not_now.plist")
        .query_responses()
        .unwrap_err();
    assert!(matches!(error, DecodeError::Missing("QueryResponses")));
    assert_eq!(error.to_string(), "missing QueryResponses");
}

#[test]
fn an_idle_report_is_idle_and_answers_no_command() {
    let report = report("report_idle.plist");
    assert_eq!(report.status, Status::Idle);
    assert!(report.is_idle());
    assert_eq!(report.command_uuid, None);
    assert_eq!(report.enrollment.udid.as_deref(), Some(UDID));
}

#[test]
fn an_idle_report_carrying_a_command_uuid_is_still_idle() {
    let body = fixture_xml_with("report_idle.plist", "CommandUUID", "SOME-UUID");
    let report = decode_report(&body).unwrap();
    assert!(report.is_idle());
    assert_eq!(report.command_uuid, None);
}

#[test]
fn a_not_now_report_keeps_its_command_queued() {
    let report = report("report_not_now.plist");
    assert_eq!(report.status, Status::NotNow);
    assert!(!report.status.completes_command());
    assert_eq!(
        report.command_uuid.as_deref(),
        Some("0C7B2A4E-3F51-4C0B-9D59-6E1A2B3C4D5E")
    );
}

#[test]
fn an_error_report_carries_its_error_chain() {
    let report = report("report_error.plist");
    assert_eq!(report.status, Status::Error);
    assert!(report.status.completes_command());
    assert_eq!(report.error_chain.len(), 2);
    let first = &report.error_chain[0];
    assert_eq!(first.error_code, Some(4001));
    assert_eq!(
        first.error_domain.as_deref(),
        Some("MCInstallationErrorDomain")
    );
    assert_eq!(
        first.us_english_description.as_deref(),
        Some("Profile Installation Failed")
    );
    let second = &report.error_chain[1];
    assert_eq!(second.error_code, Some(2003));
    assert_eq!(
        second.localized_description.as_deref(),
        Some("Le profil n’a pas pu être installé.")
    );
    assert_eq!(second.us_english_description, None);
}

#[test]
fn a_command_format_error_report_of_a_user_enrollment_decodes() {
    let report = report("report_command_format_error.plist");
    assert_eq!(report.status, Status::CommandFormatError);
    assert_eq!(report.enrollment.udid, None);
    assert_eq!(
        report.enrollment.enrollment_id.as_deref(),
        Some("3A1F2B4C5D6E7F8091A2B3C4D5E6F708")
    );
    assert_eq!(report.error_chain[0].error_code, Some(12021));
}

#[test]
fn a_user_channel_report_names_the_device_and_the_user() {
    let report = report("report_user_channel_acknowledged.plist");
    assert_eq!(report.status, Status::Acknowledged);
    assert_eq!(report.enrollment.udid.as_deref(), Some(UDID));
    assert_eq!(
        report.enrollment.user_id.as_deref(),
        Some("A3C1E5F7-2B4D-4F6A-8C0E-1D3F5A7B9C2E")
    );
    assert!(!report.not_on_console);
    let payload = report.payload().unwrap();
    assert_eq!(
        payload.get("ProfileList").and_then(Value::as_array),
        Some(&Vec::new())
    );
}

#[test]
fn statuses_print_as_apple_spells_them() {
    for status in [
        Status::Idle,
        Status::Acknowledged,
        Status::Error,
        Status::CommandFormatError,
        Status::NotNow,
    ] {
        assert_eq!(status.as_str().parse::<Status>().unwrap(), status);
        assert_eq!(status.to_string(), status.as_str());
    }
}

#[test]
fn a_binary_report_decodes_like_its_xml_form() {
    let xml = decode_report(&device_information()).unwrap();
    let binary = to_binary(&device_information());
    let report = decode_report(&binary).unwrap();
    assert_eq!(report.status, xml.status);
    assert_eq!(report.command_uuid, xml.command_uuid);
    assert_eq!(
        report.query_responses().unwrap(),
        xml.query_responses().unwrap()
    );
    assert_eq!(report.raw, binary);
}

#[test]
fn a_body_that_is_not_a_plist_is_a_malformed_plist_error() {
    let error = decode_report(b"<plist><dict><key>Status").unwrap_err();
    assert!(matches!(error, DecodeError::Plist(_)));
    assert_eq!(error.to_string(), "malformed plist");
    assert!(matches!(
        decode_report(b"").unwrap_err(),
        DecodeError::Plist(_)
    ));
}

#[test]
fn a_plist_that_is_not_a_dictionary_is_refused() {
    let body = br#"<?xml version="1.0"?><plist version="1.0"><array/></plist>"#;
    let error = decode_report(body).unwrap_err();
    assert_eq!(error.to_string(), "invalid plist root: not a dictionary");
}

#[test]
fn an_unknown_status_is_named_in_the_error() {
    let body = fixture_xml_with("report_not_now.plist", "Status", "Maybe");
    let error = decode_report(&body).unwrap_err();
    assert!(matches!(&error, DecodeError::UnknownStatus(s) if s == "Maybe"));
    assert_eq!(
        error.to_string(),
        r#"unknown command report Status "Maybe""#
    );
}

#[test]
fn a_report_without_status_says_status_is_missing() {
    let body = fixture_xml_without("report_not_now.plist", "Status");
    let error = decode_report(&body).unwrap_err();
    assert_eq!(error.to_string(), "missing Status");
}

#[test]
fn an_acknowledged_report_without_command_uuid_names_it() {
    let body = fixture_xml_without("report_user_channel_acknowledged.plist", "CommandUUID");
    let error = decode_report(&body).unwrap_err();
    assert!(matches!(error, DecodeError::Missing("CommandUUID")));
    assert_eq!(error.to_string(), "missing CommandUUID");
    let body = fixture_xml_with("report_not_now.plist", "CommandUUID", "");
    assert!(matches!(
        decode_report(&body).unwrap_err(),
        DecodeError::Missing("CommandUUID")
    ));
}

#[test]
fn an_error_chain_of_the_wrong_type_is_refused() {
    let body = fixture_xml_with("report_error.plist", "ErrorChain", "oops");
    let error = decode_report(&body).unwrap_err();
    assert_eq!(error.to_string(), "invalid ErrorChain: not an array");
}

#[test]
fn flipping_any_byte_of_a_report_never_panics() {
    let body = fixture("report_error.plist");
    for i in 0..body.len() {
        for flip in [0x01, 0x20, 0x80, 0xff] {
            let mut mutated = body.clone();
            mutated[i] ^= flip;
            if let Ok(report) = decode_report(&mutated) {
                let _ = report.payload();
            }
        }
    }
    let binary = to_binary(&body);
    for i in 0..binary.len() {
        let mut mutated = binary.clone();
        mutated[i] ^= 0xff;
        let _ = decode_report(&mutated);
    }
}

#[test]
fn a_submitted_command_decodes_and_keeps_its_body() {
    let body = fixture("command_device_information.plist");
    let command = Command::decode(&body).unwrap();
    assert_eq!(
        command.command_uuid(),
        "76eda240-5488-4989-8339-f2ae160113c4"
    );
    assert_eq!(command.request_type(), "DeviceInformation");
    assert_eq!(
        command
            .payload()
            .get("Queries")
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(command.raw().map(|raw| &raw[..]), Some(&body[..]));
    assert!(command.is_known_request_type());
}

#[test]
fn a_command_round_trips_through_xml() {
    let mut fields = Dictionary::new();
    fields.insert(
        "Identifier".to_owned(),
        Value::String("com.example.wifi".to_owned()),
    );
    let command = Command::new("RemoveProfile", fields);
    assert_eq!(command.raw(), None);
    let xml = command.to_plist_xml().unwrap();
    assert!(xml.starts_with(b"<?xml"));
    let decoded = Command::decode(&xml).unwrap();
    assert_eq!(decoded.command_uuid(), command.command_uuid());
    assert_eq!(decoded.request_type(), "RemoveProfile");
    assert_eq!(decoded.payload(), command.payload());
    assert_eq!(
        decoded
            .payload()
            .get("RequestType")
            .and_then(Value::as_string),
        Some("RemoveProfile")
    );
}

#[test]
fn a_binary_command_decodes_and_renders_as_xml() {
    let binary = to_binary(&fixture("command_device_information.plist"));
    let command = Command::decode(&binary).unwrap();
    let again = Command::decode(&command.to_plist_xml().unwrap()).unwrap();
    assert_eq!(again.payload(), command.payload());
}

#[test]
fn enqueue_validation_names_the_missing_key() {
    let cases: [(&str, &str); 6] = [
        ("<dict/>", "missing CommandUUID"),
        (
            "<dict><key>CommandUUID</key><string></string></dict>",
            "missing CommandUUID",
        ),
        (
            "<dict><key>CommandUUID</key><integer>1</integer></dict>",
            "invalid CommandUUID: not a string",
        ),
        (
            "<dict><key>CommandUUID</key><string>U</string></dict>",
            "missing Command",
        ),
        (
            "<dict><key>CommandUUID</key><string>U</string><key>Command</key><string>x</string></dict>",
            "invalid Command: not a dictionary",
        ),
        (
            "<dict><key>CommandUUID</key><string>U</string><key>Command</key><dict/></dict>",
            "missing RequestType",
        ),
    ];
    for (dict, message) in cases {
        let body = format!(r#"<?xml version="1.0"?><plist version="1.0">{dict}</plist>"#);
        let error = Command::decode(body.as_bytes()).unwrap_err();
        assert_eq!(error.to_string(), message, "{dict}");
    }
}

#[test]
fn generated_command_uuids_are_unique_upper_case_version_4() {
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let uuid = Command::new("ProfileList", Dictionary::new())
            .command_uuid()
            .to_owned();
        let groups: Vec<&str> = uuid.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(
            uuid.chars()
                .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert!(groups[2].starts_with('4'), "{uuid}");
        assert!(groups[3].starts_with(['8', '9', 'A', 'B']), "{uuid}");
        assert!(seen.insert(uuid));
    }
}

#[test]
fn known_request_types_include_the_common_commands_but_are_not_required() {
    for request_type in [
        "DeviceInformation",
        "InstallProfile",
        "RemoveProfile",
        "InstallApplication",
        "InstallEnterpriseApplication",
        "ProfileList",
        "SecurityInfo",
        "InstalledApplicationList",
    ] {
        assert!(
            KNOWN_REQUEST_TYPES.contains(&request_type),
            "{request_type}"
        );
        assert!(is_known_request_type(request_type), "{request_type}");
    }
    assert_eq!(KNOWN_REQUEST_TYPES.len(), 66);
    let command = Command::new("SomeFutureCommand", Dictionary::new());
    assert!(!command.is_known_request_type());
    assert!(Command::decode(&command.to_plist_xml().unwrap()).is_ok());
}

/// A fixture's XML with `key` set to the string `value`.
fn fixture_xml_with(name: &str, key: &str, value: &str) -> Vec<u8> {
    let mut dict: Dictionary = plist::from_file(fixture_path(name)).unwrap();
    dict.insert(key.to_owned(), Value::String(value.to_owned()));
    to_xml(dict)
}

/// A fixture's XML without `key`.
fn fixture_xml_without(name: &str, key: &str) -> Vec<u8> {
    let mut dict: Dictionary = plist::from_file(fixture_path(name)).unwrap();
    assert!(dict.remove(key).is_some(), "{name} has {key}");
    to_xml(dict)
}

fn to_xml(dict: Dictionary) -> Vec<u8> {
    let mut xml = Vec::new();
    Value::Dictionary(dict).to_writer_xml(&mut xml).unwrap();
    xml
}
