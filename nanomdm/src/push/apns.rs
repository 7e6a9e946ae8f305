//! A ready APNs client: hyper HTTP/2 over rustls (aws-lc-rs), with the push
//! certificate and key as TLS client certificate. Port of nanomdm's
//! `push/nanopush` provider.
//!
//! [`ApnsFactory`] is the [`PushProviderFactory`] to hand to
//! [`PushService`](super::PushService); it makes one [`ApnsClient`] per push
//! certificate. Each client keeps one HTTP/2 connection to APNs and
//! multiplexes every push on it, at most
//! [`ApnsConfig::concurrency`] at a time. A connection that died (closed,
//! GOAWAY, reset) is replaced on the next push, and a push that failed on a
//! dying connection is retried once on a fresh one (a duplicate MDM push
//! only wakes the device twice). There is no other retry: what to do about
//! 429 or 5xx answers is the caller's decision.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use nanomdm::push::PushService;
//! use nanomdm::push::apns::{ApnsConfig, ApnsFactory};
//! use nanomdm::store::AllStorage;
//!
//! fn pusher(store: Arc<dyn AllStorage>) -> PushService {
//!     let apns = ApnsFactory::new(ApnsConfig::default());
//!     PushService::new(store.clone(), store, Arc::new(apns))
//! }
//! ```

mod connection;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::future::join_all;
use http::Uri;
use http_body_util::{BodyExt, Full, Limited};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
    ServerName,
};
use tokio::sync::Semaphore;

pub use rustls::RootCertStore;

use self::connection::Connections;
use super::{
    KeyFormat, Notification, PushCertificate, PushError, PushProvider, PushProviderFactory, Pushed,
    parse_response,
};
use crate::store::BoxError;

/// APNs' production endpoint (the only one MDM push certificates work
/// with). nanopush's default.
pub const PRODUCTION_URL: &str = "https://api.push.apple.com";

/// APNs' development (sandbox) endpoint.
pub const DEVELOPMENT_URL: &str = "https://api.sandbox.push.apple.com";

/// Error bodies larger than this are not read (APNs' are a few dozen bytes).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// How to reach APNs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApnsConfig {
    /// Scheme (`https`), host and optional port of the APNs server; a path
    /// is ignored. Default: [`PRODUCTION_URL`].
    pub base_url: Uri,
    /// The roots the APNs server certificate must chain to. Default: the
    /// Mozilla roots of `webpki-roots`.
    pub roots: Arc<RootCertStore>,
    /// At most this many pushes in flight per client (per topic); they
    /// share one HTTP/2 connection. nanopush used 5 workers with one
    /// request each. Default: 100.
    pub concurrency: usize,
    /// How long one push (and connecting) may take before it fails.
    /// Default: 30 s.
    pub request_timeout: Duration,
    /// HTTP/2 PINGs this often detect a connection that died silently, so
    /// the next push reconnects instead of timing out. Default: 60 s.
    pub keep_alive_interval: Option<Duration>,
}

impl Default for ApnsConfig {
    fn default() -> Self {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Self {
            base_url: Uri::from_static(PRODUCTION_URL),
            roots: Arc::new(roots),
            concurrency: 100,
            request_timeout: Duration::from_secs(30),
            keep_alive_interval: Some(Duration::from_secs(60)),
        }
    }
}

impl ApnsConfig {
    /// The defaults with another base URL (the development endpoint, or a
    /// fake APNs in tests).
    pub fn with_base_url(base_url: Uri) -> Self {
        Self {
            base_url,
            ..Self::default()
        }
    }
}

/// Why an [`ApnsClient`] could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApnsError {
    /// The base URL is not `https://host[:port]`.
    #[error("APNs base URL {0:?} is not https://host[:port]")]
    BaseUrl(String),
    /// rustls refused the configuration (an unusable client key).
    #[error("APNs TLS configuration refused")]
    Tls(#[source] rustls::Error),
}

/// Makes an [`ApnsClient`] per push certificate. Port of Go
/// `nanopush.Factory`.
#[derive(Debug, Clone, Default)]
pub struct ApnsFactory {
    config: ApnsConfig,
}

impl ApnsFactory {
    /// A factory whose clients use `config`.
    pub fn new(config: ApnsConfig) -> Self {
        Self { config }
    }
}

impl PushProviderFactory for ApnsFactory {
    fn new_push_provider(
        &self,
        certificate: &PushCertificate,
    ) -> Result<Arc<dyn PushProvider>, BoxError> {
        Ok(Arc::new(ApnsClient::new(&self.config, certificate)?))
    }
}

/// An APNs client for one push certificate: one HTTP/2 connection,
/// reconnected when it dies. Cheap to clone (clones share the connection).
#[derive(Clone)]
pub struct ApnsClient {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: Uri,
    topic: String,
    limit: Semaphore,
    request_timeout: Duration,
    connections: Connections,
}

impl fmt::Debug for ApnsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApnsClient")
            .field("base_url", &self.inner.base_url)
            .field("topic", &self.inner.topic)
            .finish_non_exhaustive()
    }
}

impl ApnsClient {
    /// A client for `certificate`. Does not connect yet: the first push
    /// does.
    pub fn new(config: &ApnsConfig, certificate: &PushCertificate) -> Result<Self, ApnsError> {
        let bad_url = || ApnsError::BaseUrl(config.base_url.to_string());
        if config.base_url.scheme_str() != Some("https") {
            return Err(bad_url());
        }
        let authority = config.base_url.authority().ok_or_else(bad_url)?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let server_name = ServerName::try_from(host.to_owned()).map_err(|_| bad_url())?;
        let tls = tls_config(config, certificate)?;
        let connections = Connections::new(
            (host.to_owned(), authority.port_u16().unwrap_or(443)),
            server_name,
            tls,
            config.request_timeout,
            config.keep_alive_interval,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                base_url: config.base_url.clone(),
                topic: certificate.topic().to_owned(),
                limit: Semaphore::new(config.concurrency.max(1)),
                request_timeout: config.request_timeout,
                connections,
            }),
        })
    }

    /// Sends one notification: on a connection that fails before APNs
    /// answered, once more on a fresh connection.
    async fn push_one(&self, notification: &Notification) -> Result<Pushed, PushError> {
        let inner = &self.inner;
        let _permit = inner
            .limit
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let mut retried = false;
        loop {
            let request = notification
                .to_request(&inner.base_url)
                .map_err(|e| PushError::Transport(Box::new(e)))?
                .map(Full::new);
            let (generation, mut sender) = inner.connections.sender().await?;
            let sent = tokio::time::timeout(inner.request_timeout, async {
                let response = sender.send_request(request).await?;
                let (parts, body) = response.into_parts();
                let body = Limited::new(body, MAX_RESPONSE_BYTES).collect().await?;
                Ok::<_, BoxError>((parts, body.to_bytes()))
            })
            .await;
            match sent {
                Ok(Ok((parts, body))) => {
                    return parse_response(parts.status, &parts.headers, &body);
                }
                Ok(Err(e)) => {
                    inner.connections.discard(generation).await;
                    if retried {
                        return Err(PushError::Transport(e));
                    }
                    tracing::debug!(error = %e, topic = %inner.topic, "APNs push failed, retrying on a new connection");
                    retried = true;
                }
                Err(_) => {
                    return Err(PushError::Transport("APNs push timed out".into()));
                }
            }
        }
    }
}

#[async_trait]
impl PushProvider for ApnsClient {
    async fn push(&self, notifications: &[Notification]) -> Vec<Result<Pushed, PushError>> {
        join_all(notifications.iter().map(|n| self.push_one(n))).await
    }
}

/// TLS 1.2/1.3 with the aws-lc-rs provider, the push certificate as client
/// certificate, and ALPN `h2` (APNs speaks only HTTP/2).
fn tls_config(
    config: &ApnsConfig,
    certificate: &PushCertificate,
) -> Result<Arc<rustls::ClientConfig>, ApnsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (format, der) = certificate.private_key_der();
    let key = match format {
        KeyFormat::Pkcs1 => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der.to_vec())),
        KeyFormat::Sec1 => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der.to_vec())),
        KeyFormat::Pkcs8 => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec())),
    };
    let chain = vec![CertificateDer::from(certificate.certificate_der().to_vec())];
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ApnsError::Tls)?
        .with_root_certificates(Arc::clone(&config.roots))
        .with_client_auth_cert(chain, key)
        .map_err(ApnsError::Tls)?;
    tls.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(tls))
}
