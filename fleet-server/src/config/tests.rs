use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use clap::Parser;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, CertificateProfile};

use super::credentials::CredentialArgs;
use super::*;
use crate::serve::{ServeArgs, resolve};

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn serve_args(args: &[&str]) -> ServeArgs {
    let mut argv = vec!["fleet-server"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap().serve
}

struct Pair {
    cert_pem: String,
    key_pem: String,
}

fn pair(subject: &str, profile: CertificateProfile) -> Pair {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let certificate = cert::self_signed(subject.parse().unwrap(), &key, &profile).unwrap();
    Pair {
        cert_pem: cert::to_pem(&certificate).unwrap(),
        key_pem: key.to_pkcs8_pem(),
    }
}

fn ca() -> &'static Pair {
    static CA: OnceLock<Pair> = OnceLock::new();
    CA.get_or_init(|| {
        pair(
            "CN=Test CA",
            CertificateProfile::certificate_authority(3650).unwrap(),
        )
    })
}

fn push() -> &'static Pair {
    static PUSH: OnceLock<Pair> = OnceLock::new();
    PUSH.get_or_init(|| {
        pair(
            "UID=com.apple.mgmt.External.test-topic,CN=APSP:test",
            CertificateProfile::new(365).unwrap(),
        )
    })
}

fn secret(value: &str) -> Option<Secret> {
    Some(Secret::new(value))
}

fn scep_bytes(cert: &str, key: &str) -> CredentialArgs {
    CredentialArgs {
        mdm_apple_scep_cert_bytes: secret(cert),
        mdm_apple_scep_key_bytes: secret(key),
        ..CredentialArgs::default()
    }
}

fn apns_bytes(cert: &str, key: &str) -> CredentialArgs {
    CredentialArgs {
        mdm_apple_apns_cert_bytes: secret(cert),
        mdm_apple_apns_key_bytes: secret(key),
        ..CredentialArgs::default()
    }
}

#[test]
fn fleet_booleans_are_parsed_and_anything_else_is_refused() {
    for yes in ["1", "true", "TRUE", "yes", "on"] {
        assert_eq!(parse_bool(yes), Ok(true), "{yes}");
    }
    for no in ["0", "false", "no", "off", ""] {
        assert_eq!(parse_bool(no), Ok(false), "{no}");
    }
    assert!(parse_bool("maybe").is_err());
}

#[test]
fn a_public_url_must_be_absolute_http_without_query() {
    assert_eq!(
        public_base_url("V", "https://mdm.example.com/").unwrap(),
        "https://mdm.example.com"
    );
    for bad in ["mdm.example.com", "ftp://x", "https://x/?a=b", "https://"] {
        let err = public_base_url("V", bad).unwrap_err();
        assert!(err.to_string().starts_with("V: "), "{bad}: {err}");
    }
}

#[test]
fn a_secret_never_shows_in_debug_output() {
    let args = serve_args(&[
        "--mysql-password",
        "hunter2",
        "--server-private-key",
        "k".repeat(40).as_str(),
    ]);
    let debug = format!("{args:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains(&"k".repeat(40)), "{debug}");
}

#[test]
fn the_mysql_url_is_built_from_fleet_variables_with_the_password_escaped() {
    let args = serve_args(&[
        "--mysql-address",
        "db:3306",
        "--mysql-username",
        "fleet",
        "--mysql-password",
        "p@ss/word",
    ]);
    let config = args.database.db_config().unwrap();
    match config.backend {
        crate::db::Backend::Mysql(url) => {
            assert_eq!(url, "mysql://fleet:p%40ss%2Fword@db:3306/fleet");
        }
        other => panic!("expected MySQL, got {other:?}"),
    }
    assert_eq!(config.pool_size, 50);
}

#[test]
fn without_a_mysql_address_sqlite_is_used() {
    let config = serve_args(&[]).database.db_config().unwrap();
    assert_eq!(
        config.backend,
        crate::db::Backend::Sqlite("fleet.sqlite3".into())
    );
}

#[test]
fn path_and_bytes_of_one_credential_are_mutually_exclusive() {
    let args = CredentialArgs {
        mdm_apple_scep_cert: Some("/tmp/ca.pem".into()),
        mdm_apple_scep_cert_bytes: secret(&ca().cert_pem),
        mdm_apple_scep_key_bytes: secret(&ca().key_pem),
        ..CredentialArgs::default()
    };
    let err = args.scep_ca(SystemTime::now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "only one of FLEET_MDM_APPLE_SCEP_CERT and FLEET_MDM_APPLE_SCEP_CERT_BYTES may be set"
    );
}

#[test]
fn the_earlier_pem_variable_names_are_accepted() {
    let args = CredentialArgs {
        mdm_apple_scep_ca_cert_pem: secret(&ca().cert_pem),
        mdm_apple_scep_ca_key_pem: secret(&ca().key_pem),
        mdm_apple_mdm_push_cert_pem: secret(&push().cert_pem),
        mdm_apple_mdm_push_key_pem: secret(&push().key_pem),
        ..CredentialArgs::default()
    };
    assert!(args.scep_ca(SystemTime::now()).unwrap().is_some());
    let push = args.apns(SystemTime::now()).unwrap().unwrap();
    assert_eq!(push.topic(), "com.apple.mgmt.External.test-topic");
}

#[test]
fn a_scep_key_that_does_not_match_its_certificate_is_refused_naming_the_key() {
    let err = scep_bytes(&ca().cert_pem, &push().key_pem)
        .scep_ca(SystemTime::now())
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("FLEET_MDM_APPLE_SCEP_KEY_BYTES: "),
        "{message}"
    );
    assert!(message.contains("does not match"), "{message}");
}

#[test]
fn a_scep_certificate_that_is_not_a_ca_is_refused() {
    let err = scep_bytes(&push().cert_pem, &push().key_pem)
        .scep_ca(SystemTime::now())
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("FLEET_MDM_APPLE_SCEP_CERT_BYTES: "),
        "{message}"
    );
    assert!(message.contains("not a CA"), "{message}");
}

#[test]
fn an_expired_certificate_is_refused_naming_the_variable() {
    let later = SystemTime::now() + Duration::from_secs(20 * 365 * 24 * 3600);
    let err = apns_bytes(&push().cert_pem, &push().key_pem)
        .apns(later)
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("FLEET_MDM_APPLE_APNS_CERT_BYTES: "),
        "{message}"
    );
    assert!(message.contains("expired"), "{message}");
    let err = scep_bytes(&ca().cert_pem, &ca().key_pem)
        .scep_ca(later)
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn a_push_certificate_without_an_apns_topic_is_refused() {
    let err = apns_bytes(&ca().cert_pem, &ca().key_pem)
        .apns(SystemTime::now())
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("FLEET_MDM_APPLE_APNS_CERT_BYTES: "),
        "{message}"
    );
    assert!(message.contains("UID"), "{message}");
}

#[test]
fn a_push_key_that_does_not_match_is_refused_naming_the_key() {
    let err = apns_bytes(&push().cert_pem, &ca().key_pem)
        .apns(SystemTime::now())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("FLEET_MDM_APPLE_APNS_KEY_BYTES: "),
        "{err}"
    );
}

#[test]
fn a_credential_error_never_repeats_the_secret_value() {
    let garbage =
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXZhbHVlLTEyMzQ=\n-----END PRIVATE KEY-----\n";
    let err = scep_bytes(&ca().cert_pem, garbage)
        .scep_ca(SystemTime::now())
        .unwrap_err();
    let message = crate::error_chain(&err);
    assert!(!message.contains("c2VjcmV0"), "{message}");
}

#[test]
fn a_cert_without_its_key_is_refused() {
    let args = CredentialArgs {
        mdm_apple_apns_cert_bytes: secret(&push().cert_pem),
        ..CredentialArgs::default()
    };
    let err = args.apns(SystemTime::now()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("FLEET_MDM_APPLE_APNS_KEY must be set"),
        "{err}"
    );
}

fn bound() -> SocketAddr {
    "127.0.0.1:8080".parse().unwrap()
}

#[test]
fn tls_is_on_by_default_and_then_needs_a_certificate() {
    let err = resolve(&serve_args(&[]), bound(), SystemTime::now()).unwrap_err();
    assert!(
        err.to_string().starts_with("FLEET_SERVER_CERT must be set"),
        "{err}"
    );
    let settings = resolve(
        &serve_args(&["--server-tls", "false"]),
        bound(),
        SystemTime::now(),
    )
    .unwrap();
    assert!(settings.tls.is_none() && settings.mdm.is_none());
}

#[test]
fn enabling_mdm_requires_the_server_url_and_the_private_key() {
    let key = "k".repeat(32);
    let err = resolve(
        &serve_args(&["--server-tls", "0", "--mdm-apple-enable", "1"]),
        bound(),
        SystemTime::now(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("FLEET_SERVER_PRIVATE_KEY must be set"),
        "{err}"
    );
    let err = resolve(
        &serve_args(&[
            "--server-tls",
            "0",
            "--mdm-apple-enable",
            "1",
            "--server-private-key",
            &key,
        ]),
        bound(),
        SystemTime::now(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("FLEET_MDM_APPLE_SERVER_URL must be set"),
        "{err}"
    );
}

#[test]
fn a_short_private_key_is_refused() {
    let err = resolve(
        &serve_args(&["--server-tls", "0", "--server-private-key", "short"]),
        bound(),
        SystemTime::now(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "FLEET_SERVER_PRIVATE_KEY: the server private key must be at least 32 bytes, got 5"
    );
}

#[test]
fn dev_mode_needs_nothing_and_serves_plain_http_on_the_bound_port() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dev");
    let args = serve_args(&["--dev", "--dev-data-dir", data.to_str().unwrap()]);
    let settings = resolve(&args, "0.0.0.0:43123".parse().unwrap(), SystemTime::now()).unwrap();
    assert!(settings.tls.is_none());
    let mdm = settings.mdm.expect("dev mode enables MDM");
    assert_eq!(mdm.server_url, "http://127.0.0.1:43123");
    assert_eq!(
        settings.db.backend,
        crate::db::Backend::Sqlite(data.join("fleet.sqlite3"))
    );
    assert!(matches!(mdm.push_target, crate::mdm::PushTarget::Sink(_)));
}
