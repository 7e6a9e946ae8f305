//! The MDM HTTP binding as a thin adapter over `http` types: the embedding
//! server picks the paths, buffers the body (at most the configured limit,
//! [`MAX_BODY_BYTES`] by default) and calls [`MdmHandler`]'s methods.
//!
//! Port of nanomdm's `http/mdm` handlers and certificate middlewares.
//! Every refusal is a 4xx with a one-line plain-text reason, every failure
//! a 500 that does not echo backend errors, and **no MDM response is ever
//! 401**: Apple clients may unenroll on it.

pub mod api;

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, header};

use crate::identity::{self, ClientIdentity, ExtractConfig, TrustStore};
use crate::protocol::{checkin, command};
use crate::service::{self, Reply, Service, ServiceError};

/// Default largest request body: device reports (installed applications,
/// profile lists, certificate lists) reach a few MiB on crowded Macs.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The content type devices send check-ins with (Apple: "Check-in
/// protocol").
pub const CHECKIN_CONTENT_TYPE: &str = "application/x-apple-aspen-mdm-checkin";

/// The content type devices send command reports with.
pub const COMMAND_CONTENT_TYPE: &str = "application/x-apple-aspen-mdm";

/// The DER client certificate of a TLS connection the server terminated
/// itself, passed as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClientCertificate(pub Bytes);

/// Which requests an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// Check-ins only (the `CheckInURL`).
    Checkin,
    /// Command reports only (the `ServerURL` when a `CheckInURL` is set).
    Command,
    /// Both, told apart by content type (a `ServerURL` without
    /// `CheckInURL`).
    Combined,
}

/// The MDM endpoints over a [`Service`] chain.
#[derive(Debug, Clone)]
pub struct MdmHandler {
    service: Arc<dyn Service>,
    extract: ExtractConfig,
    trust: Option<TrustStore>,
    max_body: usize,
}

impl MdmHandler {
    /// Handlers over `service` that establish each request's identity per
    /// `extract` and require it to verify against `trust`.
    pub fn new(service: Arc<dyn Service>, extract: ExtractConfig, trust: TrustStore) -> Self {
        Self {
            service,
            extract,
            trust: Some(trust),
            max_body: MAX_BODY_BYTES,
        }
    }

    /// Handlers that take no identity at all, for nanomdm's `/migration`
    /// endpoint (behind API authentication): messages go to `service`
    /// with no certificate.
    pub fn without_identity(service: Arc<dyn Service>) -> Self {
        Self {
            service,
            extract: ExtractConfig::new(),
            trust: None,
            max_body: MAX_BODY_BYTES,
        }
    }

    /// Sets the largest accepted body.
    #[must_use]
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The largest accepted body, for the server's buffering limit.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// The `CheckInURL` endpoint: check-ins only.
    pub async fn checkin(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.handle(request, Endpoint::Checkin).await
    }

    /// The `ServerURL` endpoint when a separate `CheckInURL` exists:
    /// command reports only.
    pub async fn command(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.handle(request, Endpoint::Command).await
    }

    /// The `ServerURL` endpoint of a profile without `CheckInURL`: check-ins
    /// and command reports, told apart by content type as nanomdm does.
    pub async fn mdm(&self, request: Request<Bytes>) -> Response<Bytes> {
        self.handle(request, Endpoint::Combined).await
    }

    async fn handle(&self, request: Request<Bytes>, endpoint: Endpoint) -> Response<Bytes> {
        match self.try_handle(request, endpoint).await {
            Ok(response) => response,
            Err(refusal) => refusal.into_response(),
        }
    }

    async fn try_handle(
        &self,
        request: Request<Bytes>,
        endpoint: Endpoint,
    ) -> Result<Response<Bytes>, Refusal> {
        let (parts, body) = request.into_parts();
        if body.len() > self.max_body {
            return Err(Refusal::TooLarge(self.max_body));
        }
        let is_checkin = match (endpoint, kind(&parts.headers)?) {
            (Endpoint::Checkin, Kind::Report) => {
                return Err(Refusal::ContentType("check-ins"));
            }
            (Endpoint::Command, Kind::Checkin) => {
                return Err(Refusal::ContentType("command reports"));
            }
            (_, kind) => kind == Kind::Checkin,
        };
        let tls = parts.extensions.get::<TlsClientCertificate>();
        let request = service::Request {
            identity: self.identity(&parts.headers, &body, tls)?,
            params: query_params(parts.uri.query()),
        };
        if is_checkin {
            let checkin = checkin::decode_bytes(body).map_err(Refusal::Decode)?;
            let reply = self.service.checkin(&request, &checkin).await?;
            Ok(match reply {
                Reply::Empty => respond(StatusCode::OK, None, Bytes::new()),
                Reply::Plist(body) => respond(StatusCode::OK, Some("application/xml"), body),
                Reply::Json(body) => respond(StatusCode::OK, Some("application/json"), body),
            })
        } else {
            let report = command::decode_report(&body).map_err(Refusal::Decode)?;
            Ok(match self.service.report(&request, &report).await? {
                Some(next) => respond(StatusCode::OK, Some("application/xml"), next.raw),
                None => respond(StatusCode::OK, None, Bytes::new()),
            })
        }
    }

    /// The verified identity of the request (`None` without verification).
    fn identity(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        tls: Option<&TlsClientCertificate>,
    ) -> Result<Option<ClientIdentity>, Refusal> {
        let Some(trust) = &self.trust else {
            return Ok(None);
        };
        let tls = tls.map(|cert| cert.0.as_ref());
        let identity = identity::extract(headers, body, tls, &self.extract)?;
        trust.verify(&identity, SystemTime::now())?;
        Ok(Some(identity))
    }
}

/// What a request's content type says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Checkin,
    Report,
}

/// Classifies by content type: check-ins carry [`CHECKIN_CONTENT_TYPE`]
/// (nanomdm matches the prefix, so parameters are fine); reports carry
/// [`COMMAND_CONTENT_TYPE`] or none. Anything else is refused rather than
/// guessed at.
fn kind(headers: &HeaderMap) -> Result<Kind, Refusal> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Kind::Report);
    };
    let value = value
        .to_str()
        .map_err(|_| Refusal::ContentType("MDM messages"))?;
    let media_type = value.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case(CHECKIN_CONTENT_TYPE) {
        Ok(Kind::Checkin)
    } else if media_type.eq_ignore_ascii_case(COMMAND_CONTENT_TYPE) || media_type.is_empty() {
        Ok(Kind::Report)
    } else {
        Err(Refusal::ContentType("MDM messages"))
    }
}

/// The query parameters, first value of each (as Go's `r.URL.Query().Get`).
fn query_params(query: Option<&str>) -> std::collections::BTreeMap<String, String> {
    let mut params = std::collections::BTreeMap::new();
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        params
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    params
}

/// Why a request was not answered with 200.
#[derive(Debug)]
enum Refusal {
    TooLarge(usize),
    ContentType(&'static str),
    Identity(crate::IdentityError),
    Decode(crate::DecodeError),
    Service(ServiceError),
}

impl From<crate::IdentityError> for Refusal {
    fn from(e: crate::IdentityError) -> Self {
        Self::Identity(e)
    }
}

impl From<ServiceError> for Refusal {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl Refusal {
    /// The one place errors become status codes. Never 401.
    fn into_response(self) -> Response<Bytes> {
        let (status, reason) = match self {
            Self::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body larger than {limit} bytes"),
            ),
            Self::ContentType(what) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("content type not accepted for {what}"),
            ),
            Self::Identity(e) => (StatusCode::BAD_REQUEST, error_chain(&e)),
            Self::Decode(e) => (StatusCode::BAD_REQUEST, error_chain(&e)),
            Self::Service(ServiceError::UserDeclined) => {
                (StatusCode::GONE, ServiceError::UserDeclined.to_string())
            }
            Self::Service(e @ ServiceError::CertAuth(_)) => (StatusCode::FORBIDDEN, e.to_string()),
            Self::Service(e @ ServiceError::Invalid(_)) => (StatusCode::BAD_REQUEST, e.to_string()),
            Self::Service(e) => {
                tracing::error!("MDM request failed: {}", error_chain(&e));
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal server error".to_owned(),
                )
            }
        };
        let mut reason = reason;
        reason.push('\n');
        respond(
            status,
            Some("text/plain; charset=utf-8"),
            Bytes::from(reason),
        )
    }
}

/// An error and its sources, joined by ": ".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A response with an optional content type.
fn respond(status: StatusCode, content_type: Option<&'static str>, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
    }
    response
}
