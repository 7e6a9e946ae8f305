//! Runnable programs that embed the workspace's MDM libraries; see the
//! binaries under `src/bin/`. The library holds the hyper glue they share
//! with the `scep` crate's `scepserver` and `scepclient` examples (which
//! take this package as a dev-dependency) and with nanomdm's `nanomdm`
//! example: a buffered HTTP server loop ([`serve_http`]), a SCEP server
//! loop ([`serve_scep`]) and a client transport ([`HyperTransport`]); and
//! the network device simulator of `device-sim` and `nanomdm-bench`
//! ([`sim`]).

pub mod sim;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use scep::client::Transport;
use scep::{BoxError, Service};

/// Per-request limit, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Largest response accepted; SCEP answers are a few KiB.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// An HTTP handler over buffered requests and responses, as the
/// libraries' adapters are.
pub type Handler = Arc<
    dyn Fn(http::Request<Bytes>) -> Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>>
        + Send
        + Sync,
>;

/// Serves `handler` on `listener` with HTTP/1.1, forever, buffering each
/// request body up to `max_body` bytes (larger ones get 413).
pub async fn serve_http(
    listener: tokio::net::TcpListener,
    max_body: usize,
    handler: Handler,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            let service =
                service_fn(move |request| buffered(Arc::clone(&handler), max_body, request));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}

async fn buffered(
    handler: Handler,
    max_body: usize,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, max_body).collect().await {
        Ok(body) => handler(http::Request::from_parts(parts, body.to_bytes())).await,
        Err(_) => plain(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ),
    };
    Ok(response.map(Full::new))
}

/// Serves `service` at `/scep` on `listener` with HTTP/1.1, forever.
pub async fn serve_scep(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
) -> std::io::Result<()> {
    let handler: Handler = Arc::new(move |request| {
        let service = Arc::clone(&service);
        Box::pin(async move {
            if request.uri().path() == "/scep" {
                scep::http::handle(&service, request).await
            } else {
                plain(http::StatusCode::NOT_FOUND, "not found")
            }
        })
    });
    serve_http(listener, scep::http::MAX_BODY_BYTES, handler).await
}

/// A plain-text response with a one-line message.
pub fn plain(status: http::StatusCode, message: &str) -> http::Response<Bytes> {
    let mut response = http::Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() = status;
    response
}

/// HTTP/1 over hyper-util's pooled client, for `scep::client::Client`.
#[derive(Debug)]
pub struct HyperTransport {
    client: HyperClient<HttpConnector, Full<Bytes>>,
}

impl Default for HyperTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperTransport {
    /// A transport with a connection pool.
    pub fn new() -> Self {
        Self {
            client: HyperClient::builder(TokioExecutor::new()).build_http(),
        }
    }
}

#[async_trait]
impl Transport for HyperTransport {
    async fn send(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, BoxError> {
        let exchange = async {
            let response = self.client.request(request.map(Full::new)).await?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE_BYTES).collect().await?;
            Ok::<_, BoxError>(http::Response::from_parts(parts, body.to_bytes()))
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no complete answer within {} s", TIMEOUT.as_secs()))?
    }
}
