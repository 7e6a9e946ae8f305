//! Apple's response shapes, as micromdm captured them, parse; unknown
//! fields are kept and written back.

use std::path::{Path, PathBuf};

use nanodep::api::{AccountDetail, DeviceDetailsResponse, DeviceListResponse, OpType, Profile};

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/micromdm-dep/dep/testdata")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_account_response_parses_with_its_urls_and_limits() {
    let account: AccountDetail = serde_json::from_slice(&fixture("account_response.json")).unwrap();
    assert_eq!(
        account.server_uuid.as_deref(),
        Some("6666ED66666666666666666666666666")
    );
    let devices = account
        .urls
        .iter()
        .find(|u| u.uri == "/server/devices")
        .unwrap();
    assert_eq!(
        devices.limit.map(|l| (l.default, l.maximum)),
        Some((1000, 5000))
    );
    let profile_devices = account
        .urls
        .iter()
        .find(|u| u.uri == "/profile/devices")
        .unwrap();
    assert_eq!(profile_devices.http_method, ["DELETE", "POST", "PUT"]);
}

#[test]
fn a_fetch_page_and_an_empty_sync_page_parse() {
    let page: DeviceListResponse =
        serde_json::from_slice(&fixture("device_response.json")).unwrap();
    assert_eq!(page.devices.len(), 1);
    assert_eq!(page.devices[0].serial_number, "C02T0HL0GGC0");
    assert_eq!(page.devices[0].color.as_deref(), Some("SPACE GRAY"));
    assert_eq!(page.devices[0].op(), None);
    assert!(!page.more_to_follow);
    assert!(page.cursor.starts_with("MDow"));
    let empty: DeviceListResponse =
        serde_json::from_slice(&fixture("empty_sync_response.json")).unwrap();
    assert!(empty.devices.is_empty());
}

#[test]
fn device_details_parse_with_the_response_status() {
    let details: DeviceDetailsResponse =
        serde_json::from_slice(&fixture("device_details_response.json")).unwrap();
    let device = &details.devices["C02T0HL0GGC0"];
    assert_eq!(device.response_status.as_deref(), Some("SUCCESS"));
    assert_eq!(device.device_family.as_deref(), Some("Mac"));
}

#[test]
fn a_fetched_profile_parses_and_round_trips() {
    let bytes = fixture("fetch_profile_response.json");
    let profile: Profile = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(profile.profile_name, "default");
    assert_eq!(profile.is_mdm_removable, Some(true));
    assert_eq!(
        profile.skip_setup_items.as_deref().unwrap(),
        ["AppleID", "Android"]
    );
    let original: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::to_value(&profile).unwrap(), original);
}

#[test]
fn unknown_fields_and_op_types_survive_a_round_trip() {
    let json = r#"{"cursor":"c","more_to_follow":true,"devices":[{"serial_number":"S",
        "op_type":"Added","mdm_migration_deadline":"2030-01-01T00:00:00Z"}],"new_field":1}"#;
    let page: DeviceListResponse = serde_json::from_str(json).unwrap();
    assert_eq!(page.devices[0].op(), Some(OpType::Added));
    assert_eq!(page.extra["new_field"], 1);
    let back = serde_json::to_value(&page).unwrap();
    assert_eq!(
        back["devices"][0]["mdm_migration_deadline"],
        "2030-01-01T00:00:00Z"
    );
}
