//! Shared helpers: the `scep-server` example as a child process, scratch
//! directories and peers that must be installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `scep-server` example, killed on drop.
pub(crate) struct Server {
    child: Child,
    /// The SCEP URL, `http://127.0.0.1:PORT/scep`.
    pub(crate) url: String,
    /// The CA's SHA-256 fingerprint, upper-case hex as printed.
    pub(crate) fingerprint: String,
}

impl Server {
    pub(crate) fn start(args: &[&str]) -> Self {
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

    /// Fetches the CA certificate with GetCACert and writes it as
    /// `dir/ca.pem` (converted by openssl, which also checks it is DER).
    pub(crate) fn ca_pem(&self, dir: &Path) -> PathBuf {
        require("openssl", "openssl");
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

/// A fresh, empty directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mdm-examples-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Fails the test, never skips it, when a peer program is not on PATH.
pub(crate) fn require(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{program} not found on PATH: run ./test.sh, which installs it (Debian package {package})"
    );
}

/// `openssl verify -CAfile ca cert` succeeds.
pub(crate) fn assert_issued_by(ca: &Path, cert: &Path) {
    require("openssl", "openssl");
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(ca)
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
