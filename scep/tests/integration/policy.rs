//! The issuing policy: renewal, duplicate subjects, dynamic challenges,
//! pending requests and retrieval.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cryptoutil::ContentEncryption;
use cryptoutil::cert::{self, Certificate};
use cryptoutil::der::Encode;
use scep::challenge::{DynamicChallenges, MemoryChallengeStore};
use scep::message::{
    FailInfo, IssuerAndSerialNumber, IssuerAndSubject, MessageType, PkiMessage, PkiStatus,
    Requester,
};
use scep::signer::{Decision, DuplicateSubjects, SignRequest};
use scep::{BoxError, ChallengeVerifier, CsrSigner, Depot, IssuancePolicy, MemoryDepot, Service};

use crate::support::{CHALLENGE, Device, TestCa, ca_identity, test_ca_with};

async fn reply_at(ca: &TestCa, request: &[u8], now: SystemTime) -> PkiMessage {
    PkiMessage::parse(&ca.service.pki_operation(request, now).await.unwrap()).unwrap()
}

async fn enroll(ca: &TestCa, device: &Device, cn: &str) -> Certificate {
    let csr = device.csr(cn, Some(CHALLENGE), &[]);
    let request = device.request(
        MessageType::PkcsReq,
        &csr,
        &ca.certificate,
        ContentEncryption::Aes128Cbc,
    );
    let rep = reply_at(ca, &request, SystemTime::now()).await;
    rep.issued_certificate(&device.certificate, &device.key)
        .unwrap()
}

/// A RenewalReq signed with `current` (and its key), for a new CSR.
fn renewal(device: &Device, current: &Certificate, ca: &Certificate) -> Vec<u8> {
    let csr = device.csr("device-1", None, &[]);
    let envelope_to = std::slice::from_ref(ca);
    let requester = Requester {
        certificate: current,
        key: &device.key,
    };
    scep::message::build_request(
        MessageType::RenewalReq,
        &csr,
        requester,
        envelope_to,
        "TX-RENEW",
        &[5; 16],
        ContentEncryption::Aes128Cbc,
    )
    .unwrap()
}

fn policy(allow_renew_days: u32, duplicate_subjects: DuplicateSubjects) -> IssuancePolicy {
    IssuancePolicy {
        validity_days: 30,
        allow_renew_days,
        duplicate_subjects,
    }
}

#[tokio::test]
async fn a_renewal_signed_with_a_current_certificate_is_issued_without_challenge_and_revokes_the_old_one()
 {
    let ca = test_ca_with(policy(0, DuplicateSubjects::RejectUnlessRenewing));
    let device = Device::new();
    let first = enroll(&ca, &device, "device-1").await;
    let rep = reply_at(
        &ca,
        &renewal(&device, &first, &ca.certificate),
        SystemTime::now(),
    )
    .await;
    assert_eq!(
        rep.pki_status,
        Some(PkiStatus::Success),
        "{:?}",
        rep.fail_info_text
    );
    let renewed = rep.issued_certificate(&first, &device.key).unwrap();
    assert_ne!(
        renewed.tbs_certificate.serial_number,
        first.tbs_certificate.serial_number
    );
    let old = ca
        .depot
        .find_by_serial(first.tbs_certificate.serial_number.as_bytes())
        .await
        .unwrap()
        .unwrap();
    assert!(
        old.revoked_at.is_some(),
        "the renewed certificate is revoked"
    );
}

#[tokio::test]
async fn a_renewal_before_the_renewal_window_is_refused() {
    let ca = test_ca_with(policy(14, DuplicateSubjects::RejectUnlessRenewing));
    let device = Device::new();
    let first = enroll(&ca, &device, "device-1").await;
    let rep = reply_at(
        &ca,
        &renewal(&device, &first, &ca.certificate),
        SystemTime::now(),
    )
    .await;
    assert_eq!(rep.fail_info, Some(FailInfo::BadRequest));
    assert_eq!(rep.fail_info_text.as_deref(), Some("too early to renew"));
    // Inside the window (30-day certificate, 14-day window) it works.
    let later = SystemTime::now() + Duration::from_secs(20 * 86_400);
    let rep = reply_at(&ca, &renewal(&device, &first, &ca.certificate), later).await;
    assert_eq!(
        rep.pki_status,
        Some(PkiStatus::Success),
        "{:?}",
        rep.fail_info_text
    );
}

#[tokio::test]
async fn a_renewal_with_a_certificate_from_elsewhere_is_refused() {
    let ca = test_ca_with(policy(0, DuplicateSubjects::Allow));
    let other = test_ca_with(policy(0, DuplicateSubjects::Allow));
    let device = Device::new();
    let foreign = enroll(&other, &device, "device-1").await;
    for current in [&foreign, &device.certificate] {
        let rep = reply_at(
            &ca,
            &renewal(&device, current, &ca.certificate),
            SystemTime::now(),
        )
        .await;
        assert_eq!(rep.fail_info, Some(FailInfo::BadCertId));
    }
}

#[tokio::test]
async fn a_second_certificate_for_a_subject_is_refused_unless_allowed() {
    let strict = test_ca_with(policy(14, DuplicateSubjects::RejectUnlessRenewing));
    let device = Device::new();
    enroll(&strict, &device, "same-subject").await;
    let csr = device.csr("same-subject", Some(CHALLENGE), &[]);
    let request = device.request(
        MessageType::PkcsReq,
        &csr,
        &strict.certificate,
        ContentEncryption::Aes128Cbc,
    );
    let rep = reply_at(&strict, &request, SystemTime::now()).await;
    assert_eq!(
        rep.fail_info_text.as_deref(),
        Some("subject already has a valid certificate")
    );

    let lenient = test_ca_with(policy(14, DuplicateSubjects::Allow));
    enroll(&lenient, &device, "same-subject").await;
    enroll(&lenient, &device, "same-subject").await;
    assert_eq!(lenient.depot.list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_dynamic_challenge_works_once_and_not_after_it_expires() {
    let identity = ca_identity("Dynamic CA");
    let ca_cert = identity.certificate.clone();
    let depot = Arc::new(MemoryDepot::new(identity));
    let challenges = Arc::new(DynamicChallenges::new(
        Arc::new(MemoryChallengeStore::new()),
        Duration::from_secs(60),
    ));
    let verifier: Arc<dyn ChallengeVerifier> = challenges.clone();
    let service = Service::standard(depot, Some(verifier), IssuancePolicy::default());
    let now = SystemTime::now();
    let device = Device::new();
    let send = |challenge: String, cn: &'static str, at: SystemTime| {
        let csr = device.csr(cn, Some(&challenge), &[]);
        let request = device.request(
            MessageType::PkcsReq,
            &csr,
            &ca_cert,
            ContentEncryption::Aes128Cbc,
        );
        let service = service.clone();
        async move { PkiMessage::parse(&service.pki_operation(&request, at).await.unwrap()).unwrap() }
    };
    let challenge = challenges.issue(now).await.unwrap();
    assert_eq!(challenge.len(), 32);
    assert_eq!(
        send(challenge.clone(), "a", now).await.pki_status,
        Some(PkiStatus::Success)
    );
    assert_eq!(
        send(challenge, "b", now).await.fail_info,
        Some(FailInfo::BadRequest),
        "used twice"
    );
    let expiring = challenges.issue(now).await.unwrap();
    let late = now + Duration::from_secs(61);
    assert_eq!(
        send(expiring, "c", late).await.fail_info,
        Some(FailInfo::BadRequest),
        "expired"
    );
}

/// A signer that holds every request for manual approval, then issues on
/// the first poll.
#[derive(Debug)]
struct ManualApproval {
    ca: Arc<dyn CsrSigner>,
    pending: std::sync::Mutex<Option<(Vec<u8>, Box<Certificate>)>>,
}

#[async_trait]
impl CsrSigner for ManualApproval {
    async fn sign(&self, request: &SignRequest<'_>) -> Result<Decision, BoxError> {
        let decision = self.ca.sign(request).await?;
        if let Decision::Issued(cert) = decision {
            *self.pending.lock().unwrap() =
                Some((request.transaction_id.as_bytes().to_vec(), cert));
        }
        Ok(Decision::Pending)
    }

    async fn poll(&self, transaction_id: &str, _: SystemTime) -> Result<Decision, BoxError> {
        match self.pending.lock().unwrap().take() {
            Some((id, cert)) if id == transaction_id.as_bytes() => Ok(Decision::Issued(cert)),
            _ => Ok(Decision::refused(FailInfo::BadCertId, "no pending request")),
        }
    }
}

#[tokio::test]
async fn a_pending_request_is_answered_pending_then_issued_on_cert_poll() {
    let identity = ca_identity("Manual CA");
    let ca_cert = identity.certificate.clone();
    let depot = Arc::new(MemoryDepot::new(identity));
    let ca_signer = Arc::new(scep::signer::CaSigner::new(
        depot.clone(),
        IssuancePolicy::default(),
    ));
    let signer = Arc::new(ManualApproval {
        ca: ca_signer,
        pending: std::sync::Mutex::new(None),
    });
    let service = Service::new(depot, signer);
    let device = Device::new();
    let csr = device.csr("manual", None, &[]);
    let request = device.request(
        MessageType::PkcsReq,
        &csr,
        &ca_cert,
        ContentEncryption::Aes128Cbc,
    );
    let rep = PkiMessage::parse(
        &service
            .pki_operation(&request, SystemTime::now())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rep.pki_status, Some(PkiStatus::Pending));

    let poll_body = IssuerAndSubject {
        issuer: ca_cert.tbs_certificate.subject.clone(),
        subject: "CN=manual,O=scep tests".parse().unwrap(),
    }
    .to_der()
    .unwrap();
    let poll = device.request(
        MessageType::CertPoll,
        &poll_body,
        &ca_cert,
        ContentEncryption::Aes128Cbc,
    );
    let rep = PkiMessage::parse(
        &service
            .pki_operation(&poll, SystemTime::now())
            .await
            .unwrap(),
    )
    .unwrap();
    let issued = rep
        .issued_certificate(&device.certificate, &device.key)
        .unwrap();
    assert_eq!(cert::common_name(&issued).as_deref(), Some("manual"));
}

#[tokio::test]
async fn cert_poll_without_a_pending_request_gets_bad_cert_id() {
    let ca = test_ca_with(IssuancePolicy::default());
    let device = Device::new();
    let body = IssuerAndSubject {
        issuer: ca.certificate.tbs_certificate.subject.clone(),
        subject: "CN=nobody".parse().unwrap(),
    }
    .to_der()
    .unwrap();
    let poll = device.request(
        MessageType::CertPoll,
        &body,
        &ca.certificate,
        ContentEncryption::Aes128Cbc,
    );
    assert_eq!(
        reply_at(&ca, &poll, SystemTime::now()).await.fail_info,
        Some(FailInfo::BadCertId)
    );
}

#[tokio::test]
async fn get_cert_returns_an_issued_certificate_by_serial() {
    let ca = test_ca_with(IssuancePolicy::default());
    let device = Device::new();
    let issued = enroll(&ca, &device, "device-1").await;
    let lookup = |serial: &[u8]| {
        IssuerAndSerialNumber {
            issuer: ca.certificate.tbs_certificate.subject.clone(),
            serial_number: cryptoutil::x509_cert::serial_number::SerialNumber::new(serial).unwrap(),
        }
        .to_der()
        .unwrap()
    };
    let found = device.request(
        MessageType::GetCert,
        &lookup(issued.tbs_certificate.serial_number.as_bytes()),
        &ca.certificate,
        ContentEncryption::Aes128Cbc,
    );
    let rep = reply_at(&ca, &found, SystemTime::now()).await;
    assert_eq!(
        rep.issued_certificate(&device.certificate, &device.key)
            .unwrap(),
        issued
    );
    let missing = device.request(
        MessageType::GetCert,
        &lookup(&[0x7f, 0x7f]),
        &ca.certificate,
        ContentEncryption::Aes128Cbc,
    );
    assert_eq!(
        reply_at(&ca, &missing, SystemTime::now()).await.fail_info,
        Some(FailInfo::BadCertId)
    );
}

#[tokio::test]
async fn a_3des_request_gets_a_3des_reply_and_an_aes_request_an_aes_reply() {
    let ca = test_ca_with(IssuancePolicy {
        duplicate_subjects: DuplicateSubjects::Allow,
        ..IssuancePolicy::default()
    });
    let device = Device::new();
    for (cipher, expected) in [
        (ContentEncryption::DesEde3Cbc, ContentEncryption::DesEde3Cbc),
        (ContentEncryption::Aes256Cbc, ContentEncryption::Aes128Cbc),
    ] {
        let csr = device.csr("device-1", Some(CHALLENGE), &[]);
        let rep = reply_at(
            &ca,
            &device.request(MessageType::PkcsReq, &csr, &ca.certificate, cipher),
            SystemTime::now(),
        )
        .await;
        assert_eq!(rep.envelope_cipher().unwrap(), expected, "{cipher:?}");
    }
}

#[tokio::test]
async fn with_an_ra_requests_go_to_the_ra_and_the_ca_issues() {
    let ca_identity = ca_identity("Issuing CA");
    let ra = ca_identity_for_ra(&ca_identity);
    let depot = Arc::new(MemoryDepot::new(ca_identity.clone()));
    let service = Service::standard(depot, None, IssuancePolicy::default()).with_ra(ra.clone());
    let answer = service.ca_certificates().await.unwrap();
    assert_eq!(answer.content_type, "application/x-x509-ca-ra-cert");
    let chain = cryptoutil::cms::signed_data::certificates_only(&answer.body).unwrap();
    assert_eq!(chain.len(), 2);
    assert!(chain.contains(&ra.certificate) && chain.contains(&ca_identity.certificate));

    let device = Device::new();
    let csr = device.csr("via-ra", None, &[]);
    let request = device.request(
        MessageType::PkcsReq,
        &csr,
        &ra.certificate,
        ContentEncryption::Aes128Cbc,
    );
    let rep = PkiMessage::parse(
        &service
            .pki_operation(&request, SystemTime::now())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rep.signer, ra.certificate, "the RA signs the CertRep");
    let issued = rep
        .issued_certificate(&device.certificate, &device.key)
        .unwrap();
    cert::verify_issued_by(&issued, &ca_identity.certificate).unwrap();
}

fn ca_identity_for_ra(ca: &scep::Identity) -> scep::Identity {
    let key = cryptoutil::RsaPrivateKey::generate(2048).unwrap();
    let mut profile = cert::CertificateProfile::new(30).unwrap();
    profile.key_usage = vec![
        cert::KeyUsage::DigitalSignature,
        cert::KeyUsage::KeyEncipherment,
    ];
    let issuer = cert::Issuer {
        certificate: Some(&ca.certificate),
        key: ca.key.as_ref(),
    };
    let public = cryptoutil::PrivateKey::public_key(&key).clone();
    let certificate =
        cert::issue("CN=SCEP RA".parse().unwrap(), &public, &profile, issuer).unwrap();
    scep::Identity {
        certificate,
        key: Arc::new(key),
    }
}

#[tokio::test]
async fn get_next_ca_cert_is_signed_by_the_current_ca_and_advertised() {
    let ca = ca_identity("Current CA");
    let next = ca_identity("Next CA");
    let depot = Arc::new(MemoryDepot::new(ca.clone()));
    let plain = Service::standard(depot.clone(), None, IssuancePolicy::default());
    assert!(plain.next_ca_certificate().await.unwrap().is_none());
    let service = plain.with_next_ca(next.certificate.clone());
    assert!(service.ca_caps().lines().any(|c| c == "GetNextCACert"));
    let body = service.next_ca_certificate().await.unwrap().unwrap();
    let message = cryptoutil::cms::signed_data::SignedMessage::from_ber(&body).unwrap();
    let signers = message.verify(None).unwrap();
    assert_eq!(signers[0].certificate, ca.certificate);
    assert!(message.certificates().contains(&next.certificate));
}

#[tokio::test]
async fn get_crl_returns_a_signed_crl_listing_revoked_certificates() {
    let ca = test_ca_with(policy(0, DuplicateSubjects::RejectUnlessRenewing));
    let device = Device::new();
    let first = enroll(&ca, &device, "device-1").await;
    // Renewal revokes the first certificate.
    let rep = reply_at(
        &ca,
        &renewal(&device, &first, &ca.certificate),
        SystemTime::now(),
    )
    .await;
    assert_eq!(rep.pki_status, Some(PkiStatus::Success));
    let body = IssuerAndSerialNumber {
        issuer: ca.certificate.tbs_certificate.subject.clone(),
        serial_number: first.tbs_certificate.serial_number.clone(),
    }
    .to_der()
    .unwrap();
    let request = device.request(
        MessageType::GetCrl,
        &body,
        &ca.certificate,
        ContentEncryption::Aes128Cbc,
    );
    let rep = reply_at(&ca, &request, SystemTime::now()).await;
    assert_eq!(
        rep.pki_status,
        Some(PkiStatus::Success),
        "{:?}",
        rep.fail_info_text
    );
    let payload = rep.decrypt(&device.certificate, &device.key).unwrap();
    let crls = cryptoutil::cms::signed_data::crls(&payload).unwrap();
    assert_eq!(crls.len(), 1);
    let serials = cryptoutil::crl::revoked_serials(&crls[0]).unwrap();
    assert_eq!(
        serials,
        vec![first.tbs_certificate.serial_number.as_bytes().to_vec()]
    );

    // The CRL is signed by the CA: openssl checks it.
    let dir = std::env::temp_dir().join(format!("scep-crl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("crl.der"), &crls[0]).unwrap();
    std::fs::write(dir.join("ca.pem"), cert::to_pem(&ca.certificate).unwrap()).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-noout",
        ])
        .current_dir(&dir)
        .output()
        .expect("openssl not found: run ./test.sh");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("verify OK"), "{said}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn issued_certificates_never_outlive_the_ca() {
    let ca = test_ca_with(IssuancePolicy {
        validity_days: 365 * 50,
        ..IssuancePolicy::default()
    });
    let issued = enroll(&ca, &Device::new(), "long-lived").await;
    assert_eq!(
        issued.tbs_certificate.validity.not_after.to_system_time(),
        ca.certificate
            .tbs_certificate
            .validity
            .not_after
            .to_system_time()
    );
}
