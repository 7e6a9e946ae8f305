//! A test CA and a device that builds requests.

use std::sync::Arc;

use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::x509_cert::ext::Extension;
use cryptoutil::{ContentEncryption, RsaPrivateKey};
use scep::ca::CaOptions;
use scep::message::{self, MessageType, Requester};
use scep::{ChallengeVerifier, Identity, IssuancePolicy, MemoryDepot, Service, StaticChallenge};

pub(crate) const CHALLENGE: &str = "s3cret";

pub(crate) struct TestCa {
    pub(crate) certificate: Certificate,
    pub(crate) service: Service,
    pub(crate) depot: Arc<MemoryDepot>,
}

pub(crate) fn ca_identity(cn: &str) -> Identity {
    let options = CaOptions {
        key_bits: 2048,
        common_name: cn.into(),
        ..CaOptions::default()
    };
    let (certificate, key) = scep::ca::init(&options).unwrap();
    Identity {
        certificate,
        key: Arc::new(key),
    }
}

pub(crate) fn test_ca() -> TestCa {
    test_ca_with(IssuancePolicy::default())
}

pub(crate) fn test_ca_with(policy: IssuancePolicy) -> TestCa {
    let identity = ca_identity("Test SCEP CA");
    let certificate = identity.certificate.clone();
    let depot = Arc::new(MemoryDepot::new(identity));
    let challenge: Arc<dyn ChallengeVerifier> = Arc::new(StaticChallenge::new(CHALLENGE));
    let service = Service::standard(depot.clone(), Some(challenge), policy);
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
