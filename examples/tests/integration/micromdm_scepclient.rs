//! micromdm's scepclient 2.1.0 (Debian's `scep` package) against our
//! `scep-server` example, and the example's own flags.

use std::path::Path;
use std::process::{Command, Output};

use testkit::process::{assert_issued_by, require, scratch};

use crate::support::Server;

fn scepclient(dir: &Path, server: &Server, challenge: &str) -> Output {
    require("scepclient", "scep");
    Command::new("scepclient")
        .args([
            "-server-url",
            &server.url,
            "-private-key",
            "key.pem",
            "-cn",
            "device-1",
        ])
        .args([
            "-challenge",
            challenge,
            "-ca-fingerprint",
            &server.fingerprint,
        ])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn micromdm_scepclient_enrolls_against_the_example_scep_server() {
    let server = Server::start(&["--challenge", "example-secret"]);
    let dir = scratch("enroll");
    let out = scepclient(&dir, &server, "example-secret");
    assert!(
        out.status.success(),
        "scepclient failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ca = server.ca_pem(&dir);
    assert_issued_by(&ca, &dir.join("client.pem"));
    let text = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-subject",
            "-ext",
            "extendedKeyUsage",
            "-in",
        ])
        .arg(dir.join("client.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("CN = device-1"), "{text}");
    assert!(text.contains("TLS Web Client Authentication"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn micromdm_scepclient_with_a_wrong_challenge_is_refused() {
    let server = Server::start(&["--challenge", "example-secret"]);
    let dir = scratch("refused");
    let out = scepclient(&dir, &server, "guess");
    assert!(!out.status.success());
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(output.contains("failInfo: badRequest"), "{output}");
    assert!(!dir.join("client.pem").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_flags_are_reported_with_usage_and_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_scep-server"))
        .arg("--listen")
        .arg("nowhere")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: --listen"), "{stderr}");
    assert!(stderr.contains("usage: scep-server"), "{stderr}");
}
