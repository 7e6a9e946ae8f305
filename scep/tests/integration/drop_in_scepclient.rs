//! The `scepclient` example (the drop-in for micromdm's) against the
//! `scepserver` example with a depot made by `scepserver ca --init`.

use std::path::{Path, PathBuf};

use crate::programs::{
    Scepserver, assert_issued_by, init_depot, openssl_text, our_scepclient, scratch, stderr,
};

/// A fresh CA in `dir/depot` served by our scepserver with the challenge
/// `example-secret`, and the depot's path.
fn scepserver(dir: &Path) -> (Scepserver, PathBuf) {
    let depot = init_depot(dir);
    let args = ["--depot", "depot", "--challenge", "example-secret"];
    (Scepserver::start(dir, &args), depot)
}

#[test]
fn our_scepclient_enrolls_against_our_scepserver_with_its_ca_fingerprint() {
    let dir = scratch("ours-enroll");
    let (server, depot) = scepserver(&dir);
    // Colon-separated, lower case: the spelling openssl prints.
    let fingerprint = server
        .fingerprint
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    let out = our_scepclient(
        &dir,
        &[
            "--server-url",
            &server.url,
            "--private-key",
            "key.pem",
            "--cn",
            "device-1",
            "--challenge",
            "example-secret",
            "--ca-fingerprint",
            &fingerprint,
            "--dns-names",
            "device-1.example.test",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_issued_by(&depot.join("ca.pem"), &dir.join("client.pem"));
    let text = openssl_text(&dir.join("client.pem"));
    assert!(text.contains("CN = device-1"), "{text}");
    assert!(text.contains("DNS:device-1.example.test"), "{text}");
    let key = std::fs::read_to_string(dir.join("key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{key}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_refuses_a_ca_that_does_not_match_the_fingerprint() {
    let dir = scratch("ours-fingerprint");
    let (server, _) = scepserver(&dir);
    let wrong = "00".repeat(32);
    let out = our_scepclient(
        &dir,
        &[
            "--server-url",
            &server.url,
            "--private-key",
            "key.pem",
            "--challenge",
            "example-secret",
            "--ca-fingerprint",
            &wrong,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("no CA certificate from GetCACert matches --ca-fingerprint 0000"),
        "{message}"
    );
    assert!(!dir.join("client.pem").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_reports_a_refused_challenge_with_the_fail_info_and_exit_code_1() {
    let dir = scratch("ours-refused");
    let (server, _) = scepserver(&dir);
    let out = our_scepclient(
        &dir,
        &[
            "--server-url",
            &server.url,
            "--private-key",
            "key.pem",
            "--challenge",
            "guess",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("PKCSReq (19) request failed"), "{message}");
    assert!(message.contains("failInfo: badRequest (2)"), "{message}");
    assert!(!dir.join("client.pem").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_without_a_server_url_prints_usage_and_exits_with_2() {
    let dir = scratch("ours-usage");
    let out = our_scepclient(&dir, &["--private-key", "key.pem"]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("error: --server-url is required"),
        "{message}"
    );
    assert!(message.contains("usage: scepclient"), "{message}");
    assert!(
        !dir.join("key.pem").exists(),
        "no key before the flags are valid"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn our_scepclient_reports_an_unreachable_server_with_exit_code_1() {
    let dir = scratch("ours-unreachable");
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/scep");
    let out = our_scepclient(&dir, &["--server-url", &url, "--private-key", "key.pem"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("GetCACert: transport failure"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
