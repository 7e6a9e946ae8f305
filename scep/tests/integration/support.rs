//! A test CA, a device that builds requests, and a tiny HTTP/1.0 client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::x509_cert::ext::Extension;
use cryptoutil::{ContentEncryption, RsaPrivateKey};
use scep::message::{self, MessageType, Requester};
use scep::{MemoryDepot, Service, ServiceConfig};

pub(crate) const CHALLENGE: &str = "s3cret";

pub(crate) struct TestCa {
    pub(crate) certificate: Certificate,
    pub(crate) service: Service,
    pub(crate) depot: Arc<MemoryDepot>,
}

pub(crate) fn test_ca() -> TestCa {
    let key = Arc::new(RsaPrivateKey::generate(2048).unwrap());
    let profile = CertificateProfile::certificate_authority(365).unwrap();
    let certificate = cert::self_signed(
        "CN=Test SCEP CA,O=scep tests".parse().unwrap(),
        key.as_ref(),
        &profile,
    )
    .unwrap();
    let depot = Arc::new(MemoryDepot::new());
    let config = ServiceConfig {
        challenge: Some(CHALLENGE.into()),
        ..ServiceConfig::default()
    };
    let service = Service::new(certificate.clone(), key, depot.clone(), config);
    TestCa {
        certificate,
        service,
        depot,
    }
}

/// A device: its key and the self-signed certificate it signs requests with.
pub(crate) struct Device {
    pub(crate) key: RsaPrivateKey,
    pub(crate) certificate: Certificate,
}

impl Device {
    pub(crate) fn new() -> Self {
        let key = RsaPrivateKey::generate(2048).unwrap();
        let profile = CertificateProfile::new(1).unwrap();
        let certificate =
            cert::self_signed("CN=SCEP SIGNER".parse().unwrap(), &key, &profile).unwrap();
        Self { key, certificate }
    }

    pub(crate) fn csr(
        &self,
        cn: &str,
        challenge: Option<&str>,
        extensions: &[Extension],
    ) -> Vec<u8> {
        let subject = format!("CN={cn},O=scep tests").parse().unwrap();
        cryptoutil::csr::build(subject, &self.key, challenge, extensions).unwrap()
    }

    pub(crate) fn request(
        &self,
        kind: MessageType,
        csr: &[u8],
        ca: &Certificate,
        cipher: ContentEncryption,
    ) -> Vec<u8> {
        let requester = Requester {
            certificate: &self.certificate,
            key: &self.key,
        };
        message::build_request(
            kind,
            csr,
            requester,
            std::slice::from_ref(ca),
            "TX-0001",
            &[9; 16],
            cipher,
        )
        .unwrap()
    }

    pub(crate) fn pkcs_req(&self, challenge: Option<&str>, ca: &Certificate) -> Vec<u8> {
        let csr = self.csr("device-1", challenge, &[]);
        self.request(MessageType::PkcsReq, &csr, ca, ContentEncryption::Aes128Cbc)
    }
}

/// Sends one HTTP/1.0 request to `addr` and returns (status, body).
pub(crate) fn http(addr: &str, method: &str, path_and_query: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path_and_query} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-pki-message\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = std::str::from_utf8(&response[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (status, response[split + 4..].to_vec())
}
