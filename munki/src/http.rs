//! The repository's HTTP semantics as a thin adapter over `http` types.
//!
//! [`RepoServer::handle`] answers `GET` and `HEAD` for every resource kind
//! the client fetches, with strong ETags and `Last-Modified`, `304` for
//! conditional requests, `206`/`416` for single byte ranges, content types,
//! percent-decoded paths (traversal refused) and an [`Authorizer`] hook.
//! It never reads a resource's content: the response body is a
//! [`Body::Range`] *plan* naming the resource and the bytes to send, which
//! the server streams with [`Repo::read_range`] (see [`RepoServer::chunk`]).

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, ALLOW, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderValue,
    LAST_MODIFIED, WWW_AUTHENTICATE,
};
use http::{Method, Request, Response, StatusCode};
use percent_encoding::percent_decode_str;

use crate::repo::Metadata;
use crate::{Repo, ResourceKind, ResourcePath, StoreError};

pub mod auth;
mod range;

pub use auth::{Authorizer, BasicAuth, Credentials, HostSecrets, Open};
use range::RangeAsk;

/// Bytes read from the repository per [`Repo::read_range`] call while
/// streaming.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A response body: nothing, or which bytes of which resource to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body (`HEAD`, 304, errors).
    Empty,
    /// Bytes `start..end` of `path`; `Content-Length` is already set.
    Range {
        /// The resource.
        path: ResourcePath,
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
}

/// Serves a [`Repo`] to Munki clients.
#[derive(Debug, Clone)]
pub struct RepoServer {
    repo: Arc<dyn Repo>,
    auth: Arc<dyn Authorizer>,
    prefix: String,
}

impl RepoServer {
    /// Serves `repo` at the root of the URL space, open to everyone.
    pub fn new(repo: Arc<dyn Repo>) -> Self {
        Self {
            repo,
            auth: Arc::new(Open),
            prefix: String::new(),
        }
    }

    /// Requires every request to pass `auth`.
    pub fn with_authorizer(mut self, auth: Arc<dyn Authorizer>) -> Self {
        self.auth = auth;
        self
    }

    /// Serves under `prefix` (e.g. `/munki`, the `SoftwareRepoURL` path):
    /// requests outside it are 404.
    pub fn mounted_at(mut self, prefix: &str) -> Self {
        self.prefix = prefix.trim_end_matches('/').to_owned();
        self
    }

    /// The repository served.
    pub fn repo(&self) -> &Arc<dyn Repo> {
        &self.repo
    }

    /// Answers one request. Only the method, path and headers are read.
    pub async fn handle<B>(&self, request: &Request<B>) -> Response<Body> {
        match self.answer(request).await {
            Ok(response) => response,
            Err(status) => self.error(status),
        }
    }

    async fn answer<B>(&self, request: &Request<B>) -> Result<Response<Body>, StatusCode> {
        let method = request.method();
        if method != Method::GET && method != Method::HEAD {
            return Err(StatusCode::METHOD_NOT_ALLOWED);
        }
        let path = self.resource_path(request.uri().path())?;
        let credentials = Credentials::from_headers(request.headers());
        if !self
            .auth
            .authorize(&credentials, &path)
            .await
            .map_err(store_status)?
        {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let meta = self.repo.metadata(&path).await.map_err(store_status)?;
        let headers = request.headers();
        let mut response = Response::new(Body::Empty);
        set_validators(&mut response, &meta);
        if range::not_modified(headers, &meta) {
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            return Ok(response);
        }
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
        response
            .headers_mut()
            .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        let (start, end) = match range::range(headers, &meta) {
            RangeAsk::Whole => (0, meta.len),
            RangeAsk::Part { start, end } => {
                *response.status_mut() = StatusCode::PARTIAL_CONTENT;
                let value = format!("bytes {start}-{}/{}", end - 1, meta.len);
                response.headers_mut().insert(CONTENT_RANGE, header(&value));
                (start, end)
            }
            RangeAsk::Unsatisfiable => {
                *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
                response
                    .headers_mut()
                    .insert(CONTENT_RANGE, header(&format!("bytes */{}", meta.len)));
                response
                    .headers_mut()
                    .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
                return Ok(response);
            }
        };
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, header(&(end - start).to_string()));
        if method == Method::GET && end > start {
            *response.body_mut() = Body::Range { path, start, end };
        }
        Ok(response)
    }

    /// The resource a URL path names: prefix stripped, kind from the first
    /// segment, the rest percent-decoded and checked by [`ResourcePath`].
    fn resource_path(&self, path: &str) -> Result<ResourcePath, StatusCode> {
        let rest = path
            .strip_prefix(self.prefix.as_str())
            .ok_or(StatusCode::NOT_FOUND)?;
        let rest = rest.strip_prefix('/').ok_or(StatusCode::NOT_FOUND)?;
        let (kind, name) = rest.split_once('/').ok_or(StatusCode::NOT_FOUND)?;
        let kind = ResourceKind::from_dir(kind)
            .filter(|k| k.is_served())
            .ok_or(StatusCode::NOT_FOUND)?;
        let name = percent_decode_str(name)
            .decode_utf8()
            .map_err(|_| StatusCode::BAD_REQUEST)?;
        // Refused paths look missing: nothing to learn about the disk.
        ResourcePath::new(kind, &name).map_err(|_| StatusCode::NOT_FOUND)
    }

    /// The one place errors become responses; bodies never carry detail.
    fn error(&self, status: StatusCode) -> Response<Body> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        match status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(WWW_AUTHENTICATE, header(self.auth.challenge()));
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                headers.insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            _ => {}
        }
        response
    }

    /// Streams a body plan chunk by chunk: call with `offset` = `start`,
    /// then advance by each chunk's length until `end`. Returns `None` when
    /// done. A resource that shrank meanwhile ends the stream early with an
    /// error, so the client sees a short download rather than wrong bytes.
    pub async fn chunk(&self, body: &Body, offset: u64) -> Option<Result<Bytes, StoreError>> {
        let Body::Range { path, end, .. } = body else {
            return None;
        };
        if offset >= *end {
            return None;
        }
        let want = usize::try_from(end - offset)
            .unwrap_or(usize::MAX)
            .min(CHUNK_BYTES);
        Some(match self.repo.read_range(path, offset, want).await {
            Ok(bytes) if bytes.is_empty() => Err(StoreError::Conflict),
            other => other,
        })
    }

    /// Reads a whole body plan into memory: for tests and small resources.
    pub async fn collect(&self, body: &Body) -> Result<Bytes, StoreError> {
        let Body::Range { start, .. } = body else {
            return Ok(Bytes::new());
        };
        let mut out = Vec::new();
        let mut offset = *start;
        while let Some(chunk) = self.chunk(body, offset).await {
            let chunk = chunk?;
            offset += chunk.len() as u64;
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }
}

fn set_validators(response: &mut Response<Body>, meta: &Metadata) {
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&meta.etag) {
        headers.insert(ETAG, etag);
    }
    let date = httpdate::fmt_http_date(range::whole_seconds(meta.modified));
    headers.insert(LAST_MODIFIED, header(&date));
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).expect("numbers, dates and challenges are valid header text")
}

fn store_status(error: StoreError) -> StatusCode {
    match error {
        StoreError::NotFound | StoreError::InvalidPath(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Content types by kind and extension; catalogs and manifests have no
/// extension and are XML plists.
fn content_type(path: &ResourcePath) -> &'static str {
    let name = path.name();
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match (path.kind(), extension.as_deref()) {
        (ResourceKind::Catalogs | ResourceKind::Manifests, _) | (_, Some("plist" | "xml")) => {
            "application/xml"
        }
        (_, Some("png")) => "image/png",
        (_, Some("zip")) => "application/zip",
        (_, Some("dmg")) => "application/x-apple-diskimage",
        _ => "application/octet-stream",
    }
}
