//! Our requests against micromdm's scepserver 2.1.0 (Debian's `scep`
//! package): it must issue to our PKCSReq, and we must read its CertRep
//! (SHA-1 signature, single-DES envelope).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cryptoutil::cert;
use scep::PkiMessage;
use scep::message::{FailInfo, PkiStatus};

use crate::support::{Device, http};

struct ScepServer {
    child: Child,
    addr: String,
    dir: PathBuf,
}

impl ScepServer {
    fn start(challenge: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("scep-interop-{}-{challenge}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("scepserver")
            .args(["ca", "-init", "-depot", "depot", "-keySize", "2048"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .expect("scepserver not found: run ./test.sh, or apt-get install scep");
        assert!(status.success(), "scepserver ca -init failed");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("scepserver")
            .args([
                "-depot",
                "depot",
                "-port",
                &port.to_string(),
                "-challenge",
                challenge,
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "scepserver did not start listening"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, addr, dir }
    }
}

impl Drop for ScepServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn enroll(server: &ScepServer, challenge: &str) -> (Device, PkiMessage) {
    let (status, ca_der) = http(&server.addr, "GET", "/scep?operation=GetCACert", b"");
    assert_eq!(status, 200);
    let ca = cert::from_der(&ca_der).unwrap();
    let device = Device::new();
    let request = device.pkcs_req(Some(challenge), &ca);
    let (status, body) = http(
        &server.addr,
        "POST",
        "/scep?operation=PKIOperation",
        &request,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let rep = PkiMessage::parse(&body).unwrap();
    assert_eq!(rep.signer, ca, "scepserver signs with its CA certificate");
    (device, rep)
}

#[test]
fn micromdm_scepserver_issues_a_certificate_for_our_pkcsreq() {
    let server = ScepServer::start("interop-secret");
    let (device, rep) = enroll(&server, "interop-secret");
    assert_eq!(rep.pki_status, Some(PkiStatus::Success));
    let issued = rep
        .issued_certificate(&device.certificate, &device.key)
        .unwrap();
    assert_eq!(cert::common_name(&issued).as_deref(), Some("device-1"));
}

#[test]
fn micromdm_scepserver_refusal_is_read_as_a_failure() {
    let server = ScepServer::start("the-real-one");
    let (_, rep) = enroll(&server, "not-it");
    assert_eq!(rep.pki_status, Some(PkiStatus::Failure));
    assert_eq!(rep.fail_info, Some(FailInfo::BadRequest));
}
