//! A ready [`Transport`] over hyper and rustls, and a tokio [`Sleeper`]
//! (feature `client`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{Sleeper, Transport};
use crate::error::TransportError;

/// The largest response accepted: a page of 1000 devices is about 1 MB.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// HTTP/1.1 over a pooled hyper client; HTTPS with rustls and the
/// platform's root certificates, plain HTTP for simulators.
#[derive(Debug, Clone)]
pub struct HyperTransport {
    client: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HyperTransport {
    /// A transport with the platform's roots and a 60 s limit per request.
    pub fn new() -> Result<Self, TransportError> {
        // An explicit provider: rustls's process default is ambiguous when
        // another crate in the build enables a second one.
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(TransportError::new)?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: HyperClient::builder(TokioExecutor::new()).build(connector),
            timeout: Duration::from_secs(60),
        })
    }

    /// A transport that trusts only the CA certificates in
    /// `certificates_pem` (a private CA, or a test server).
    pub fn with_root_certificates(certificates_pem: &str) -> Result<Self, TransportError> {
        use cryptoutil::der::Encode;
        let mut roots = rustls::RootCertStore::empty();
        let certificates =
            cryptoutil::cert::from_pem(certificates_pem).map_err(TransportError::new)?;
        for certificate in certificates {
            let der = certificate.to_der().map_err(TransportError::new)?;
            roots.add(der.into()).map_err(TransportError::new)?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TransportError::new)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: HyperClient::builder(TokioExecutor::new()).build(connector),
            timeout: Duration::from_secs(60),
        })
    }

    /// Sets the limit per request, connection to last byte.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[async_trait]
impl Transport for HyperTransport {
    async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let exchange = async {
            let response = self
                .client
                .request(request.map(Full::new))
                .await
                .map_err(TransportError::new)?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(TransportError)?;
            Ok(http::Response::from_parts(parts, body.to_bytes()))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| TransportError::new("no complete answer in time"))?
    }
}

/// Waits with `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
