//! Enrollment profiles: round trips, Apple's documented keys, micromdm's
//! SCEP test profile, signatures checked by openssl, and validation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, CertificateProfile};
use nanomdm::profile::{
    BOOTSTRAP_TOKEN, EnrollmentProfile, EnrollmentProfileBuilder, PER_USER_CONNECTIONS,
    ProfileError,
};
use plist::{Dictionary, Value};

const PROFILE_UUID: &str = "7F0CF6ED-09FF-490E-AD53-89ACB920CD37";
const SCEP_UUID: &str = "063D7953-1338-4BF0-8F99-913382996224";
const MDM_UUID: &str = "2E5B325F-84CA-4914-844F-703F9C4B11CE";

fn shared_fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(path)
}

/// A builder with every setting given.
fn full_builder() -> EnrollmentProfileBuilder {
    EnrollmentProfile::builder()
        .identifier("com.example.mdm.enroll")
        .display_name("Example MDM Enrollment")
        .organization("Example Inc.")
        .uuids(PROFILE_UUID, SCEP_UUID, MDM_UUID)
        .scep_url("https://mdm.example.com/scep")
        .ca_name("CA-IDENT")
        .challenge("s3cret")
        .keysize(4096)
        .subject_component("O", "Example Inc.")
        .subject_component("CN", "device-0001")
        .retries(3, 10)
        .server_url("https://mdm.example.com/mdm")
        .check_in_url("https://mdm.example.com/checkin")
        .topic("com.apple.mgmt.External.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
        .access_rights(4095)
        .sign_message(true)
        .check_out_when_removed(false)
        .server_capability(PER_USER_CONNECTIONS)
        .server_capability(BOOTSTRAP_TOKEN)
}

/// A builder with only the required settings.
fn minimal_builder() -> EnrollmentProfileBuilder {
    EnrollmentProfile::builder()
        .identifier("com.example.mdm.enroll")
        .scep_url("https://mdm.example.com/scep")
        .server_url("https://mdm.example.com/mdm")
        .topic("com.apple.mgmt.External.abc")
}

fn payload<'a>(outer: &'a Dictionary, payload_type: &str) -> &'a Dictionary {
    outer["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_dictionary)
        .find(|p| p["PayloadType"].as_string() == Some(payload_type))
        .unwrap()
}

#[test]
fn every_field_survives_a_round_trip_through_xml() {
    let profile = full_builder().build().unwrap();
    let parsed = EnrollmentProfile::parse(&profile.to_xml().unwrap()).unwrap();
    assert_eq!(parsed, profile);
    let mdm = parsed.mdm.as_ref().unwrap();
    assert_eq!(parsed.scep.uuid, SCEP_UUID);
    assert_eq!(parsed.scep.keysize, 4096);
    assert_eq!(parsed.scep.name.as_deref(), Some("CA-IDENT"));
    assert_eq!(
        parsed.scep.subject[1],
        [("CN".into(), "device-0001".into())]
    );
    assert_eq!(
        (parsed.scep.retries, parsed.scep.retry_delay),
        (Some(3), Some(10))
    );
    assert_eq!(mdm.access_rights, 4095);
    assert!(mdm.sign_message && !mdm.check_out_when_removed);
    assert_eq!(
        mdm.server_capabilities,
        [PER_USER_CONNECTIONS, BOOTSTRAP_TOKEN]
    );
    assert_eq!(parsed.organization.as_deref(), Some("Example Inc."));
}

#[test]
fn the_defaults_are_2048_bit_rsa_keys_all_access_rights_and_check_out() {
    let profile = minimal_builder().build().unwrap();
    let parsed = EnrollmentProfile::parse(&profile.to_xml().unwrap()).unwrap();
    assert_eq!(parsed, profile);
    assert_eq!(profile.scep.keysize, 2048);
    assert_eq!(profile.scep.key_type, "RSA");
    assert_eq!(profile.scep.key_usage, 5);
    let mdm = profile.mdm.unwrap();
    assert_eq!(mdm.access_rights, 8191);
    assert!(mdm.check_out_when_removed && !mdm.sign_message);
    assert!(mdm.check_in_url.is_none() && mdm.server_capabilities.is_empty());
}

#[test]
fn the_xml_has_the_plist_types_apple_documents() {
    let xml = full_builder().build().unwrap().to_xml().unwrap();
    let outer: Dictionary = plist::from_bytes(&xml).unwrap();
    assert_eq!(outer["PayloadType"].as_string(), Some("Configuration"));
    assert_eq!(outer["PayloadVersion"].as_unsigned_integer(), Some(1));
    let scep = payload(&outer, "com.apple.security.scep");
    let content = scep["PayloadContent"].as_dictionary().unwrap();
    assert_eq!(content["Keysize"].as_unsigned_integer(), Some(4096));
    assert_eq!(content["Key Usage"].as_unsigned_integer(), Some(5));
    assert_eq!(content["Key Type"].as_string(), Some("RSA"));
    let subject = content["Subject"].as_array().unwrap();
    let first = &subject[0].as_array().unwrap()[0].as_array().unwrap();
    assert_eq!(first[0].as_string(), Some("O"));
    assert_eq!(first[1].as_string(), Some("Example Inc."));
    let mdm = payload(&outer, "com.apple.mdm");
    assert_eq!(mdm["AccessRights"].as_unsigned_integer(), Some(4095));
    assert_eq!(mdm["SignMessage"].as_boolean(), Some(true));
    assert_eq!(mdm["CheckOutWhenRemoved"].as_boolean(), Some(false));
    assert_eq!(mdm["PayloadVersion"].as_unsigned_integer(), Some(1));
}

#[test]
fn identity_certificate_uuid_is_the_scep_payloads_uuid() {
    for builder in [full_builder(), minimal_builder()] {
        let xml = builder.build().unwrap().to_xml().unwrap();
        let outer: Dictionary = plist::from_bytes(&xml).unwrap();
        let scep_uuid = payload(&outer, "com.apple.security.scep")["PayloadUUID"].clone();
        let identity = payload(&outer, "com.apple.mdm")["IdentityCertificateUUID"].clone();
        assert_eq!(identity, scep_uuid);
    }
}

#[test]
fn random_uuids_are_upper_case_version_4_and_distinct() {
    let profile = minimal_builder().build().unwrap();
    let mdm = profile.mdm.unwrap();
    let uuids = [&profile.uuid, &profile.scep.uuid, &mdm.uuid];
    for uuid in uuids {
        assert_eq!(uuid.len(), 36, "{uuid}");
        assert_eq!(uuid, &uuid.to_ascii_uppercase());
        assert_eq!(&uuid[14..15], "4", "{uuid}");
    }
    assert_eq!(uuids.iter().collect::<BTreeSet<_>>().len(), 3);
    assert_eq!(mdm.identity_certificate_uuid, profile.scep.uuid);
}

/// The key names of an Apple schema file: `(key, required)` for the
/// entries at `indent` spaces (`- key:` lines and their `presence:`).
fn documented_keys(file: &str, indent: usize) -> Vec<(String, bool)> {
    let path = shared_fixture("apple-device-management/mdm/profiles").join(file);
    let text = std::fs::read_to_string(path).unwrap();
    let key_prefix = format!("{}- key: ", " ".repeat(indent));
    let presence = format!("{}  presence: required", " ".repeat(indent));
    let mut keys: Vec<(String, bool)> = Vec::new();
    for line in text.lines() {
        if let Some(key) = line.strip_prefix(&key_prefix) {
            keys.push((key.trim().to_owned(), false));
        } else if line == presence {
            keys.last_mut().unwrap().1 = true;
        }
    }
    keys
}

/// Checks that `written` keys are all documented and include every
/// documented required key.
fn assert_documented(what: &str, written: &Dictionary, documented: &[(String, bool)]) {
    let written: BTreeSet<&str> = written.keys().map(String::as_str).collect();
    let known: BTreeSet<&str> = documented.iter().map(|(k, _)| k.as_str()).collect();
    let undocumented: Vec<_> = written.difference(&known).collect();
    assert!(
        undocumented.is_empty(),
        "{what}: undocumented {undocumented:?}"
    );
    for (key, required) in documented {
        assert!(
            !required || written.contains(key.as_str()),
            "{what}: missing {key}"
        );
    }
}

#[test]
fn every_key_written_is_one_apple_documents_and_every_required_key_is_written() {
    let xml = full_builder().build().unwrap().to_xml().unwrap();
    let outer: Dictionary = plist::from_bytes(&xml).unwrap();
    let common = documented_keys("CommonPayloadKeys.yaml", 0);
    assert_documented("profile", &outer, &documented_keys("TopLevel.yaml", 0));

    let mut mdm_keys = documented_keys("com.apple.mdm.yaml", 0);
    mdm_keys.extend(common.iter().cloned());
    assert_documented("com.apple.mdm", payload(&outer, "com.apple.mdm"), &mdm_keys);

    let scep = payload(&outer, "com.apple.security.scep");
    let mut scep_keys = documented_keys("com.apple.security.scep.yaml", 0);
    scep_keys.extend(common);
    assert_documented("com.apple.security.scep", scep, &scep_keys);
    let content = scep["PayloadContent"].as_dictionary().unwrap();
    let content_keys = documented_keys("com.apple.security.scep.yaml", 2);
    assert!(content_keys.iter().any(|(k, _)| k == "Key Type"));
    assert_documented("SCEP PayloadContent", content, &content_keys);
}

#[test]
fn micromdm_sceptest_profile_parses_with_its_scep_fields_and_no_mdm_payload() {
    let path = shared_fixture("micromdm-scep/testdata/testca/sceptest.mobileconfig");
    let profile = EnrollmentProfile::parse(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(profile.uuid, "7F0CF6ED-09FF-490E-AD53-89ACB920CD37");
    assert_eq!(profile.display_name.as_deref(), Some("scept"));
    let scep = &profile.scep;
    assert_eq!(scep.url, "http://localhost:9001/scep");
    assert_eq!(scep.keysize, 1024);
    assert_eq!(scep.key_type, "RSA");
    assert_eq!((scep.retries, scep.retry_delay), (Some(3), Some(10)));
    assert_eq!(scep.uuid, "063D7953-1338-4BF0-8F99-913382996224");
    assert_eq!(
        scep.identifier,
        "com.apple.security.scep.063D7953-1338-4BF0-8F99-913382996224"
    );
    assert!(scep.name.is_none() && scep.challenge.is_none() && scep.subject.is_empty());
    assert!(profile.mdm.is_none());
}

#[test]
fn a_profile_without_a_scep_payload_is_rejected() {
    let xml = minimal_builder().build().unwrap().to_xml().unwrap();
    let mut outer: Dictionary = plist::from_bytes(&xml).unwrap();
    let content = outer.get_mut("PayloadContent").unwrap();
    content.as_array_mut().unwrap().remove(0);
    let mut xml = Vec::new();
    Value::Dictionary(outer).to_writer_xml(&mut xml).unwrap();
    let error = EnrollmentProfile::parse(&xml).unwrap_err();
    assert!(matches!(error, ProfileError::Missing(_)), "{error:?}");
}

/// A scratch directory for openssl, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("nanomdm-profile-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn signed_profile() -> (Vec<u8>, Vec<u8>) {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let subject = "CN=profile signer".parse().unwrap();
    let certificate =
        cert::self_signed(subject, &key, &CertificateProfile::new(1).unwrap()).unwrap();
    let profile = full_builder().build().unwrap();
    let signed = profile.sign(&certificate, &key).unwrap();
    (profile.to_xml().unwrap(), signed)
}

#[test]
fn a_signed_profile_verifies_with_openssl_and_its_content_is_the_unsigned_xml() {
    let (xml, signed) = signed_profile();
    let scratch = Scratch::new("openssl-verify");
    std::fs::write(scratch.0.join("p.mobileconfig"), &signed).unwrap();
    let output = Command::new("openssl")
        .args(["cms", "-verify", "-noverify", "-inform", "DER"])
        .args(["-in", "p.mobileconfig", "-out", "content.xml"])
        .current_dir(&scratch.0)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read(scratch.0.join("content.xml")).unwrap(), xml);
}

#[test]
fn a_signed_profile_parses_back_to_the_same_profile() {
    let (xml, signed) = signed_profile();
    let parsed = EnrollmentProfile::parse(&signed).unwrap();
    assert_eq!(parsed, EnrollmentProfile::parse(&xml).unwrap());
}

#[test]
fn a_signed_profile_whose_content_was_altered_is_rejected() {
    let (_, mut signed) = signed_profile();
    let at = signed
        .windows(b"device-0001".len())
        .position(|w| w == b"device-0001")
        .unwrap();
    signed[at] = b'D';
    let error = EnrollmentProfile::parse(&signed).unwrap_err();
    assert!(matches!(error, ProfileError::Crypto(_)), "{error:?}");
}

#[test]
fn http_urls_are_rejected_unless_insecure_urls_are_allowed() {
    let cases = [
        (
            "ServerURL",
            minimal_builder().server_url("http://mdm.example.com/mdm"),
        ),
        (
            "CheckInURL",
            minimal_builder().check_in_url("http://mdm.example.com/c"),
        ),
        (
            "URL",
            minimal_builder().scep_url("http://mdm.example.com/scep"),
        ),
    ];
    for (expected, builder) in cases {
        let error = builder.clone().build().unwrap_err();
        assert!(
            matches!(error, ProfileError::InsecureUrl { field, .. } if field == expected),
            "{error:?}"
        );
        assert!(builder.allow_insecure_urls().build().is_ok());
    }
}

#[test]
fn a_topic_outside_com_apple_mgmt_is_rejected() {
    let error = minimal_builder()
        .topic("com.example.push")
        .build()
        .unwrap_err();
    assert!(matches!(error, ProfileError::Topic(_)), "{error:?}");
}

#[test]
fn access_rights_outside_1_to_8191_are_rejected() {
    for rights in [0, 8192] {
        let error = minimal_builder().access_rights(rights).build().unwrap_err();
        assert!(
            matches!(error, ProfileError::AccessRights(r) if r == rights),
            "{error:?}"
        );
    }
    assert!(minimal_builder().access_rights(1).build().is_ok());
}

#[test]
fn a_keysize_other_than_1024_2048_or_4096_is_rejected() {
    for bits in [512, 3072] {
        let error = minimal_builder().keysize(bits).build().unwrap_err();
        assert!(
            matches!(error, ProfileError::Keysize(b) if b == bits),
            "{error:?}"
        );
    }
    assert!(minimal_builder().keysize(1024).build().is_ok());
}

#[test]
fn missing_required_settings_and_malformed_fixed_uuids_are_rejected() {
    let error = EnrollmentProfile::builder().build().unwrap_err();
    assert!(
        matches!(error, ProfileError::Missing("identifier")),
        "{error:?}"
    );
    let error = minimal_builder()
        .uuids("x", SCEP_UUID, MDM_UUID)
        .build()
        .unwrap_err();
    assert!(matches!(error, ProfileError::Uuid(_)), "{error:?}");
}
