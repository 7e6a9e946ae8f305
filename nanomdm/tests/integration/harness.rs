//! An in-process MDM server for end-to-end tests: the reference service
//! chain (certauth → hooks → core) over a `MemoryStore`, behind the HTTP
//! adapter, with a test CA issuing device identities.

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, Certificate, CertificateProfile, Issuer};
use cryptoutil::x509_cert::name::Name;
use http::{Response, StatusCode};
use nanomdm::http::MdmHandler;
use nanomdm::http::api::Api;
use nanomdm::identity::{ExtractConfig, TrustStore};
use nanomdm::protocol::checkin::Checkin;
use nanomdm::protocol::command::Report;
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::push::{PushError, PushResults, Pushed, Pusher};
use nanomdm::service::{CertAuth, CertAuthOptions, Core, Hook, Hooked, Request};
use nanomdm::store::{BoxError, MemoryStore, QueuedCommand};
use nanomdm::testing::device::Device;
use plist::Dictionary;

pub(crate) const TOPIC: &str = "com.apple.mgmt.External.e0bd1eac-1f17-4c8e-8a63-dd17d3dd35d9";
pub(crate) const API_KEY: &str = "sekrit";

/// What the recording hook saw, in order: message types and report
/// statuses.
#[derive(Debug, Default)]
pub(crate) struct Recorder(pub(crate) Mutex<Vec<String>>);

#[async_trait]
impl Hook for Recorder {
    async fn checkin(&self, _request: &Request, checkin: &Checkin) -> Result<(), BoxError> {
        let event = format!("{} {}", checkin.message.message_type(), checkin.channel.id);
        self.0.lock().unwrap().push(event);
        Ok(())
    }

    async fn report(
        &self,
        _request: &Request,
        report: &Report,
        next: Option<&QueuedCommand>,
    ) -> Result<(), BoxError> {
        let next = next.map_or("-", |c| c.command_uuid.as_str());
        let event = format!("{} {} -> {next}", report.status, report.channel.id);
        self.0.lock().unwrap().push(event);
        Ok(())
    }
}

/// A test double for APNs: records the IDs it was asked to push and
/// answers per its push info lookup, without any network.
#[derive(Debug)]
pub(crate) struct RecordingPusher {
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) pushed: Mutex<Vec<EnrollmentId>>,
}

#[async_trait]
impl Pusher for RecordingPusher {
    async fn push(&self, ids: &[EnrollmentId]) -> Result<PushResults, PushError> {
        use nanomdm::store::PushStore as _;
        let infos = self.store.push_info(ids).await?;
        let mut results = PushResults::new();
        for id in ids {
            let outcome = match infos.get(id) {
                None => Err(PushError::NotEnrolled),
                Some(info) if !info.enabled => Err(PushError::Disabled),
                Some(info) => {
                    self.pushed.lock().unwrap().push(id.clone());
                    Ok(Pushed {
                        apns_id: format!("apns-{}", info.token_hex()),
                    })
                }
            };
            results.insert(id.clone(), outcome);
        }
        Ok(results)
    }
}

pub(crate) struct Harness {
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) mdm: MdmHandler,
    pub(crate) api: Api,
    pub(crate) hook: Arc<Recorder>,
    pub(crate) pusher: Arc<RecordingPusher>,
    ca: (Certificate, RsaPrivateKey),
}

impl Harness {
    pub(crate) fn new() -> Self {
        Self::with_options(CertAuthOptions::default())
    }

    pub(crate) fn with_options(options: CertAuthOptions) -> Self {
        let store = Arc::new(MemoryStore::new());
        let hook = Arc::new(Recorder::default());
        let core = Core::new(store.clone());
        let hooked = Hooked::new(core).with_hook(hook.clone());
        let service = CertAuth::new(hooked, store.clone(), options);
        let ca_key = RsaPrivateKey::generate(2048).unwrap();
        let ca = cert::self_signed(
            Name::from_str("CN=test device CA").unwrap(),
            &ca_key,
            &CertificateProfile::certificate_authority(30).unwrap(),
        )
        .unwrap();
        let mdm = MdmHandler::new(
            Arc::new(service),
            ExtractConfig::new(),
            TrustStore::new([ca.clone()]),
        );
        let pusher = Arc::new(RecordingPusher {
            store: store.clone(),
            pushed: Mutex::default(),
        });
        let api = Api::new(store.clone(), pusher.clone(), API_KEY);
        Self {
            store,
            mdm,
            api,
            hook,
            pusher,
            ca: (ca, ca_key),
        }
    }

    /// A device whose identity the test CA issued.
    pub(crate) fn device(&self) -> Device {
        let key = RsaPrivateKey::generate(2048).unwrap();
        let certificate = self.issue(&key);
        Device::with_identity(TOPIC, certificate, key)
    }

    /// A certificate for `key` from the test CA.
    pub(crate) fn issue(&self, key: &RsaPrivateKey) -> Certificate {
        use cryptoutil::PrivateKey as _;
        cert::issue(
            Name::from_str("CN=device").unwrap(),
            key.public_key(),
            &CertificateProfile::new(30).unwrap(),
            Issuer {
                certificate: Some(&self.ca.0),
                key: &self.ca.1,
            },
        )
        .unwrap()
    }

    pub(crate) async fn checkin(&self, device: &Device, message: &Dictionary) -> Response<Bytes> {
        let request = device.checkin_request("/mdm", message).unwrap();
        self.mdm.mdm(request).await
    }

    pub(crate) async fn report(&self, device: &Device, message: &Dictionary) -> Response<Bytes> {
        let request = device.report_request("/mdm", message).unwrap();
        self.mdm.mdm(request).await
    }

    /// Authenticate + TokenUpdate, both answered 200.
    pub(crate) async fn enroll(&self, device: &Device) {
        let response = self.checkin(device, &device.authenticate()).await;
        assert_eq!(response.status(), StatusCode::OK, "{response:?}");
        let response = self.checkin(device, &device.token_update()).await;
        assert_eq!(response.status(), StatusCode::OK, "{response:?}");
    }

    /// Enqueues a `request_type` command to `ids` through the API without
    /// pushing, returning its UUID.
    pub(crate) async fn enqueue(&self, ids: &str, request_type: &str) -> String {
        let command = nanomdm::protocol::command::Command::new(request_type, Dictionary::new());
        let body = command.to_plist_xml().unwrap();
        let response = self.api.enqueue(ids, Bytes::from(body), true).await;
        assert_eq!(response.status(), StatusCode::OK, "{response:?}");
        command.command_uuid().to_owned()
    }

    pub(crate) fn events(&self) -> Vec<String> {
        self.hook.0.lock().unwrap().clone()
    }
}

/// The CommandUUID of a served command (an empty body is `None`).
pub(crate) fn served(response: &Response<Bytes>) -> Option<String> {
    assert_eq!(response.status(), StatusCode::OK, "{response:?}");
    if response.body().is_empty() {
        return None;
    }
    let command: Dictionary = plist::from_bytes(response.body()).unwrap();
    Some(
        command
            .get("CommandUUID")
            .and_then(plist::Value::as_string)
            .unwrap()
            .to_owned(),
    )
}

/// The response body as text, for reasons.
pub(crate) fn text(response: &Response<Bytes>) -> String {
    String::from_utf8_lossy(response.body()).into_owned()
}
