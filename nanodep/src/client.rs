//! The DEP API client over a [`Transport`]: session handling, retries and
//! typed endpoints. Ported from Go `client.Transport` (the session
//! middleware) and `godep.Client` (the endpoints).
//!
//! Per request the client resolves the path against the DEP name's base
//! URL ([`Config`]), adds `User-Agent`, `X-Server-Protocol-Version` and the
//! cached `X-ADM-Auth-Session`; on 401 (or 403 with `FORBIDDEN`, an unknown
//! session) it signs a new `GET /session` with the stored OAuth tokens and
//! replays the request once; it keeps a session token a response rotates.
//! With [`Client::with_retries`] it retries 5xx and 429 answers after the
//! `Retry-After` delay or an exponential backoff; without, it never waits.

mod endpoints;
#[cfg(feature = "client")]
mod https;
mod response;

use std::collections::HashMap;
use std::fmt::{self, Debug};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Response, StatusCode, Uri};

#[cfg(feature = "client")]
pub use self::https::{HyperTransport, MAX_RESPONSE_BYTES, TokioSleeper};
pub(crate) use self::response::{apple_error, retry_after};
use crate::error::{Error, StoreError, TransportError};
use crate::oauth;
use crate::store::{AuthTokensStore, Config, ConfigStore};

/// Apple's DEP service, used when a DEP name has no base URL configured.
pub const DEFAULT_BASE_URL: &str = "https://mdmenrollment.apple.com/";
/// The `X-Server-Protocol-Version` sent by default: 10 reports `THROTTLED`
/// assignments with `retry_after_seconds`.
pub const DEFAULT_SERVER_PROTOCOL_VERSION: u32 = 10;
/// The default `User-Agent`. Apple refuses some generic agents
/// (`USER_AGENT_INVALID`), so embedders should set their own.
pub const DEFAULT_USER_AGENT: &str = concat!("nanodep-rs/", env!("CARGO_PKG_VERSION"));
/// The session token header, on requests and (rotated) on responses.
pub const SESSION_HEADER: &str = "x-adm-auth-session";
/// The protocol version header.
pub const PROTOCOL_VERSION_HEADER: &str = "x-server-protocol-version";
/// The content type Apple (and its simulator) want, spelled exactly so.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF8";

/// Sends one HTTP request and returns the response, whatever its status.
/// The client's only I/O; the `client` feature has a hyper implementation
/// and `nanodep::testing::depsim` an in-process fake Apple.
#[async_trait]
pub trait Transport: Send + Sync + Debug {
    /// Sends `request` (absolute URI) and buffers the whole response.
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError>;
}

/// Waits before a retry. Injected so the library needs no runtime and
/// tests need no clock.
#[async_trait]
pub trait Sleeper: Send + Sync + Debug {
    /// Returns after `duration`.
    async fn sleep(&self, duration: Duration);
}

/// When to retry 5xx and 429 answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff when Apple sends no `Retry-After`; doubled per
    /// retry.
    pub base_delay: Duration,
    /// The longest wait; a longer `Retry-After` is not waited for but
    /// returned to the caller (in [`AppleError::retry_after`](crate::AppleError)).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `attempt` (from 0).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What the client reads from storage: tokens and config.
pub trait ClientStore: AuthTokensStore + ConfigStore {}

impl<T: AuthTokensStore + ConfigStore + ?Sized> ClientStore for T {}

/// A DEP API client for any number of DEP names. Ported from Go
/// `godep.Client` over `client.Transport`.
pub struct Client {
    transport: Arc<dyn Transport>,
    store: Arc<dyn ClientStore>,
    sessions: Mutex<HashMap<String, String>>,
    user_agent: String,
    protocol_version: u32,
    retries: Option<(RetryPolicy, Arc<dyn Sleeper>)>,
}

impl Debug for Client {
    // Session tokens are secrets: not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("store", &self.store)
            .field("user_agent", &self.user_agent)
            .field("protocol_version", &self.protocol_version)
            .field("retries", &self.retries)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client that reads tokens and config from `store`.
    pub fn new(transport: Arc<dyn Transport>, store: Arc<dyn ClientStore>) -> Self {
        Self {
            transport,
            store,
            sessions: Mutex::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            protocol_version: DEFAULT_SERVER_PROTOCOL_VERSION,
            retries: None,
        }
    }

    /// Sends `user_agent` instead of [`DEFAULT_USER_AGENT`].
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sends `version` where the DEP name's config sets none.
    pub fn with_server_protocol_version(mut self, version: u32) -> Self {
        self.protocol_version = version;
        self
    }

    /// Retries 5xx and 429 answers per `policy`, waiting with `sleeper`.
    pub fn with_retries(mut self, policy: RetryPolicy, sleeper: Arc<dyn Sleeper>) -> Self {
        self.retries = Some((policy, sleeper));
        self
    }

    /// Forgets the cached session of `name` (the next call authenticates).
    pub fn forget_session(&self, name: &str) {
        self.sessions().remove(name);
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `request` for DEP name `name` with session handling and
    /// retries, and returns the final response whatever its status (the
    /// proxy's path). The request's URI is a path and query, resolved
    /// against the name's base URL.
    pub async fn send(
        &self,
        name: &str,
        request: Request<Bytes>,
    ) -> Result<Response<Bytes>, Error> {
        if name.is_empty() {
            return Err(Error::InvalidRequest("missing DEP name".into()));
        }
        let (base, version) = self.target(name).await?;
        let request = self.prepare(request, &base, version)?;
        let mut attempt = 0;
        loop {
            let result = self.send_with_session(name, &base, &request).await;
            let Some(delay) = self.retry_delay(&result, attempt) else {
                return result;
            };
            if let Some((_, sleeper)) = &self.retries {
                sleeper.sleep(delay).await;
            }
            attempt += 1;
        }
    }

    async fn target(&self, name: &str) -> Result<(String, u32), Error> {
        let config = self
            .store
            .retrieve_config(name)
            .await?
            .unwrap_or_else(Config::default);
        let base = config
            .base_url
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        Ok((
            base,
            config
                .server_protocol_version
                .unwrap_or(self.protocol_version),
        ))
    }

    fn prepare(
        &self,
        mut request: Request<Bytes>,
        base: &str,
        version: u32,
    ) -> Result<Request<Bytes>, Error> {
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *request.uri_mut() = resolve(base, &path)?;
        let has_body = !request.body().is_empty();
        let headers = request.headers_mut();
        let defaults = [
            (USER_AGENT.as_str(), self.user_agent.clone()),
            (PROTOCOL_VERSION_HEADER, version.to_string()),
            (ACCEPT.as_str(), JSON_CONTENT_TYPE.to_owned()),
        ];
        for (name, value) in defaults {
            if !headers.contains_key(name) {
                headers.insert(name, header_value(&value)?);
            }
        }
        if has_body && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        }
        Ok(request)
    }

    /// The wait before the next attempt, or `None` to return `result`.
    fn retry_delay(
        &self,
        result: &Result<Response<Bytes>, Error>,
        attempt: u32,
    ) -> Option<Duration> {
        let (policy, _) = self.retries.as_ref()?;
        let (status, retry_after) = match result {
            Ok(response) => (
                response.status(),
                retry_after(response.headers(), SystemTime::now()),
            ),
            Err(Error::Auth(e)) => (e.status, e.retry_after),
            Err(_) => return None,
        };
        let retryable = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
        if !retryable || attempt >= policy.max_retries {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| policy.backoff(attempt));
        (delay <= policy.max_delay).then_some(delay)
    }

    async fn send_with_session(
        &self,
        name: &str,
        base: &str,
        request: &Request<Bytes>,
    ) -> Result<Response<Bytes>, Error> {
        let cached = self.sessions().get(name).cloned();
        if let Some(token) = cached {
            let response = self.transport.send(with_session(request, &token)?).await?;
            if !needs_session(&response) {
                self.pick_up_rotation(name, &token, &response);
                return Ok(response);
            }
        }
        let token = self.authenticate(name, base, request).await?;
        let response = self.transport.send(with_session(request, &token)?).await?;
        self.pick_up_rotation(name, &token, &response);
        Ok(response)
    }

    fn pick_up_rotation(&self, name: &str, used: &str, response: &Response<Bytes>) {
        let rotated = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && *v != used);
        if let Some(token) = rotated {
            self.sessions().insert(name.to_owned(), token.to_owned());
        }
    }

    /// `GET /session` signed with the stored tokens; caches the session.
    async fn authenticate(
        &self,
        name: &str,
        base: &str,
        original: &Request<Bytes>,
    ) -> Result<String, Error> {
        let tokens = match self.store.retrieve_auth_tokens(name).await {
            Err(StoreError::NotFound) => {
                return Err(Error::NoAuthTokens {
                    name: name.to_owned(),
                });
            }
            other => other?,
        };
        let uri = resolve(base, "/session")?;
        let now = SystemTime::now();
        let timestamp = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let authorization = oauth::authorization("GET", &uri, &tokens, timestamp, &nonce()?);
        let mut request = Request::builder().method(Method::GET).uri(uri);
        for header in [USER_AGENT.as_str(), PROTOCOL_VERSION_HEADER] {
            if let Some(value) = original.headers().get(header) {
                request = request.header(header, value);
            }
        }
        let request = request
            .header(AUTHORIZATION, header_value(&authorization)?)
            .header(CONTENT_TYPE, JSON_CONTENT_TYPE)
            .header(ACCEPT, JSON_CONTENT_TYPE)
            .body(Bytes::new())
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let response = self.transport.send(request).await?;
        if response.status() != StatusCode::OK {
            return Err(Error::Auth(apple_error(&response, now)));
        }
        let token = response::session_token(response.body())?;
        self.sessions().insert(name.to_owned(), token.clone());
        Ok(token)
    }
}

/// Whether the response asks for a new session: 401, or 403 whose body
/// says `FORBIDDEN` (Apple's simulator after a restart); other 403s (terms
/// not signed) are real answers.
fn needs_session(response: &Response<Bytes>) -> bool {
    match response.status() {
        StatusCode::UNAUTHORIZED => true,
        StatusCode::FORBIDDEN => String::from_utf8_lossy(response.body()).contains("FORBIDDEN"),
        _ => false,
    }
}

fn with_session(request: &Request<Bytes>, token: &str) -> Result<Request<Bytes>, Error> {
    let mut copy = Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(request.body().clone())
        .map_err(|e| Error::InvalidRequest(e.to_string()))?;
    *copy.headers_mut() = request.headers().clone();
    copy.headers_mut()
        .insert(SESSION_HEADER, header_value(token)?);
    Ok(copy)
}

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidRequest("a header value is not visible ASCII".into()))
}

/// `path` (absolute, with query) under `base`, which may carry a path
/// prefix.
fn resolve(base: &str, path: &str) -> Result<Uri, Error> {
    let url = format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    let uri: Uri = url
        .parse()
        .map_err(|_| Error::InvalidRequest(format!("invalid DEP URL {url}")))?;
    if uri.scheme().is_none() || uri.host().is_none() {
        return Err(Error::InvalidRequest(format!(
            "DEP base URL {base} is not absolute"
        )));
    }
    Ok(uri)
}

fn nonce() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    cryptoutil::algorithm::fill_random(&mut bytes)
        .map_err(|_| Error::InvalidRequest("no randomness for the OAuth nonce".into()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests;
