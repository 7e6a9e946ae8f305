//! The one HTTP/2 connection of an [`ApnsClient`](super::ApnsClient):
//! opened on first use, shared by every push, replaced when it dies.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http2::{self, SendRequest};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_rustls::TlsConnector;

use crate::push::PushError;

/// How long an unanswered keep-alive PING may take before the connection
/// counts as dead.
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// A live connection's request handle and its generation (so a push that
/// saw it fail discards only that connection, not a newer one).
struct Live {
    generation: u64,
    sender: SendRequest<Full<Bytes>>,
}

/// Opens and keeps the connection.
pub(super) struct Connections {
    address: (String, u16),
    server_name: ServerName<'static>,
    tls: TlsConnector,
    connect_timeout: Duration,
    keep_alive_interval: Option<Duration>,
    // Held while connecting, so concurrent pushes wait for one connection
    // instead of opening one each.
    live: Mutex<Option<Live>>,
    generations: std::sync::atomic::AtomicU64,
}

impl Connections {
    pub(super) fn new(
        address: (String, u16),
        server_name: ServerName<'static>,
        tls: Arc<rustls::ClientConfig>,
        connect_timeout: Duration,
        keep_alive_interval: Option<Duration>,
    ) -> Self {
        Self {
            address,
            server_name,
            tls: TlsConnector::from(tls),
            connect_timeout,
            keep_alive_interval,
            live: Mutex::new(None),
            generations: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A request handle on the live connection, connecting first if there
    /// is none or it has closed.
    pub(super) async fn sender(&self) -> Result<(u64, SendRequest<Full<Bytes>>), PushError> {
        let mut live = self.live.lock().await;
        if let Some(current) = live.as_ref().filter(|l| !l.sender.is_closed()) {
            return Ok((current.generation, current.sender.clone()));
        }
        let sender = tokio::time::timeout(self.connect_timeout, self.connect())
            .await
            .map_err(|_| PushError::Transport("connecting to APNs timed out".into()))??;
        let generation = self
            .generations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *live = Some(Live {
            generation,
            sender: sender.clone(),
        });
        Ok((generation, sender))
    }

    /// Forgets connection `generation` after a request on it failed; the
    /// next push opens a new one. A newer connection is kept.
    pub(super) async fn discard(&self, generation: u64) {
        let mut live = self.live.lock().await;
        if live.as_ref().is_some_and(|l| l.generation == generation) {
            *live = None;
        }
    }

    /// TCP, TLS with the push certificate, then the HTTP/2 handshake; the
    /// connection is driven by a spawned task until it ends.
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, PushError> {
        let transport = |e: std::io::Error| PushError::Transport(Box::new(e));
        let (host, port) = &self.address;
        let tcp = TcpStream::connect((host.as_str(), *port))
            .await
            .map_err(transport)?;
        tcp.set_nodelay(true).map_err(transport)?;
        let tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(transport)?;
        if tls.get_ref().1.alpn_protocol() != Some(b"h2".as_slice()) {
            return Err(PushError::Transport(
                "APNs server did not negotiate HTTP/2".into(),
            ));
        }
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder.timer(TokioTimer::new());
        if let Some(interval) = self.keep_alive_interval {
            builder
                .keep_alive_interval(interval)
                .keep_alive_timeout(KEEP_ALIVE_TIMEOUT)
                .keep_alive_while_idle(true);
        }
        let (sender, connection) = builder
            .handshake(TokioIo::new(tls))
            .await
            .map_err(|e| PushError::Transport(Box::new(e)))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "APNs connection ended");
            }
        });
        tracing::debug!(host = %host, port, "connected to APNs");
        Ok(sender)
    }
}
