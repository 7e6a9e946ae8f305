//! The example programs, run as a user would: `scep-server` enrolling
//! micromdm's scepclient 2.1.0 (Debian's `scep` package).

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

struct Server {
    child: Child,
    url: String,
    fingerprint: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scep-server"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let fingerprint = lines.next().unwrap().unwrap();
        let fingerprint = fingerprint.rsplit(' ').next().unwrap().to_owned();
        let url = lines
            .next()
            .unwrap()
            .unwrap()
            .trim_start_matches("listening on ")
            .to_owned();
        Self {
            child,
            url,
            fingerprint,
        }
    }

    fn ca_pem(&self, dir: &Path) -> PathBuf {
        let addr = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches("/scep");
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET /scep?operation=GetCACert HTTP/1.0\r\n\r\n").unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let body = &response[response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
        std::fs::write(dir.join("ca.der"), body).unwrap();
        let pem = dir.join("ca.pem");
        let status = Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in", "ca.der", "-out", "ca.pem"])
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "GetCACert did not return a DER certificate"
        );
        pem
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mdm-examples-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn scepclient(dir: &Path, server: &Server, challenge: &str) -> Output {
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
        .expect("scepclient not found: run ./test.sh, or apt-get install scep")
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
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(&ca)
        .arg(dir.join("client.pem"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
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
