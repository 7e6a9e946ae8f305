//! The depot conformance suite on MemoryDepot and FileDepot, FileDepot's
//! micromdm layout, interoperability with micromdm's scepserver 2.1.0 on
//! one depot directory, and 200 concurrent enrollments into a FileDepot.

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::SystemTime;

use cryptoutil::ContentEncryption;
use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use cryptoutil::der::Encode;
use scep::depot::FileDepot;
use scep::depot::file::FileDepotError;
use scep::message::{MessageType, PkiStatus};
use scep::signer::DuplicateSubjects;
use scep::{Depot, IssuancePolicy, PkiMessage, Service};
use tempfile::TempDir;

use crate::support::Device;

fn fresh_file_depot() -> (Arc<FileDepot>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = scep::testing::test_ca_certificate_and_key();
    let depot = FileDepot::create(dir.path(), &certificate, &key, b"").unwrap();
    (Arc::new(depot), dir)
}

mod memory_depot_conformance {
    scep::depot_conformance!(std::sync::Arc::new(scep::MemoryDepot::new(
        scep::testing::test_ca()
    )));
}

mod file_depot_conformance {
    scep::depot_conformance!(super::fresh_file_depot());
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn mode(dir: &Path, name: &str) -> u32 {
    std::fs::metadata(dir.join(name))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

/// Issues and stores a certificate for `subject` from the depot's CA.
async fn put_new(depot: &dyn Depot, subject: &str) -> Certificate {
    let ca = depot.ca().await.unwrap();
    let mut profile = CertificateProfile::new(30).unwrap();
    profile.serial = depot.next_serial().await.unwrap();
    let issuer = Issuer {
        certificate: Some(&ca.certificate),
        key: ca.key.as_ref(),
    };
    let certificate = cert::issue(
        subject.parse().unwrap(),
        ca.key.public_key(),
        &profile,
        issuer,
    )
    .unwrap();
    depot.put(&certificate).await.unwrap();
    certificate
}

#[tokio::test]
async fn a_reopened_file_depot_never_repeats_a_serial_and_keeps_its_certificates() {
    let (depot, dir) = fresh_file_depot();
    let path = dir.path().to_owned();
    scep::testing::conformance::a_reopened_depot_never_repeats_a_serial_and_keeps_its_certificates(
        depot,
        || async move { Arc::new(FileDepot::open(&path, b"").unwrap()) as Arc<dyn Depot> },
    )
    .await;
}

#[tokio::test]
async fn a_new_file_depot_has_micromdms_layout_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = scep::testing::test_ca_certificate_and_key();
    FileDepot::create(dir.path(), &certificate, &key, b"pw").unwrap();
    let d = dir.path();
    assert_eq!(read(d, "ca.pem"), cert::to_pem(&certificate).unwrap());
    let key_pem = read(d, "ca.key");
    assert!(key_pem.starts_with(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,"
    ));
    assert_eq!(read(d, "serial"), "02\n");
    assert_eq!(read(d, "index.txt"), "");
    assert_eq!(
        (mode(d, "ca.pem"), mode(d, "ca.key"), mode(d, "serial")),
        (0o444, 0o400, 0o400)
    );
    // openssl reads the key with the password and finds the CA's key.
    let out = Command::new("openssl")
        .args([
            "rsa", "-in", "ca.key", "-passin", "pass:pw", "-pubout", "-outform", "DER",
        ])
        .current_dir(d)
        .output()
        .expect("openssl not found: run ./test.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    assert_eq!(out.stdout, spki);
}

#[test]
fn creating_a_depot_over_an_existing_ca_is_refused() {
    let (_, dir) = fresh_file_depot();
    let before = read(dir.path(), "ca.key");
    let (certificate, key) = scep::testing::test_ca_certificate_and_key();
    let err = FileDepot::create(dir.path(), &certificate, &key, b"").unwrap_err();
    assert!(matches!(err, FileDepotError::AlreadyExists(_)), "{err}");
    assert_eq!(read(dir.path(), "ca.key"), before, "the key is untouched");
}

#[test]
fn opening_with_the_wrong_password_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = scep::testing::test_ca_certificate_and_key();
    FileDepot::create(dir.path(), &certificate, &key, b"right").unwrap();
    let err = FileDepot::open(dir.path(), b"wrong").unwrap_err();
    assert!(err.to_string().contains("cannot decrypt ca.key"), "{err}");
    FileDepot::open(dir.path(), b"right").unwrap();
}

#[test]
fn unencrypted_pkcs1_and_pkcs8_keys_open_and_a_foreign_key_does_not() {
    let (_, dir) = fresh_file_depot();
    let d = dir.path();
    let (_, key) = scep::testing::test_ca_certificate_and_key();
    std::fs::remove_file(d.join("ca.key")).unwrap();
    std::fs::write(d.join("ca.key"), key.to_pkcs8_pem()).unwrap();
    FileDepot::open(d, b"").unwrap();
    let out = Command::new("openssl")
        .args(["rsa", "-in", "ca.key", "-traditional", "-out", "pkcs1.key"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(read(d, "pkcs1.key").starts_with("-----BEGIN RSA PRIVATE KEY-----\nMII"));
    std::fs::rename(d.join("pkcs1.key"), d.join("ca.key")).unwrap();
    FileDepot::open(d, b"").unwrap();

    let other = cryptoutil::RsaPrivateKey::generate(2048).unwrap();
    std::fs::write(d.join("ca.key"), other.to_pkcs8_pem()).unwrap();
    let err = FileDepot::open(d, b"").unwrap_err();
    assert!(matches!(err, FileDepotError::KeyMismatch), "{err}");
}

#[tokio::test]
async fn index_lines_and_file_names_follow_micromdm() {
    let (depot, dir) = fresh_file_depot();
    let d = dir.path();
    let issued = put_new(depot.as_ref(), "CN=test-device,OU=MDM,O=scep-client,C=US").await;
    let not_after = &read(d, "index.txt")[2..15];
    assert_eq!(
        read(d, "index.txt"),
        format!(
            "V\t{not_after}\t\t02\ttest-device.2.pem\t/C=US/O=scep-client/OU=MDM/CN=test-device\n"
        )
    );
    assert_eq!(read(d, "test-device.2.pem"), cert::to_pem(&issued).unwrap());
    assert_eq!(mode(d, "test-device.2.pem"), 0o444);
    assert_eq!(read(d, "serial"), "03\n");

    let revoked_at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
    assert!(depot.revoke(&[2], revoked_at).await.unwrap());
    assert!(read(d, "index.txt").starts_with(&format!("R\t{not_after}\t260101000000Z\t02\t")));
}

#[tokio::test]
async fn common_names_cannot_place_files_outside_the_depot() {
    let (depot, dir) = fresh_file_depot();
    put_new(depot.as_ref(), "CN=../../escape").await;
    put_new(depot.as_ref(), "O=no common name").await;
    let names: HashSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.contains("___.._escape.2.pem"), "{names:?}");
    let hashed = names
        .iter()
        .find(|n| n.ends_with(".3.pem"))
        .expect("the no-CN certificate is stored");
    assert_eq!(
        hashed.len(),
        64 + ".3.pem".len(),
        "named by its SHA-256: {hashed}"
    );
    assert_eq!(depot.list().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_on_one_directory_never_share_a_serial_across_threads() {
    let (first, dir) = fresh_file_depot();
    let second = Arc::new(FileDepot::open(dir.path(), b"").unwrap());
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let depot: Arc<dyn Depot> = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tokio::spawn(async move { put_new(depot.as_ref(), &format!("CN=handle-{i}")).await })
        })
        .collect();
    let mut serials = HashSet::new();
    for task in tasks {
        let certificate = task.await.unwrap();
        serials.insert(
            certificate
                .tbs_certificate
                .serial_number
                .as_bytes()
                .to_vec(),
        );
    }
    assert_eq!(serials.len(), 100);
    assert_eq!(
        first.list().await.unwrap().len(),
        100,
        "no index update was lost"
    );
    assert_eq!(read(dir.path(), "serial"), format!("{:02x}\n", 102));
}

/// Runs `script` with bash in a new network namespace whose loopback is
/// up, so that scepserver (which listens on every interface) is reachable
/// only from inside.
fn in_network_namespace(dir: &Path, script: &str) -> Output {
    let out = Command::new("unshare")
        .args(["--net", "--fork", "bash", "-euc"])
        .arg(format!("ip link set lo up\n{script}"))
        .current_dir(dir)
        .output()
        .expect("unshare not found");
    assert!(
        out.status.success(),
        "namespace script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Starts scepserver on the depot `depot`, runs `then`, stops it (also
/// when `then` fails).
fn with_scepserver(dir: &Path, then: &str) -> Output {
    in_network_namespace(
        dir,
        &format!(
            "scepserver -depot depot -port 8080 2>server.log &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf -o /dev/null 'http://127.0.0.1:8080/scep?operation=GetCACaps' && break
  sleep 0.1
done
{then}"
        ),
    )
}

#[tokio::test]
async fn a_depot_made_by_scepserver_ca_init_opens() {
    for password in ["", "secret"] {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("scepserver")
            .args(["ca", "-init", "-depot", "depot", "-keySize", "2048"])
            .args(["-key-password", password])
            .current_dir(dir.path())
            .output()
            .expect("scepserver not found: run ./test.sh, or apt-get install scep");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let d = dir.path().join("depot");
        let depot = FileDepot::open(&d, password.as_bytes()).unwrap();
        let ca = cert::from_pem(&read(&d, "ca.pem")).unwrap().remove(0);
        assert_eq!(depot.dir(), d);
        assert_eq!(depot.ca().await.unwrap().certificate, ca);
        assert_eq!(
            read(&d, "serial"),
            "02\n",
            "open creates scepserver's serial file"
        );
        if !password.is_empty() {
            assert!(FileDepot::open(&d, b"").is_err());
        }
    }
}

#[test]
fn scepserver_serves_the_ca_of_a_depot_we_created() {
    let dir = tempfile::tempdir().unwrap();
    let (certificate, key) = scep::testing::test_ca_certificate_and_key();
    FileDepot::create(dir.path().join("depot"), &certificate, &key, b"").unwrap();
    with_scepserver(
        dir.path(),
        "curl -sf -o ca.der 'http://127.0.0.1:8080/scep?operation=GetCACert'",
    );
    let served = std::fs::read(dir.path().join("ca.der")).unwrap();
    assert_eq!(served, certificate.to_der().unwrap());
}

#[tokio::test]
async fn scepserver_continues_the_serials_of_a_depot_we_issued_from() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("depot");
    let (certificate, key) = scep::testing::test_ca_certificate_and_key();
    let depot = FileDepot::create(&d, &certificate, &key, b"").unwrap();
    for i in 0..3 {
        put_new(&depot, &format!("CN=ours-{i}")).await;
    }
    with_scepserver(
        dir.path(),
        "mkdir client
scepclient -server-url http://127.0.0.1:8080/scep -private-key client/key.pem \
  -certificate client/cert.pem -cn theirs >client.log 2>&1",
    );
    assert!(
        d.join("theirs.5.pem").exists(),
        "scepserver issued serial 5"
    );
    assert_eq!(read(&d, "serial"), "06\n", "and moved the counter on");
    let reopened = FileDepot::open(&d, b"").unwrap();
    let listed = reopened.list().await.unwrap();
    let serials: Vec<&[u8]> = listed
        .iter()
        .map(|i| i.certificate.tbs_certificate.serial_number.as_bytes())
        .collect();
    assert_eq!(serials, [[2], [3], [4], [5]]);
    assert_eq!(
        cert::common_name(&listed[3].certificate).as_deref(),
        Some("theirs")
    );
    assert_eq!(reopened.next_serial().await.unwrap(), [6]);
}

fn enrollment_service(depot: Arc<FileDepot>) -> Service {
    let policy = IssuancePolicy {
        duplicate_subjects: DuplicateSubjects::Allow,
        ..IssuancePolicy::default()
    };
    Service::standard(depot, None, policy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_enrollments_yield_200_distinct_serials_and_files() {
    const N: usize = 200;
    let (depot, dir) = fresh_file_depot();
    let service = Arc::new(enrollment_service(depot.clone()));
    let ca = depot.ca().await.unwrap().certificate;
    let devices: Arc<Vec<Device>> = Arc::new((0..8).map(|_| Device::new()).collect());
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let device = &devices[i % devices.len()];
            let csr = device.csr(&format!("load-{i}"), None, &[]);
            let request = device.request(
                MessageType::PkcsReq,
                &csr,
                &ca,
                ContentEncryption::Aes128Cbc,
            );
            let (service, devices) = (service.clone(), devices.clone());
            tokio::spawn(async move {
                let reply = service
                    .pki_operation(&request, SystemTime::now())
                    .await
                    .unwrap();
                let reply = PkiMessage::parse(&reply).unwrap();
                assert_eq!(reply.pki_status, Some(PkiStatus::Success), "request {i}");
                let device = &devices[i % devices.len()];
                reply
                    .issued_certificate(&device.certificate, &device.key)
                    .unwrap()
            })
        })
        .collect();
    let mut serials = HashSet::new();
    for task in tasks {
        let issued = task.await.unwrap();
        serials.insert(issued.tbs_certificate.serial_number.as_bytes().to_vec());
    }
    assert_eq!(serials.len(), N, "distinct serials");

    let files = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pem") && n != "ca.pem")
        .count();
    assert_eq!(files, N, "one certificate file each");
    let index = read(dir.path(), "index.txt");
    assert_eq!(index.lines().filter(|l| l.starts_with("V\t")).count(), N);
    assert_eq!(read(dir.path(), "serial"), format!("{:02x}\n", N + 2));

    let reopened = FileDepot::open(dir.path(), b"").unwrap();
    assert_eq!(reopened.list().await.unwrap().len(), N);
}
