//! Fleet's REST API (`/api/v1/fleet/...`, `/api/v1/setup`) as a thin
//! adapter over buffered `http::Request<Bytes>` → `http::Response<Bytes>`:
//! the server that owns the sockets calls [`FleetApi::handle`] for every
//! path under `/api/`.
//!
//! Routing is a table ([`Route`]: method + path pattern → handler), built
//! from each endpoint module's `routes()`. To add endpoints, write a module
//! with `async fn(&FleetApi, ApiRequest) -> ApiResult` handlers and a
//! `routes()` list, and add it to `all_routes` (in this file). Errors are [`ApiError`]s,
//! answered in Fleet's shape; successes are JSON with the resource under a
//! named key ([`json_ok`]).

mod activities;
mod auth;
mod error;
mod pagination;
mod ratelimit;
mod router;
mod session;
mod setup;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use serde::Serialize;

pub use auth::{Authenticated, ClientAddr, require_global_admin};
pub use error::{ApiError, FieldError};
pub use pagination::{DEFAULT_PER_PAGE, ListOptions, MAX_PER_PAGE, OrderDirection};
pub(crate) use router::handler;
pub use router::{ApiRequest, ApiResult, Handler, HandlerFuture, Route};

use crate::db::Db;
use ratelimit::RateLimiter;

/// The API's settings. Build with [`ApiSettings::new`] and adjust fields;
/// new settings get defaults, so existing callers keep compiling.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiSettings {
    /// The server's public base URL (e.g. `https://fleet.example.com`),
    /// from which URLs handed to devices and clients are built.
    pub server_url: String,
    /// How long a session lives without being used (sliding expiry).
    pub session_ttl: Duration,
    /// Login attempts allowed per email, and per client address, within
    /// [`Self::login_rate_window`].
    pub login_rate_limit: u32,
    /// The login rate-limit window.
    pub login_rate_window: Duration,
}

/// The largest request body the server should buffer for this API (JSON
/// bodies; an endpoint taking uploads would need its own limit). Larger
/// bodies should be refused by the server with 413 before calling
/// [`FleetApi::handle`].
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Fleet's default session TTL here: 24 hours of inactivity.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(24 * 60 * 60);

impl ApiSettings {
    /// Defaults for a server at `server_url`: 24 h sessions, 10 logins a
    /// minute (Fleet's limit).
    pub fn new(server_url: impl Into<String>) -> Self {
        Self {
            server_url: server_url.into(),
            session_ttl: DEFAULT_SESSION_TTL,
            login_rate_limit: 10,
            login_rate_window: Duration::from_secs(60),
        }
    }
}

/// The clock the API reads (tests set their own).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Fleet's REST API over a database. Cheap to share behind an `Arc`; one
/// per process (the login rate limiter lives in it).
pub struct FleetApi {
    db: Db,
    settings: ApiSettings,
    routes: Vec<Route>,
    clock: Clock,
    login_limiter: RateLimiter,
}

impl std::fmt::Debug for FleetApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetApi")
            .field("db", &self.db)
            .field("settings", &self.settings)
            .field("routes", &self.routes.len())
            .finish_non_exhaustive()
    }
}

/// Every route of the API. Endpoint modules each contribute a list.
fn all_routes() -> Vec<Route> {
    [
        setup::routes(),
        session::routes(),
        users::routes(),
        activities::routes(),
        crate::enrollments::api::routes(),
        crate::hosts::api::routes(),
    ]
    .concat()
}

impl FleetApi {
    /// The API on `db` (migrated) with `settings`, on the system clock.
    pub fn new(db: Db, settings: ApiSettings) -> Self {
        let login_limiter = RateLimiter::new(settings.login_rate_limit, settings.login_rate_window);
        Self {
            db,
            settings,
            routes: all_routes(),
            clock: Arc::new(SystemTime::now),
            login_limiter,
        }
    }

    /// The same reading time from `clock` (for tests of expiry and rate
    /// limits).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The settings.
    pub fn settings(&self) -> &ApiSettings {
        &self.settings
    }

    /// The current time by the API's clock.
    pub fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// Answers one request under `/api/`: routes it, runs the handler and
    /// turns errors into Fleet's error body. Never fails; 404 for unknown
    /// paths, 405 for a known path with another method.
    pub async fn handle(&self, request: http::Request<Bytes>) -> Response<Bytes> {
        let path = router::normalise_path(request.uri().path());
        let head = request.method() == Method::HEAD;
        let result = match router::find(&self.routes, request.method(), &path) {
            router::Found::Route(handler, params) => {
                handler(self, ApiRequest::new(request, params)).await
            }
            router::Found::WrongMethod => Err(ApiError::method_not_allowed()),
            router::Found::Nothing => Err(ApiError::no_route()),
        };
        let mut response = result.unwrap_or_else(ApiError::into_response);
        if head {
            *response.body_mut() = Bytes::new();
        }
        response
    }
}

/// A JSON response with `status`: `body` indented 2 spaces, as Fleet
/// writes it.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Bytes> {
    let (status, bytes) = match serde_json::to_vec_pretty(body) {
        Ok(bytes) => (status, bytes),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise an API response");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                br#"{"message": "Internal Server Error", "errors": [{"name": "base", "reason": "internal server error"}]}"#.to_vec(),
            )
        }
    };
    let mut response = Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// 200 with `body` (an object naming the resource, e.g. `{"user": …}`).
pub fn json_ok(body: &impl Serialize) -> ApiResult {
    Ok(json_response(StatusCode::OK, body))
}

/// Compile-time check: servers spawn `handle`'s future on a multi-threaded
/// runtime, so it must be `Send`.
#[cfg(test)]
#[allow(dead_code, reason = "only compiled, never run")]
fn handle_future_is_send(api: &FleetApi, request: http::Request<Bytes>) -> impl Send + '_ {
    api.handle(request)
}
