//! The HTTP server: hyper 1 (HTTP/1.1 and HTTP/2) over TCP or rustls,
//! routing to the libraries' buffered handlers, with body limits,
//! timeouts, request logs, metrics and graceful shutdown.

pub mod metrics;
pub mod routes;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use nanomdm::http::TlsClientCertificate;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub use routes::Routes;

/// Time a client has to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Interval of HTTP/2 pings on an idle connection.
const H2_KEEP_ALIVE: Duration = Duration::from_secs(60);
/// Time a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Time a request may take from its first byte to the end of its response.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Time connections get to finish after shutdown begins.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `routes` on `listener` until `shutdown` completes, then stops
/// accepting and gives open connections 30 s to finish.
/// With `tls`, every connection is TLS; a client certificate the acceptor
/// verified reaches the MDM handler as [`TlsClientCertificate`].
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    routes: Arc<Routes>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    // HTTP/2 has no header timeout: ping idle connections instead, so that
    // a vanished peer does not hold its connection forever.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(H2_KEEP_ALIVE))
        .keep_alive_timeout(HEADER_TIMEOUT);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let routes = Arc::clone(&routes);
        let builder = Arc::clone(&builder);
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            match tls {
                None => {
                    let service =
                        service_fn(move |request| handle(Arc::clone(&routes), None, peer, request));
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    if let Err(e) = watcher.watch(conn.into_owned()).await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                }
                Some(acceptor) => {
                    serve_tls(acceptor, stream, peer, routes, &builder, watcher).await;
                }
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: draining open connections");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; closing them");
    }
}

async fn serve_tls(
    acceptor: TlsAcceptor,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    routes: Arc<Routes>,
    builder: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            // At info: a device whose certificate is refused shows up here.
            tracing::info!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let client_cert = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|cert| TlsClientCertificate(Bytes::copy_from_slice(cert.as_ref())));
    let service =
        service_fn(move |request| handle(Arc::clone(&routes), client_cert.clone(), peer, request));
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    if let Err(e) = watcher.watch(conn.into_owned()).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Buffers the body (within the route's limit), runs the route within
/// [`REQUEST_TIMEOUT`], logs and counts the exchange.
async fn handle(
    routes: Arc<Routes>,
    client_cert: Option<TlsClientCertificate>,
    peer: SocketAddr,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    if let Some(cert) = client_cert {
        parts.extensions.insert(cert);
    }
    // The API rate-limits logins per client address.
    parts.extensions.insert(crate::api::ClientAddr(peer.ip()));
    let route = routes.route(&parts.uri);
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let exchange = async {
        match Limited::new(body, route.max_body()).collect().await {
            Ok(body) => {
                let request = http::Request::from_parts(parts, body.to_bytes());
                routes.dispatch(route, request).await
            }
            Err(_) => routes::plain(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large or interrupted",
            ),
        }
    };
    let response = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| {
            routes::plain(http::StatusCode::SERVICE_UNAVAILABLE, "request timed out")
        });
    let status = response.status().as_u16();
    routes.metrics().http_request(route.name(), status);
    tracing::info!(
        target: "fleet_server::http",
        %peer,
        %method,
        path,
        route = route.name(),
        status,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    Ok(response.map(Full::new))
}
