//! Test doubles: transports over an in-process service, forged and
//! canned answers, and a device.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::{ContentEncryption, RsaPrivateKey};
use http::{Request, Response, StatusCode, header};

use crate::challenge::{ChallengeVerifier, StaticChallenge};
use crate::client::Transport;
use crate::depot::{Identity, MemoryDepot};
use crate::error::BoxError;
use crate::message::{self, FailInfo, Outcome, PkiMessage, Requester, Responder};
use crate::service::Service;
use crate::signer::{CsrSigner, Decision, IssuancePolicy, SignRequest};

pub(super) const CHALLENGE: &str = "s3cret";
pub(super) const URL: &str = "http://scep.test/scep";

pub(super) fn identity(subject: &str) -> Identity {
    let key = RsaPrivateKey::generate(2048).unwrap();
    let profile = CertificateProfile::certificate_authority(30).unwrap();
    let certificate = cert::self_signed(subject.parse().unwrap(), &key, &profile).unwrap();
    Identity {
        certificate,
        key: Arc::new(key),
    }
}

pub(super) fn service(ca: &Identity) -> Service {
    let depot = Arc::new(MemoryDepot::new(ca.clone()));
    let challenge: Arc<dyn ChallengeVerifier> = Arc::new(StaticChallenge::new(CHALLENGE));
    Service::standard(depot, Some(challenge), IssuancePolicy::default())
}

/// Routes requests to `scep::http::handle` on an in-process service,
/// optionally answering GetCACaps itself, and records every request.
#[derive(Debug)]
pub(super) struct InProcess {
    pub(super) service: Service,
    pub(super) caps: Option<&'static str>,
    pub(super) requests: Mutex<Vec<Request<Bytes>>>,
}

impl InProcess {
    pub(super) fn new(service: Service) -> Self {
        Self {
            service,
            caps: None,
            requests: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn pki_operations(&self) -> Vec<Request<Bytes>> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .filter(|r| r.uri().query().unwrap_or_default().contains("PKIOperation"))
            .cloned()
            .collect()
    }
}

#[async_trait]
impl Transport for InProcess {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, BoxError> {
        assert_eq!(request.uri().host(), Some("scep.test"), "absolute URI");
        self.requests.lock().unwrap().push(request.clone());
        if let Some(caps) = self.caps.filter(|_| operation(&request) == "GetCACaps") {
            return Ok(Response::new(Bytes::from_static(caps.as_bytes())));
        }
        Ok(crate::http::handle(&self.service, request).await)
    }
}

pub(super) fn operation(request: &Request<Bytes>) -> String {
    query_param(request, "operation").unwrap_or_default()
}

pub(super) fn query_param(request: &Request<Bytes>, name: &str) -> Option<String> {
    form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Answers PKIOperation with a CertRep signed by `ca` for the request as
/// altered by `alter`: a FAILURE, or with `issue_ca_certificate` a SUCCESS
/// carrying the CA certificate (another key than the CSR's). Everything
/// else goes to the real service.
#[derive(Debug)]
pub(super) struct Forging {
    pub(super) inner: InProcess,
    pub(super) ca: Identity,
    pub(super) alter: fn(&mut PkiMessage),
    pub(super) issue_ca_certificate: bool,
}

impl Forging {
    pub(super) fn new(ca: &Identity, alter: fn(&mut PkiMessage)) -> Self {
        Self {
            inner: InProcess::new(service(ca)),
            ca: ca.clone(),
            alter,
            issue_ca_certificate: false,
        }
    }
}

#[async_trait]
impl Transport for Forging {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, BoxError> {
        if operation(&request) != "PKIOperation" {
            return self.inner.send(request).await;
        }
        let mut parsed = PkiMessage::parse(request.body())?;
        (self.alter)(&mut parsed);
        let responder = Responder {
            certificate: &self.ca.certificate,
            key: self.ca.key.as_ref(),
        };
        let issued = self.ca.certificate.clone();
        let outcome = if self.issue_ca_certificate {
            Outcome::Success {
                issued: &issued,
                cipher: ContentEncryption::Aes128Cbc,
            }
        } else {
            Outcome::Failure {
                fail_info: FailInfo::BadRequest,
                text: None,
            }
        };
        let body = message::build_cert_rep(&parsed, responder, &outcome)?;
        let mut response = Response::new(Bytes::from(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/x-pki-message"),
        );
        Ok(response)
    }
}

/// Answers every request with a fixed status, content type and body.
#[derive(Debug)]
pub(super) struct Canned(
    pub(super) StatusCode,
    pub(super) &'static str,
    pub(super) Bytes,
);

#[async_trait]
impl Transport for Canned {
    async fn send(&self, _: Request<Bytes>) -> Result<Response<Bytes>, BoxError> {
        let mut response = Response::new(self.2.clone());
        *response.status_mut() = self.0;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(self.1),
        );
        Ok(response)
    }
}

/// A device: its key, self-signed signer certificate and CSR.
pub(super) struct Device {
    pub(super) key: RsaPrivateKey,
    pub(super) certificate: Certificate,
}

impl Device {
    pub(super) fn new() -> Self {
        let key = RsaPrivateKey::generate(2048).unwrap();
        let profile = CertificateProfile::new(1).unwrap();
        let certificate = cert::self_signed(
            "CN=SCEP SIGNER,O=client tests".parse().unwrap(),
            &key,
            &profile,
        )
        .unwrap();
        Self { key, certificate }
    }

    pub(super) fn requester(&self) -> Requester<'_> {
        Requester {
            certificate: &self.certificate,
            key: &self.key,
        }
    }

    pub(super) fn csr(&self, challenge: &str) -> Vec<u8> {
        let subject = "CN=device-1,O=client tests".parse().unwrap();
        cryptoutil::csr::build(subject, &self.key, Some(challenge), &[]).unwrap()
    }
}

/// A service whose signer leaves every request pending.
pub(super) fn pending_service(ca: &Identity) -> Service {
    let depot = Arc::new(MemoryDepot::new(ca.clone()));
    Service::new(depot, Arc::new(AlwaysPending))
}

#[derive(Debug)]
struct AlwaysPending;

#[async_trait]
impl CsrSigner for AlwaysPending {
    async fn sign(&self, _: &SignRequest<'_>) -> Result<Decision, BoxError> {
        Ok(Decision::Pending)
    }

    async fn poll(&self, _: &str, _: SystemTime) -> Result<Decision, BoxError> {
        Ok(Decision::Pending)
    }
}

#[derive(Debug)]
pub(super) struct Unreachable;

#[async_trait]
impl Transport for Unreachable {
    async fn send(&self, _: Request<Bytes>) -> Result<Response<Bytes>, BoxError> {
        Err("connection refused".into())
    }
}
