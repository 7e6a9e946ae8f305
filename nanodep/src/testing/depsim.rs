//! depsim: an in-process fake of Apple's DEP service, for tests and dev
//! setups. It implements [`Transport`], so a [`Client`](crate::Client) talks
//! to it without sockets; [`DepSim::handle`] serves any HTTP server (see
//! `examples/depsim.rs`).
//!
//! What it does, like Apple's service (and Apple's own `depsim`, which is
//! not public):
//!
//! - `GET /session` verifies the OAuth 1.0a HMAC-SHA1 signature against the
//!   tokens it issued ([`DepSim::tokens`]), refuses replayed nonces, wants
//!   `Content-Type: application/json;charset=UTF8` and a User-Agent (none:
//!   `USER_AGENT_MISSING`; one containing `godep`: `USER_AGENT_INVALID`);
//! - every other endpoint wants a session it issued (401 `UNAUTHORIZED`, or
//!   403 `FORBIDDEN` with [`DepSim::set_forbidden_for_unknown_sessions`]);
//! - `/account`, `/server/devices` (a point-in-time listing paged by
//!   `limit`, default 100, max 1000; `EXHAUSTED_CURSOR` once complete),
//!   `/devices/sync` (the change log after the cursor, with `op_type` and
//!   `op_date`; `CURSOR_REQUIRED`, `INVALID_CURSOR`, `EXPIRED_CURSOR` after
//!   7 days), `/devices`, `/devices/disown`, `/profile` (define, get),
//!   `/profile/devices` (PUT or POST assigns, DELETE removes),
//!   `/device/activationlock`, `/os-beta-enrollment/tokens` and
//!   `/account-driven-enrollment/profile`;
//! - test hooks: add, modify and delete devices (appending change events),
//!   inject failures per path ([`Failure`]), expire sessions or cursors,
//!   rotate session tokens, throttle assignments, repeat a cursor with
//!   `more_to_follow` (an Apple glitch), and a fixed clock;
//! - like Apple's portal, [`DepSim::token_file`] encrypts its tokens to an
//!   uploaded certificate as a `.p7m`.
//!
//! Error bodies are JSON-quoted codes (`"INVALID_CURSOR"`), as Apple's
//! depsim writes them.

mod admin;
mod endpoints;
mod extra_endpoints;
mod state;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

pub use self::state::RecordedRequest;
use self::state::State;
use crate::api::{AccountDetail, Device};
use crate::client::Transport;
use crate::error::{TokenError, TransportError};
use crate::token_pki::OAuth1Tokens;

pub use crate::api::CURSOR_LIFETIME;

/// A canned failure for the next request to a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status to answer.
    pub status: StatusCode,
    /// The error code (sent JSON-quoted), or `None` for an empty body.
    pub code: Option<String>,
    /// A `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
}

impl Failure {
    /// A failure with `status` and `code`.
    pub fn code(status: StatusCode, code: &str) -> Self {
        Self {
            status,
            code: Some(code.to_owned()),
            retry_after: None,
        }
    }

    /// 500 with an empty body.
    pub fn server_error() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: None,
            retry_after: None,
        }
    }

    /// 429 `TOO_MANY_REQUESTS` with `Retry-After: seconds`.
    pub fn throttled(seconds: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: Some("TOO_MANY_REQUESTS".into()),
            retry_after: Some(seconds),
        }
    }
}

/// The fake DEP service. Cheap to share behind an `Arc`; every method
/// takes `&self`.
#[derive(Debug)]
pub struct DepSim {
    state: Mutex<State>,
}

impl Default for DepSim {
    fn default() -> Self {
        Self::new()
    }
}

impl DepSim {
    /// A service with fresh random tokens, no devices, following the system
    /// clock.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::new()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The OAuth tokens the service accepts (what Apple's token file holds).
    pub fn tokens(&self) -> OAuth1Tokens {
        self.lock().tokens.clone()
    }

    /// Replaces the access token and secret (the consumer key stays), as
    /// when the admin downloads a new token: the old ones stop working.
    pub fn renew_tokens(&self) -> OAuth1Tokens {
        let mut state = self.lock();
        state.renew_tokens();
        state.tokens.clone()
    }

    /// The token file Apple's portal would offer after `certificate_pem`
    /// was uploaded: the current tokens encrypted to it (AES-256-CBC,
    /// S/MIME).
    pub fn token_file(&self, certificate_pem: &str) -> Result<Vec<u8>, TokenError> {
        let certificate = cryptoutil::cert::from_pem(certificate_pem)
            .map_err(|e| TokenError::KeyPair("unreadable certificate", e))?
            .into_iter()
            .next()
            .ok_or(TokenError::NotSmime("no certificate in the PEM"))?;
        crate::token_pki::encrypt_token(
            &self.tokens(),
            &certificate,
            cryptoutil::ContentEncryption::Aes256Cbc,
        )
    }

    /// The account `GET /account` answers; change it with
    /// [`DepSim::set_account`].
    pub fn account(&self) -> AccountDetail {
        self.lock().account.clone()
    }

    /// Replaces the account.
    pub fn set_account(&self, account: AccountDetail) {
        self.lock().account = account;
    }

    /// Assigns `device` to the server (an `added` event), replacing a device
    /// with the same serial number.
    pub fn add_device(&self, device: Device) {
        self.lock().add_device(device);
    }

    /// Changes an assigned device (a `modified` event); false if unknown.
    pub fn modify_device(&self, serial: &str, change: impl FnOnce(&mut Device)) -> bool {
        self.lock().modify_device(serial, change)
    }

    /// Unassigns a device from the server (a `deleted` event); false if
    /// unknown.
    pub fn delete_device(&self, serial: &str) -> bool {
        self.lock().delete_device(serial)
    }

    /// The devices assigned now, by serial number.
    pub fn devices(&self) -> Vec<Device> {
        self.lock().devices.values().cloned().collect()
    }

    /// The device with `serial`, if assigned.
    pub fn device(&self, serial: &str) -> Option<Device> {
        self.lock().devices.get(serial).cloned()
    }

    /// Answers the next request to `path` (e.g. `/devices/sync`,
    /// `/session`) with `failure`; several queue up in order.
    pub fn fail_next(&self, path: &str, failure: Failure) {
        self.lock()
            .failures
            .entry(path.to_owned())
            .or_default()
            .push_back(failure);
    }

    /// Forgets every session, as when Apple expires them: the next call
    /// gets 401 (or 403 `FORBIDDEN`).
    pub fn expire_sessions(&self) {
        self.lock().sessions.clear();
    }

    /// Answers unknown sessions with 403 `FORBIDDEN` (Apple's depsim after
    /// a restart) instead of 401.
    pub fn set_forbidden_for_unknown_sessions(&self, on: bool) {
        self.lock().forbidden_for_unknown_sessions = on;
    }

    /// With `on`, every answer carries a new `X-ADM-Auth-Session` and the
    /// old session stops working.
    pub fn set_rotate_sessions(&self, on: bool) {
        self.lock().rotate_sessions = on;
    }

    /// Makes every cursor issued so far answer `EXPIRED_CURSOR`.
    pub fn expire_cursors(&self) {
        self.lock().cursor_epoch += 1;
    }

    /// The next `count` syncs echo the request cursor with
    /// `more_to_follow` and no devices (an Apple glitch).
    pub fn repeat_cursor(&self, count: u32) {
        self.lock().repeat_cursor = count;
    }

    /// Answers assignments of `serials` with `THROTTLED` and
    /// `retry_after_seconds` until [`DepSim::stop_throttling`].
    pub fn throttle_assignments(&self, serials: &[&str], retry_after_seconds: u64) {
        let mut state = self.lock();
        state
            .throttled
            .extend(serials.iter().map(|s| (*s).to_owned()));
        state.throttle_seconds = retry_after_seconds;
    }

    /// Ends throttling.
    pub fn stop_throttling(&self) {
        self.lock().throttled.clear();
    }

    /// The page size when a request gives no `limit` (default 100).
    pub fn set_default_limit(&self, limit: usize) {
        self.lock().default_limit = limit.max(1);
    }

    /// With `false`, `GET /os-beta-enrollment/tokens` answers 403
    /// `APPLE_SEED_FOR_IT_TURNED_OFF`.
    pub fn set_apple_seed_for_it(&self, on: bool) {
        self.lock().apple_seed_for_it = on;
    }

    /// The MDM service discovery URL last set through
    /// `POST /account-driven-enrollment/profile`.
    pub fn service_discovery_url(&self) -> Option<String> {
        self.lock().service_discovery_url.clone()
    }

    /// Freezes the clock at `now` (otherwise it follows the system clock).
    pub fn set_now(&self, now: SystemTime) {
        self.lock().clock = Some(now);
    }

    /// Moves the (then frozen) clock forward.
    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        let now = state.now();
        state.clock = Some(now + by);
    }

    /// Every request served so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Serves one request: the DEP endpoints, and under `/_depsim/` the
    /// admin hooks for out-of-process tests (see `examples/depsim.rs`).
    /// A request in origin form (`/session`) is taken to be for
    /// `<X-Forwarded-Proto or http>://<Host>`, which the OAuth signature
    /// covers; a server behind TLS passes the absolute URI or that header.
    pub fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        let request = absolute(request);
        if request.uri().path().starts_with("/_depsim/") {
            return admin::handle(self, &request);
        }
        self.lock().handle(&request)
    }
}

#[async_trait]
impl Transport for DepSim {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        Ok(self.handle(request))
    }
}

/// Completes an origin-form URI with the scheme (`X-Forwarded-Proto`, else
/// `http`) and the Host header.
fn absolute(mut request: Request<Bytes>) -> Request<Bytes> {
    if request.uri().scheme().is_some() {
        return request;
    }
    let header = |name: &str, default: &str| {
        let value = request.headers().get(name).and_then(|h| h.to_str().ok());
        value.unwrap_or(default).to_owned()
    };
    let host = header("host", "localhost");
    let scheme = match header("x-forwarded-proto", "http").as_str() {
        "https" => "https",
        _ => "http",
    };
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    if let Ok(uri) = format!("{scheme}://{host}{path}").parse() {
        *request.uri_mut() = uri;
    }
    request
}
