//! Which handler answers which URL. The server owns the URLs; the
//! libraries' handlers only see buffered requests.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode, Uri, header};
use nanomdm::http::MdmHandler;

use super::metrics::Metrics;
use crate::db::Db;

/// A buffered handler (the Fleet API, the enrollment-profile endpoint).
pub type Handler = Arc<
    dyn Fn(Request<Bytes>) -> Pin<Box<dyn Future<Output = Response<Bytes>> + Send>> + Send + Sync,
>;

/// SCEP.
pub const SCEP_PATH: &str = "/mdm/apple/scep";
/// MDM check-ins and command reports (told apart by content type).
pub const MDM_PATH: &str = "/mdm/apple/mdm";
/// The enrollment profile of a manual enrollment (`?id=N`).
pub const ENROLL_PATH: &str = "/mdm/apple/api/enroll";

/// A route, chosen from the path before the body is read so that each
/// gets its own body limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz`.
    Healthz,
    /// `GET /metrics`.
    Metrics,
    /// [`SCEP_PATH`].
    Scep,
    /// [`MDM_PATH`].
    Mdm,
    /// [`ENROLL_PATH`].
    Enroll,
    /// `/api/...`.
    Api,
    /// Anything else.
    NotFound,
}

impl Route {
    /// The label of the route in logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Healthz => "healthz",
            Self::Metrics => "metrics",
            Self::Scep => "scep",
            Self::Mdm => "mdm",
            Self::Enroll => "enroll",
            Self::Api => "api",
            Self::NotFound => "not_found",
        }
    }

    /// The largest body the route reads.
    pub fn max_body(self) -> usize {
        match self {
            Self::Scep => scep::http::MAX_BODY_BYTES,
            Self::Mdm => nanomdm::http::MAX_BODY_BYTES,
            Self::Api => crate::api::MAX_BODY_BYTES,
            Self::Healthz | Self::Metrics | Self::Enroll | Self::NotFound => 64 * 1024,
        }
    }
}

/// Everything the server routes to. MDM routes are `None` when Apple MDM
/// is off, and then answer 404.
#[derive(Debug)]
pub struct Routes {
    /// The database (`/healthz` checks it, `/metrics` reads gauges).
    pub db: Db,
    /// Request and check-in counters.
    pub metrics: Arc<Metrics>,
    /// The SCEP service.
    pub scep: Option<Arc<scep::Service>>,
    /// The MDM endpoint.
    pub mdm: Option<MdmHandler>,
    /// The enrollment-profile endpoint.
    pub enroll: Option<HandlerBox>,
    /// The Fleet REST API.
    pub api: Option<HandlerBox>,
}

/// A [`Handler`] with a `Debug` impl.
#[derive(Clone)]
pub struct HandlerBox(pub Handler);

impl std::fmt::Debug for HandlerBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler")
    }
}

impl Routes {
    /// The route of `uri`.
    pub fn route(&self, uri: &Uri) -> Route {
        match uri.path() {
            "/healthz" => Route::Healthz,
            "/metrics" => Route::Metrics,
            SCEP_PATH => Route::Scep,
            MDM_PATH => Route::Mdm,
            ENROLL_PATH => Route::Enroll,
            path if path == "/api" || path.starts_with("/api/") => Route::Api,
            _ => Route::NotFound,
        }
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Answers `request` on `route`.
    pub async fn dispatch(&self, route: Route, request: Request<Bytes>) -> Response<Bytes> {
        match route {
            Route::Healthz => self.healthz().await,
            Route::Metrics => self.render_metrics().await,
            Route::Scep => match &self.scep {
                Some(service) => scep::http::handle(service, request).await,
                None => mdm_off(),
            },
            Route::Mdm => match &self.mdm {
                Some(mdm) => mdm.mdm(request).await,
                None => mdm_off(),
            },
            Route::Enroll => match &self.enroll {
                Some(enroll) => (enroll.0)(request).await,
                None => mdm_off(),
            },
            Route::Api => match &self.api {
                Some(api) => (api.0)(request).await,
                None => plain(StatusCode::NOT_FOUND, "not found"),
            },
            Route::NotFound => plain(StatusCode::NOT_FOUND, "not found"),
        }
    }

    /// 200 when the database answers, else 500 (load balancers take the
    /// replica out).
    async fn healthz(&self) -> Response<Bytes> {
        match self.db.ping().await {
            Ok(()) => plain(StatusCode::OK, "ok"),
            Err(e) => {
                tracing::error!(error = %crate::error_chain(&e), "health check: database unreachable");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "database unreachable")
            }
        }
    }

    async fn render_metrics(&self) -> Response<Bytes> {
        match self.metrics.render(&self.db).await {
            Ok(text) => {
                let mut response = Response::new(Bytes::from(text));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                response
            }
            Err(e) => {
                tracing::error!(error = %crate::error_chain(&e), "metrics: database query failed");
                plain(StatusCode::INTERNAL_SERVER_ERROR, "database unreachable")
            }
        }
    }
}

fn mdm_off() -> Response<Bytes> {
    plain(
        StatusCode::NOT_FOUND,
        "Apple MDM is not enabled on this server",
    )
}

/// A plain-text response with a one-line message.
pub fn plain(status: StatusCode, message: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(format!("{message}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
