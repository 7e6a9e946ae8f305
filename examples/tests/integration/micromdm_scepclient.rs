//! micromdm's scepclient 2.1.0 (Debian's `scep` package) against our
//! `scep-server` example (and the example's own flags), and against our
//! `scepserver` with a file depot: key reuse and renewal.

use std::path::Path;
use std::process::{Command, Output};

use cryptoutil::cert;

use crate::support::{
    Scepserver, Server, assert_issued_by, index_lines, init_depot, micromdm_scepclient, require,
    scratch, stderr,
};

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

fn public_key_of(path: &Path) -> cryptoutil::PublicKey {
    let pem = std::fs::read_to_string(path).unwrap();
    cert::public_key(&cert::from_pem(&pem).unwrap()[0]).unwrap()
}

/// `scepclient -server-url URL -private-key key.pem -challenge secret ARGS`.
fn micromdm_enroll(dir: &Path, server: &Scepserver, args: &[&str]) -> Output {
    let common = [
        "-server-url",
        &server.url,
        "-private-key",
        "key.pem",
        "-challenge",
        "secret",
    ];
    micromdm_scepclient(dir, &[&common[..], args].concat())
}

#[test]
fn micromdm_scepclient_reuses_an_existing_key() {
    let dir = scratch("micromdm-reuse");
    let depot = init_depot(&dir);
    let server = Scepserver::start(&dir, &["--depot", "depot", "--challenge", "secret"]);
    std::fs::create_dir_all(dir.join("first")).unwrap();
    std::fs::create_dir_all(dir.join("second")).unwrap();
    let first = micromdm_enroll(
        &dir,
        &server,
        &["-cn", "device-1", "-certificate", "first/client.pem"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let key = std::fs::read(dir.join("key.pem")).unwrap();
    // scepclient would send its csr.pem (device-1) again, a duplicate subject.
    std::fs::remove_file(dir.join("csr.pem")).unwrap();
    let second = micromdm_enroll(
        &dir,
        &server,
        &["-cn", "device-2", "-certificate", "second/client.pem"],
    );
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(std::fs::read(dir.join("key.pem")).unwrap(), key);
    for issued in ["first/client.pem", "second/client.pem"] {
        assert_issued_by(&depot.join("ca.pem"), &dir.join(issued));
    }
    assert_eq!(
        public_key_of(&dir.join("first/client.pem")),
        public_key_of(&dir.join("second/client.pem"))
    );
    assert_ne!(
        std::fs::read(dir.join("first/client.pem")).unwrap(),
        std::fs::read(dir.join("second/client.pem")).unwrap()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn micromdm_scepclient_renews_with_its_current_certificate() {
    let dir = scratch("micromdm-renew");
    let depot = init_depot(&dir);
    // --allowrenew 0: renewal is allowed at any time; --debug logs the
    // certificate that signed each request.
    let args = [
        "--depot",
        "depot",
        "--challenge",
        "secret",
        "--allowrenew",
        "0",
        "--debug",
    ];
    let server = Scepserver::start(&dir, &args);
    let enrolled = micromdm_enroll(&dir, &server, &["-cn", "device-1"]);
    assert!(enrolled.status.success(), "{}", stderr(&enrolled));
    let first = std::fs::read(dir.join("client.pem")).unwrap();
    // client.pem exists now: scepclient 2.1.0 signs a RenewalReq with it.
    let renewed = micromdm_enroll(&dir, &server, &["-cn", "device-1"]);
    assert!(
        renewed.status.success(),
        "{}\n{}",
        stderr(&renewed),
        server.log()
    );
    assert_ne!(std::fs::read(dir.join("client.pem")).unwrap(), first);
    assert_issued_by(&depot.join("ca.pem"), &dir.join("client.pem"));
    let log = server.log();
    let renewal = log.lines().find(|l| l.contains("message_type=RenewalReq"));
    let renewal = renewal.unwrap_or_else(|| panic!("no RenewalReq in {log}"));
    assert!(renewal.contains("requester_serial=02"), "{renewal}");
    assert!(renewal.contains("outcome=issued serial=03"), "{renewal}");
    let index = index_lines(&depot);
    assert_eq!(index.len(), 2, "{index:?}");
    assert!(
        index[0].starts_with("R\t") && index[0].contains("\t02\tdevice-1.2.pem\t"),
        "{index:?}"
    );
    assert!(
        index[1].starts_with("V\t") && index[1].contains("\t03\tdevice-1.3.pem\t"),
        "{index:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
