//! A fake APNs for tests, on loopback: HTTP/2 over TLS with a throwaway
//! server CA, a client certificate required and compared byte for byte to
//! the push certificate, and every header and the body checked.
//!
//! Every problem it finds is answered as a 400 whose reason starts with
//! `Fake:` and names the problem, so a test sees it in the push result.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio::sync::{Barrier, Notify};
use tokio::task::AbortHandle;
use tokio_rustls::TlsAcceptor;

use super::pki::Pki;

/// The token prefix the fake refuses with 400 BadDeviceToken.
pub(super) const BAD_TOKEN: u8 = 0xbd;
/// The token prefix the fake answers with 410 Unregistered.
pub(super) const GONE_TOKEN: u8 = 0x60;
/// The timestamp of the 410 answer, in milliseconds.
pub(super) const GONE_AT_MS: u64 = 1_700_000_000_123;

/// What the fake expects of every request.
#[derive(Debug, Clone)]
pub(super) struct Expected {
    pub(super) topic: String,
    pub(super) expiration: String,
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) path: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

struct State {
    expected: Expected,
    push_cert: Vec<u8>,
    connections: AtomicUsize,
    closed: AtomicUsize,
    closed_changed: Notify,
    goaway: Notify,
    tasks: Mutex<Vec<AbortHandle>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    hold: Mutex<Option<Arc<Barrier>>>,
}

/// A running fake; it stops when the test's runtime does.
pub(super) struct FakeApns {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FakeApns {
    /// Listens on a free loopback port, trusting client certificates
    /// issued by the PKI's push CA and accepting only `pki.push`.
    pub(super) async fn start(pki: &Pki, expected: Expected) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            expected,
            push_cert: pki.push_cert_der.clone(),
            connections: AtomicUsize::new(0),
            closed: AtomicUsize::new(0),
            closed_changed: Notify::new(),
            goaway: Notify::new(),
            tasks: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            hold: Mutex::new(None),
        });
        let acceptor = TlsAcceptor::from(server_config(pki));
        let accepting = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                accepting.connections.fetch_add(1, Ordering::SeqCst);
                let task = tokio::spawn(serve(Arc::clone(&accepting), acceptor.clone(), tcp));
                accepting.tasks.lock().unwrap().push(task.abort_handle());
            }
        });
        Self { addr, state }
    }

    /// The base URL to give the client.
    pub(super) fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// TCP connections accepted so far.
    pub(super) fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub(super) fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The most requests that were in flight at once.
    pub(super) fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// From now on, answer no request before `n` requests are waiting
    /// (then release them together, and again for the next `n`).
    pub(super) fn hold_until(&self, n: usize) {
        *self.state.hold.lock().unwrap() = Some(Arc::new(Barrier::new(n)));
    }

    /// Sends GOAWAY on every open connection and waits until `total`
    /// connections have closed.
    pub(super) async fn goaway_and_wait_closed(&self, total: usize) {
        self.state.goaway.notify_waiters();
        self.wait_closed(total).await;
    }

    /// Drops every open connection without GOAWAY (as a crashed server or
    /// a dead network path would) and waits until `total` have closed.
    pub(super) async fn kill_and_wait_closed(&self, total: usize) {
        for task in self.state.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        self.wait_closed(total).await;
    }

    async fn wait_closed(&self, total: usize) {
        loop {
            let changed = self.state.closed_changed.notified();
            if self.state.closed.load(Ordering::SeqCst) >= total {
                return;
            }
            changed.await;
        }
    }
}

/// Counts a connection as closed when its task ends, however it ends
/// (also when aborted).
struct ClosedGuard(Arc<State>);

impl Drop for ClosedGuard {
    fn drop(&mut self) {
        self.0.closed.fetch_add(1, Ordering::SeqCst);
        self.0.closed_changed.notify_waiters();
    }
}

fn server_config(pki: &Pki) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut push_roots = RootCertStore::empty();
    push_roots
        .add(CertificateDer::from(pki.push_ca_der.clone()))
        .unwrap();
    // build() requires a client certificate (no allow_unauthenticated).
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(push_roots), Arc::clone(&provider))
            .build()
            .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key_der.clone()));
    let chain = vec![CertificateDer::from(pki.server_cert_der.clone())];
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

async fn serve(state: Arc<State>, acceptor: TlsAcceptor, tcp: tokio::net::TcpStream) {
    let _closed = ClosedGuard(Arc::clone(&state));
    // A client without an acceptable certificate fails here.
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    let presented = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|cert| cert.as_ref().to_vec());
    let right_cert = presented.as_deref() == Some(state.push_cert.as_slice());
    let handler = Arc::clone(&state);
    let service = service_fn(move |request: Request<Incoming>| {
        let state = Arc::clone(&handler);
        async move { Ok::<_, Infallible>(state.answer(request, right_cert).await) }
    });
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .max_concurrent_streams(1000)
        .serve_connection(TokioIo::new(tls), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = state.goaway.notified() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

impl State {
    async fn answer(&self, request: Request<Incoming>, right_cert: bool) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        let path = parts.uri.path().to_owned();
        self.seen.lock().unwrap().push(Seen {
            path: path.clone(),
            headers: parts.headers.clone(),
            body: body.clone(),
        });
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let hold = self.hold.lock().unwrap().clone();
        if let Some(barrier) = hold {
            barrier.wait().await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !right_cert {
            return reply(StatusCode::FORBIDDEN, "Fake:not the push certificate");
        }
        if parts.version != Version::HTTP_2 {
            return reply(StatusCode::BAD_REQUEST, "Fake:not HTTP/2");
        }
        if parts.method != http::Method::POST {
            return reply(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed");
        }
        let Some(token) = path.strip_prefix("/3/device/") else {
            return reply(StatusCode::NOT_FOUND, "BadPath");
        };
        if let Err(problem) = self.check(&parts.headers, token, &body) {
            return reply(StatusCode::BAD_REQUEST, &format!("Fake:{problem}"));
        }
        match u8::from_str_radix(&token[..2], 16).unwrap() {
            BAD_TOKEN => reply(StatusCode::BAD_REQUEST, "BadDeviceToken"),
            GONE_TOKEN => Response::builder()
                .status(StatusCode::GONE)
                .body(Full::new(Bytes::from(format!(
                    r#"{{"reason":"Unregistered","timestamp":{GONE_AT_MS}}}"#
                ))))
                .unwrap(),
            _ => Response::builder()
                .header("apns-id", format!("apns-{token}"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        }
    }

    /// Every header of an MDM push, and the body for this token (the
    /// tests' PushMagic is `magic-<hex token>`).
    fn check(&self, headers: &HeaderMap, token: &str, body: &[u8]) -> Result<(), String> {
        let header = |name: &str| {
            let values: Vec<_> = headers.get_all(name).iter().collect();
            match values.as_slice() {
                [one] => one.to_str().map_err(|_| format!("{name} not text")),
                [] => Err(format!("missing {name}")),
                _ => Err(format!("repeated {name}")),
            }
        };
        let expect = |name: &str, want: &str| match header(name)? {
            got if got == want => Ok(()),
            got => Err(format!("{name} is {got:?}, want {want:?}")),
        };
        if token.len() < 2
            || !token.len().is_multiple_of(2)
            || !token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!("token {token:?} is not lowercase hex"));
        }
        expect("content-type", "application/json")?;
        expect("apns-push-type", "mdm")?;
        expect("apns-priority", "10")?;
        expect("apns-topic", &self.expected.topic)?;
        expect("apns-expiration", &self.expected.expiration)?;
        let want = format!(r#"{{"mdm":"magic-{token}"}}"#);
        if body != want.as_bytes() {
            return Err(format!("body {:?}", String::from_utf8_lossy(body)));
        }
        Ok(())
    }
}

fn reply(status: StatusCode, reason: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "reason": reason }).to_string();
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}
