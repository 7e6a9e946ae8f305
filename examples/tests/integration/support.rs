//! The `scep-server` example as a child process (scratch directories and
//! peer checks are `testkit::process`'s).

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
        testkit::process::require("openssl", "openssl");
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
