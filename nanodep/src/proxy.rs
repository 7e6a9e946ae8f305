//! An authenticating pass-through to the DEP API for one DEP name: callers
//! send plain DEP requests, the proxy adds the session (and signs
//! `/session` when needed) through the [`Client`]. Ported from Go `proxy`
//! (`/proxy/{name}/...` in depserver).
//!
//! The library does not choose the mount path: the server strips its
//! prefix (see [`split_path`] for upstream's layout) and calls
//! [`Proxy::handle`] with the DEP name and a request whose URI is the DEP
//! path and query.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, Request, Response, StatusCode, Uri};

use crate::client::{Client, SESSION_HEADER};
use crate::error::Error;

/// The largest request body the server should buffer for the proxy.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Headers that belong to one connection or to the caller's own
/// authentication (RFC 9110 §7.6.1, plus `Authorization`, `Host` and the
/// session, which the client sets).
const STRIPPED: [HeaderName; 10] = [
    header::AUTHORIZATION,
    header::HOST,
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::PROXY_AUTHORIZATION,
    header::PROXY_AUTHENTICATE,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

fn strip(headers: &mut HeaderMap) {
    for name in &STRIPPED {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove(SESSION_HEADER);
}

/// The DEP proxy. Ported from Go `proxy.New`.
#[derive(Debug, Clone)]
pub struct Proxy {
    client: Arc<Client>,
}

impl Proxy {
    /// A proxy sending through `client`.
    pub fn new(client: Arc<Client>) -> Self {
        Self { client }
    }

    /// Forwards `request` (URI: DEP path and query) for DEP name `name` and
    /// returns Apple's answer, whatever its status, without the session
    /// header. When no answer could be had: 502, with Apple's body when
    /// Apple refused the session, else the reason.
    pub async fn handle(&self, name: &str, mut request: Request<Bytes>) -> Response<Bytes> {
        strip(request.headers_mut());
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *request.uri_mut() = match path.parse::<Uri>() {
            Ok(uri) => uri,
            Err(_) => return plain(StatusCode::BAD_REQUEST, "invalid DEP path".into()),
        };
        match self.client.send(name, request).await {
            Ok(mut response) => {
                strip(response.headers_mut());
                response
            }
            Err(Error::Auth(e)) => plain(StatusCode::BAD_GATEWAY, e.body),
            Err(e) => plain(StatusCode::BAD_GATEWAY, e.to_string()),
        }
    }
}

fn plain(status: StatusCode, body: String) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Splits `<prefix><name>/<DEP path>` (Go depserver: prefix `/proxy/`)
/// into the DEP name and the DEP path with its query; `None` when the path
/// does not start with `prefix` or has no name.
pub fn split_path<'a>(path_and_query: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = path_and_query.strip_prefix(prefix)?;
    let (name, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], &rest[i..]),
        _ => return None,
    };
    (!name.is_empty()).then_some((name, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_and_dep_path_are_split_as_depserver_does() {
        assert_eq!(
            split_path("/proxy/mdm1/account", "/proxy/"),
            Some(("mdm1", "/account"))
        );
        assert_eq!(
            split_path("/proxy/mdm1/profile?profile_uuid=A", "/proxy/"),
            Some(("mdm1", "/profile?profile_uuid=A"))
        );
        assert_eq!(split_path("/proxy//account", "/proxy/"), None);
        assert_eq!(split_path("/proxy/mdm1", "/proxy/"), None);
        assert_eq!(split_path("/proxy/mdm1?x=1", "/proxy/"), None);
        assert_eq!(split_path("/other/mdm1/account", "/proxy/"), None);
    }
}
