//! Manual enrollments: the table's queries on both backends, the enroll
//! profile and the device-facing endpoint serving it.

use std::sync::Arc;

use bytes::Bytes;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, CertificateProfile};
use fleet_server::datastore::DatastoreError;
use fleet_server::db::Db;
use fleet_server::enrollments::ManualEnrollments;
use fleet_server::enrollments::profile::{
    EnrollProfileHandler, EnrollProfileSettings, ProfileSigner,
};
use http::{Request, Response, StatusCode};
use nanomdm::profile::{EnrollmentProfile, PER_USER_CONNECTIONS};

use crate::mdm_server::{TOPIC, on_both_backends};

async fn enrollments_are_created_listed_read_and_deleted(db: Db) {
    let enrollments = ManualEnrollments::new(db);
    let first = enrollments
        .create("  Office Macs ", Some("{\"munki\": true}"))
        .await
        .unwrap();
    assert_eq!(first.name, "Office Macs", "the name is trimmed");
    assert_eq!(first.configuration.as_deref(), Some("{\"munki\": true}"));
    let second = enrollments.create("Lab", None).await.unwrap();
    assert!(second.id > first.id);
    assert_eq!(
        enrollments.get(first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        enrollments.list().await.unwrap(),
        [first.clone(), second.clone()]
    );

    enrollments.delete(first.id).await.unwrap();
    assert_eq!(enrollments.get(first.id).await.unwrap(), None);
    assert_eq!(enrollments.list().await.unwrap(), [second]);
    let again = enrollments.delete(first.id).await.unwrap_err();
    assert!(matches!(again, DatastoreError::NotFound(_)), "{again:?}");
}

async fn an_empty_name_or_a_configuration_that_is_not_json_is_refused(db: Db) {
    let enrollments = ManualEnrollments::new(db);
    for (name, configuration, field) in [
        ("  ", None, "name"),
        (&*"x".repeat(256), None, "name"),
        ("ok", Some("{not json"), "configuration"),
    ] {
        let error = enrollments.create(name, configuration).await.unwrap_err();
        assert!(
            matches!(error, DatastoreError::Invalid { field: f, .. } if f == field),
            "{error:?}"
        );
    }
    assert!(enrollments.list().await.unwrap().is_empty());
}

on_both_backends! {
    enrollments_are_created_listed_read_and_deleted
        => super::enrollments_are_created_listed_read_and_deleted;
    an_empty_name_or_a_configuration_that_is_not_json_is_refused
        => super::an_empty_name_or_a_configuration_that_is_not_json_is_refused;
}

fn settings(signed: bool) -> EnrollProfileSettings {
    let signer = signed.then(|| {
        let key = RsaPrivateKey::generate(2048).unwrap();
        let subject = "CN=profile signer".parse().unwrap();
        let certificate =
            cert::self_signed(subject, &key, &CertificateProfile::new(1).unwrap()).unwrap();
        ProfileSigner {
            certificate,
            key: Arc::new(key),
        }
    });
    EnrollProfileSettings {
        server_url: "https://mdm.example.com/".to_owned(),
        scep_challenge: "challenge-secret".to_owned(),
        apns_topic: TOPIC.to_owned(),
        sign_message: true,
        signer,
    }
}

async fn get(handler: &EnrollProfileHandler, uri: &str) -> Response<Bytes> {
    handler
        .handle(Request::get(uri).body(Bytes::new()).unwrap())
        .await
}

async fn handler(signed: bool) -> (EnrollProfileHandler, i64, tempfile::TempDir) {
    let (db, dir) = crate::sqlite_db().await;
    let enrollments = ManualEnrollments::new(db);
    let enrollment = enrollments.create("Office Macs", None).await.unwrap();
    let handler = EnrollProfileHandler::new(enrollments, Arc::new(settings(signed)));
    (handler, enrollment.id, dir)
}

#[tokio::test]
async fn the_enroll_endpoint_serves_a_signed_profile_with_the_servers_scep_and_mdm_settings() {
    let (handler, id, _dir) = handler(true).await;
    let response = get(&handler, &format!("/mdm/apple/api/enroll?id={id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[http::header::CONTENT_TYPE],
        "application/x-apple-aspen-config"
    );
    assert!(!response.body().starts_with(b"<"), "signed, not plain XML");
    let profile = EnrollmentProfile::parse(response.body()).unwrap();

    assert_eq!(profile.identifier, "com.fleetdm.fleet.mdm.apple");
    let scep = &profile.scep;
    assert_eq!(scep.url, "https://mdm.example.com/mdm/apple/scep");
    assert_eq!(scep.challenge.as_deref(), Some("challenge-secret"));
    assert_eq!(scep.keysize, 2048);
    let subject: Vec<(String, String)> = scep.subject.iter().flatten().cloned().collect();
    assert_eq!(
        subject,
        [
            ("O".to_owned(), "Fleet".to_owned()),
            ("CN".to_owned(), format!("fleet-enrollment-{id}"))
        ]
    );
    let mdm = profile.mdm.unwrap();
    let url = format!("https://mdm.example.com/mdm/apple/mdm?enrollment_id={id}");
    assert_eq!(mdm.server_url, url);
    assert_eq!(mdm.check_in_url.as_deref(), Some(url.as_str()));
    assert_eq!(mdm.topic, TOPIC);
    assert!(mdm.sign_message);
    assert_eq!(mdm.access_rights, 8191);
    assert!(mdm.check_out_when_removed);
    assert_eq!(mdm.server_capabilities, [PER_USER_CONNECTIONS]);
    assert_eq!(mdm.identity_certificate_uuid, scep.uuid);
}

#[tokio::test]
async fn the_signed_profile_verifies_with_openssl() {
    let (handler, id, dir) = handler(true).await;
    let response = get(&handler, &format!("/mdm/apple/api/enroll?id={id}")).await;
    std::fs::write(dir.path().join("p.mobileconfig"), response.body()).unwrap();
    let output = std::process::Command::new("openssl")
        .args(["smime", "-verify", "-noverify", "-inform", "DER"])
        .args(["-in", "p.mobileconfig", "-out", "content.xml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let content = std::fs::read(dir.path().join("content.xml")).unwrap();
    assert!(EnrollmentProfile::parse(&content).unwrap().mdm.is_some());
}

#[tokio::test]
async fn without_a_signer_the_profile_is_plain_xml_and_every_download_has_the_same_subject() {
    let (handler, id, _dir) = handler(false).await;
    let uri = format!("/mdm/apple/api/enroll?id={id}");
    let (one, two) = (get(&handler, &uri).await, get(&handler, &uri).await);
    assert!(one.body().starts_with(b"<?xml"));
    let (one, two) = (
        EnrollmentProfile::parse(one.body()).unwrap(),
        EnrollmentProfile::parse(two.body()).unwrap(),
    );
    assert_eq!(one.scep.subject, two.scep.subject);
    assert_eq!(one.scep.url, two.scep.url);
    let (one, two) = (one.mdm.unwrap(), two.mdm.unwrap());
    assert_eq!(one.server_url, two.server_url);
}

#[tokio::test]
async fn a_missing_malformed_or_unknown_id_is_refused_with_a_one_line_reason() {
    let (handler, id, _dir) = handler(false).await;
    for (uri, status, reason) in [
        (
            "/mdm/apple/api/enroll",
            StatusCode::BAD_REQUEST,
            "missing id parameter\n",
        ),
        (
            "/mdm/apple/api/enroll?id=abc",
            StatusCode::BAD_REQUEST,
            "id must be an enrollment number\n",
        ),
        (
            &*format!("/mdm/apple/api/enroll?id={}", id + 1),
            StatusCode::NOT_FOUND,
            &*format!("no enrollment {}\n", id + 1),
        ),
    ] {
        let response = get(&handler, uri).await;
        assert_eq!(response.status(), status, "{uri}");
        assert_eq!(response.body(), reason.as_bytes(), "{uri}");
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}

#[tokio::test]
async fn only_get_is_allowed_on_the_enroll_endpoint() {
    let (handler, id, _dir) = handler(false).await;
    let request = Request::post(format!("/mdm/apple/api/enroll?id={id}"))
        .body(Bytes::new())
        .unwrap();
    let response = handler.handle(request).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.body().as_ref(), b"only GET is allowed\n");
}

#[test]
fn the_settings_debug_output_hides_the_challenge() {
    let shown = format!("{:?}", settings(true));
    assert!(!shown.contains("challenge-secret"), "{shown}");
}
