//! The nanomdm-compatible API: enqueue commands, push, push certificates.
//!
//! Port of nanomdm's `http/api` and `api` packages, keeping their wire
//! behaviour so nanohub/nanocmd-style tooling keeps working: HTTP Basic
//! with user `nanomdm`, the `APIResult` JSON (tab-indented, with a final
//! newline) and its status rules: 500 when the call failed as a whole or
//! for every ID, 207 when for some IDs, 200 otherwise.
//!
//! The embedding server mounts [`Api::handle`] under a prefix of its
//! choosing (nanomdm uses `/v1/`) and passes the path after it.

mod push_cert;
mod result;

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};

use crate::protocol::command::Command;
use crate::protocol::enrollment::EnrollmentId;
use crate::push::Pusher;
use crate::store::{AllStorage, QueuedCommand};

use result::{ApiResult, json_response};

/// The user name of the API's HTTP Basic authentication.
pub const API_USER: &str = "nanomdm";

/// The API over a store and a pusher.
#[derive(Debug, Clone)]
pub struct Api {
    store: Arc<dyn AllStorage>,
    pusher: Arc<dyn Pusher>,
    key: String,
    version: String,
}

impl Api {
    /// The API guarded by `key` (the Basic password of user `nanomdm`).
    pub fn new(
        store: Arc<dyn AllStorage>,
        pusher: Arc<dyn Pusher>,
        key: impl Into<String>,
    ) -> Self {
        Self {
            store,
            pusher,
            key: key.into(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// Sets the version `/version` reports (the embedding server's).
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Answers `/version` (no authentication, as nanomdm).
    pub fn version(&self) -> Response<Bytes> {
        let body = serde_json::json!({ "version": self.version });
        result::json(StatusCode::OK, &body)
    }

    /// Answers an API request; `path` is the part after the mount prefix:
    /// `enqueue/{ids}`, `push/{ids}` or `pushcert`.
    pub async fn handle(&self, path: &str, request: Request<Bytes>) -> Response<Bytes> {
        if !self.authorized(request.headers()) {
            return unauthorized();
        }
        let path = path.trim_start_matches('/');
        if let Some(ids) = path.strip_prefix("enqueue/") {
            let no_push = query_flag(request.uri().query(), "nopush");
            return self.enqueue(ids, request.into_body(), no_push).await;
        }
        if let Some(ids) = path.strip_prefix("push/") {
            return self.push(ids).await;
        }
        match path {
            "enqueue" => self.enqueue("", request.into_body(), false).await,
            "push" => self.push("").await,
            "pushcert" => self.push_cert(request).await,
            _ => result::text(StatusCode::NOT_FOUND, "no such API endpoint"),
        }
    }

    /// Enqueues the command in `body` to every ID in `ids` (comma
    /// separated), then pushes to them unless `no_push`. An empty body only
    /// pushes, as nanomdm.
    pub async fn enqueue(&self, ids: &str, body: Bytes, no_push: bool) -> Response<Bytes> {
        let mut result = ApiResult {
            no_push,
            ..ApiResult::default()
        };
        let Some(ids) = split_ids(ids) else {
            result.command_error = Some("no enrollment IDs".to_owned());
            return json_response(&result, 0);
        };
        if !body.is_empty() {
            let command = match Command::decode(&body) {
                Ok(command) => command,
                Err(e) => {
                    result.command_error = Some(format!("decoding command: {e}"));
                    return json_response(&result, ids.len());
                }
            };
            result.command_uuid = Some(command.command_uuid().to_owned());
            result.request_type = Some(command.request_type().to_owned());
            let queued = QueuedCommand {
                command_uuid: command.command_uuid().to_owned(),
                request_type: command.request_type().to_owned(),
                raw: body,
                priority: 0,
            };
            if let Err(e) = self.store.enqueue_command(&ids, &queued).await {
                result.command_error = Some(format!("enqueueing command: {e}"));
                return json_response(&result, ids.len());
            }
        }
        if !no_push {
            self.push_into(&ids, &mut result).await;
        }
        json_response(&result, ids.len())
    }

    /// Pushes to every ID in `ids` (comma separated).
    pub async fn push(&self, ids: &str) -> Response<Bytes> {
        let mut result = ApiResult::default();
        let Some(ids) = split_ids(ids) else {
            result.push_error = Some("no enrollment IDs".to_owned());
            return json_response(&result, 0);
        };
        self.push_into(&ids, &mut result).await;
        json_response(&result, ids.len())
    }

    async fn push_into(&self, ids: &[EnrollmentId], result: &mut ApiResult) {
        match self.pusher.push(ids).await {
            Ok(pushed) => {
                for (id, outcome) in pushed {
                    let entry = result.status.entry(id.into_string()).or_default();
                    match outcome {
                        Ok(pushed) => entry.push_result = Some(pushed.apns_id),
                        Err(e) => entry.push_error = Some(e.to_string()),
                    }
                }
            }
            Err(e) => result.push_error = Some(e.to_string()),
        }
    }

    /// `PUT /pushcert` stores the PEM certificate and key of the body;
    /// `GET /pushcert?topic=` reports a stored one. Both answer
    /// `{"topic", "not_after"}`, or `{"error"}`.
    pub async fn push_cert(&self, request: Request<Bytes>) -> Response<Bytes> {
        match *request.method() {
            Method::PUT => push_cert::put(self.store.as_ref(), request.body()).await,
            Method::GET => push_cert::get(self.store.as_ref(), request.uri().query()).await,
            _ => {
                let mut response = result::text(StatusCode::METHOD_NOT_ALLOWED, "use PUT or GET");
                response
                    .headers_mut()
                    .insert(header::ALLOW, http::HeaderValue::from_static("GET, PUT"));
                response
            }
        }
    }

    /// Checks HTTP Basic `nanomdm:<key>` for an endpoint the embedding
    /// server guards with the API key itself (nanomdm's `/migration`):
    /// `Err` holds the 401 to send.
    #[allow(clippy::result_large_err, reason = "the error is the response to send")]
    pub fn authorize(&self, headers: &http::HeaderMap) -> Result<(), Response<Bytes>> {
        if self.authorized(headers) {
            Ok(())
        } else {
            Err(unauthorized())
        }
    }

    /// Checks HTTP Basic `nanomdm:<key>` in constant time.
    fn authorized(&self, headers: &http::HeaderMap) -> bool {
        let Some(credentials) = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| {
                base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()
            })
        else {
            return false;
        };
        let expected = format!("{API_USER}:{}", self.key);
        constant_time_eq(&credentials, expected.as_bytes())
    }
}

/// The IDs of a comma-separated path segment, `None` when there are none.
fn split_ids(ids: &str) -> Option<Vec<EnrollmentId>> {
    let ids: Vec<EnrollmentId> = ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            percent_encoding::percent_decode_str(id)
                .decode_utf8_lossy()
                .into_owned()
        })
        .map(EnrollmentId::new)
        .collect();
    (!ids.is_empty()).then_some(ids)
}

/// Whether query parameter `name` is present with a non-empty value.
fn query_flag(query: Option<&str>, name: &str) -> bool {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .any(|(key, value)| key == name && !value.is_empty())
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 401 with the Basic challenge (API only; MDM endpoints never send 401).
fn unauthorized() -> Response<Bytes> {
    let mut response = result::text(StatusCode::UNAUTHORIZED, "unauthorized");
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Basic realm=\"nanomdm\""),
    );
    response
}
