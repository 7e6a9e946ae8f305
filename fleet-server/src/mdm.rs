//! Apple MDM wiring: the SCEP service on the database depot and the
//! nanomdm service chain (certauth → hooks → core) on [`NanomdmStore`],
//! with APNs push from the environment's push certificate.
//!
//! The push certificate and the SCEP CA come from the environment (see
//! [`crate::config::credentials`]) and are kept in memory only: the push
//! certificate goes into a process-local [`MemoryStore`] that only the
//! [`PushService`] reads, so its key never reaches the database.

pub mod push_sink;

use std::sync::Arc;

use http::{HeaderName, Uri};
use nanomdm::http::MdmHandler;
use nanomdm::identity::{ExtractConfig, TrustStore};
use nanomdm::push::apns::{ApnsConfig, ApnsFactory};
use nanomdm::push::{PushCertificate, PushProviderFactory, PushService, Pusher};
use nanomdm::service::{CertAuth, CertAuthOptions, Core, Hook, Hooked, Service};
use nanomdm::store::{MemoryStore, PushCertStore};
use scep::signer::DuplicateSubjects;
use scep::{ChallengeVerifier, Identity, IssuancePolicy, StaticChallenge};

use crate::config::Secret;
use crate::config::credentials::ScepCa;
use crate::db::Db;
use crate::secret::SecretCipher;
use crate::store::NanomdmStore;

pub use push_sink::{PushSink, PushSinkFactory};

/// What the MDM endpoints need, checked by the configuration.
#[derive(Debug, Clone)]
pub struct MdmSettings {
    /// The public base URL devices reach (no trailing slash).
    pub server_url: String,
    /// The SCEP challenge of the enrollment profiles.
    pub scep_challenge: Secret,
    /// The SCEP CA.
    pub ca: ScepCa,
    /// The APNs push certificate.
    pub push: PushCertificate,
    /// Where pushes go.
    pub push_target: PushTarget,
    /// The header a TLS-terminating proxy puts client certificates in.
    pub client_cert_header: Option<HeaderName>,
    /// Validity and renewal window of device certificates.
    pub issuance: IssuancePolicy,
}

/// Where pushes go.
#[derive(Debug, Clone)]
pub enum PushTarget {
    /// APNs (or a mock of it) at this base URL.
    Apns(Uri),
    /// The dev-mode sink, which records and sends nothing.
    Sink(Arc<PushSink>),
}

/// The built MDM side of the server.
#[derive(Debug)]
pub struct Mdm {
    /// The SCEP service for `/mdm/apple/scep`.
    pub scep: Arc<scep::Service>,
    /// The handler for `/mdm/apple/mdm`.
    pub handler: MdmHandler,
    /// Push to enrollments.
    pub pusher: Arc<dyn Pusher>,
    /// The nanomdm storage.
    pub store: Arc<NanomdmStore>,
}

/// Builds the SCEP service and the MDM handler on `db`, with `hooks` run
/// after each check-in and report (hosts, metrics) and `cipher` sealing
/// secrets the store writes.
pub async fn build(
    db: &Db,
    settings: &MdmSettings,
    cipher: Arc<SecretCipher>,
    hooks: Vec<Arc<dyn Hook>>,
) -> Result<Mdm, nanomdm::store::StoreError> {
    let identity = Identity {
        certificate: settings.ca.certificate.clone(),
        key: settings.ca.key.clone(),
    };
    let depot: Arc<dyn scep::Depot> = Arc::new(crate::store::ScepDepot::new(db.clone(), identity));
    let challenge: Arc<dyn ChallengeVerifier> = Arc::new(StaticChallenge::new(
        settings.scep_challenge.expose().to_owned(),
    ));
    // Every device downloads the same profile, hence the same subject: each
    // gets its own certificate (and serial) all the same.
    let policy = IssuancePolicy {
        duplicate_subjects: DuplicateSubjects::Allow,
        ..settings.issuance.clone()
    };
    let scep = Arc::new(scep::Service::standard(depot, Some(challenge), policy));

    // Push certificates are kept in memory (see `pusher`); the cipher
    // covers any that tooling stores in nano_push_certs.
    let store = Arc::new(NanomdmStore::new(db.clone()).with_cipher(cipher));
    let mut hooked = Hooked::new(Core::new(store.clone()));
    for hook in hooks {
        hooked = hooked.with_hook(hook);
    }
    let service: Arc<dyn Service> = Arc::new(CertAuth::new(
        hooked,
        store.clone(),
        CertAuthOptions::default(),
    ));
    let extract = match &settings.client_cert_header {
        Some(name) => ExtractConfig::with_cert_header(name.clone()),
        None => ExtractConfig::new(),
    };
    let trust = TrustStore::new([settings.ca.certificate.clone()]);
    let handler = MdmHandler::new(service, extract, trust);
    let pusher = pusher(store.clone(), settings).await?;
    Ok(Mdm {
        scep,
        handler,
        pusher,
        store,
    })
}

/// The push service: push info from the database, the push certificate
/// from memory.
async fn pusher(
    store: Arc<NanomdmStore>,
    settings: &MdmSettings,
) -> Result<Arc<dyn Pusher>, nanomdm::store::StoreError> {
    let certs = Arc::new(MemoryStore::new());
    certs.store_push_cert(&settings.push.to_push_cert()).await?;
    let factory: Arc<dyn PushProviderFactory> = match &settings.push_target {
        PushTarget::Apns(url) => Arc::new(ApnsFactory::new(ApnsConfig::with_base_url(url.clone()))),
        PushTarget::Sink(sink) => Arc::new(PushSinkFactory(sink.clone())),
    };
    Ok(Arc::new(PushService::new(store, certs, factory)))
}
