//! Throwaway certificates for the fake APNs: a server CA and a server
//! certificate for 127.0.0.1, and a "push CA" issuing push certificates
//! (Apple issues MDM push certificates from its own CA, with the topic in
//! the subject's UID).

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use cryptoutil::const_oid::AssociatedOid;
use cryptoutil::der::Encode;
use cryptoutil::der::asn1::OctetString;
use cryptoutil::x509_cert::ext::pkix::SubjectAltName;
use cryptoutil::x509_cert::ext::pkix::name::GeneralName;
use cryptoutil::{PrivateKey, RsaPrivateKey};
use nanomdm::push::PushCertificate;

/// The topic of the test check-ins, so `testing::token_update` enrollments
/// are pushed with this certificate.
pub(super) const TOPIC: &str = nanomdm::testing::TEST_TOPIC;

pub(super) struct Pki {
    pub(super) server_ca_der: Vec<u8>,
    pub(super) server_cert_der: Vec<u8>,
    pub(super) server_key_der: Vec<u8>,
    pub(super) push_ca_der: Vec<u8>,
    pub(super) push_cert_der: Vec<u8>,
    push_key: RsaPrivateKey,
    /// A push certificate for the same topic that the fake does not trust.
    untrusted: (Certificate, RsaPrivateKey),
}

impl Pki {
    /// The push certificate and key as uploaded (PEM, PKCS#8 key).
    pub(super) fn push_certificate(&self) -> PushCertificate {
        let cert = cert::from_der(&self.push_cert_der).unwrap();
        let upload = cert::to_pem(&cert).unwrap() + &self.push_key.to_pkcs8_pem();
        PushCertificate::from_pem(upload.as_bytes()).unwrap()
    }

    /// The same pair with the key as PKCS#1 (`RSA PRIVATE KEY`).
    pub(super) fn push_certificate_pkcs1(&self) -> PushCertificate {
        let info = pkcs8::PrivateKeyInfo::try_from(self.push_key.to_pkcs8_der()).unwrap();
        let upload = cert::to_pem(&cert::from_der(&self.push_cert_der).unwrap()).unwrap()
            + &cryptoutil::pem::encode("RSA PRIVATE KEY", info.private_key);
        PushCertificate::from_pem(upload.as_bytes()).unwrap()
    }

    /// A self-signed push certificate the fake refuses at the handshake.
    pub(super) fn untrusted_push_certificate(&self) -> PushCertificate {
        let (cert, key) = &self.untrusted;
        let upload = cert::to_pem(cert).unwrap() + &key.to_pkcs8_pem();
        PushCertificate::from_pem(upload.as_bytes()).unwrap()
    }
}

/// Made once per test binary: RSA key generation is the slow part.
pub(super) fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let (server_ca, server_ca_key) = ca("CN=Fake APNs Server CA");
        let server_key = RsaPrivateKey::generate(2048).unwrap();
        let mut profile = fixed_validity(CertificateProfile::new(1).unwrap());
        profile.extended_key_usage = vec![cert::ID_KP_SERVER_AUTH];
        let loopback = GeneralName::IpAddress(OctetString::new(vec![127, 0, 0, 1]).unwrap());
        let san = SubjectAltName(vec![loopback]);
        profile.extensions = vec![cert::extension(SubjectAltName::OID, false, &san).unwrap()];
        let server = issue(
            "CN=127.0.0.1",
            &server_key,
            &profile,
            &server_ca,
            &server_ca_key,
        );

        let (push_ca, push_ca_key) = ca("CN=Fake Application Integration CA");
        let push_key = RsaPrivateKey::generate(2048).unwrap();
        let mut profile = fixed_validity(CertificateProfile::new(1).unwrap());
        profile.extended_key_usage = vec![cert::ID_KP_CLIENT_AUTH];
        let subject = format!("UID={TOPIC},CN=APSP:5f2e8c1a,C=US");
        let push = issue(&subject, &push_key, &profile, &push_ca, &push_ca_key);

        let untrusted_key = RsaPrivateKey::generate(2048).unwrap();
        let untrusted =
            cert::self_signed(subject.parse().unwrap(), &untrusted_key, &profile).unwrap();

        Pki {
            server_ca_der: server_ca.to_der().unwrap(),
            server_cert_der: server.to_der().unwrap(),
            server_key_der: server_key.to_pkcs8_der().to_vec(),
            push_ca_der: push_ca.to_der().unwrap(),
            push_cert_der: push.to_der().unwrap(),
            push_key,
            untrusted: (untrusted, untrusted_key),
        }
    })
}

fn ca(subject: &str) -> (Certificate, RsaPrivateKey) {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = fixed_validity(CertificateProfile::certificate_authority(1).unwrap());
    let cert = cert::self_signed(subject.parse().unwrap(), &key, &profile).unwrap();
    (cert, key)
}

/// 2001 to 2096: valid for the TLS handshake (real time) and for the push
/// service's expiry check (the tests' fixed clock, 2027).
fn fixed_validity(mut profile: CertificateProfile) -> CertificateProfile {
    profile.not_before = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    profile.not_after = SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000);
    profile
}

fn issue(
    subject: &str,
    key: &RsaPrivateKey,
    profile: &CertificateProfile,
    ca: &Certificate,
    ca_key: &RsaPrivateKey,
) -> Certificate {
    let issuer = Issuer {
        certificate: Some(ca),
        key: ca_key,
    };
    cert::issue(subject.parse().unwrap(), key.public_key(), profile, issuer).unwrap()
}
