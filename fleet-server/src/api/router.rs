//! The route table: method + path pattern (with `{name}` segments) →
//! handler, and the request a handler receives.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{HeaderMap, Method, Response};
use serde::de::DeserializeOwned;

use super::{ApiError, FleetApi};

/// What a handler returns: a response, or an error [`FleetApi`] turns into
/// Fleet's error body.
pub type ApiResult = Result<Response<Bytes>, ApiError>;

/// A handler's future.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = ApiResult> + Send + 'a>>;

/// A handler: an `async fn(&FleetApi, ApiRequest) -> ApiResult` wrapped by
/// the crate-internal `handler!` macro.
pub type Handler = for<'a> fn(&'a FleetApi, ApiRequest) -> HandlerFuture<'a>;

/// Wraps `async fn name(api: &FleetApi, req: ApiRequest) -> ApiResult` as
/// a [`Handler`] for [`Route::new`].
macro_rules! handler {
    ($f:path) => {{
        fn handler(
            api: &$crate::api::FleetApi,
            req: $crate::api::ApiRequest,
        ) -> $crate::api::HandlerFuture<'_> {
            Box::pin($f(api, req))
        }
        handler as $crate::api::Handler
    }};
}
pub(crate) use handler;

/// One entry of the route table.
#[derive(Clone)]
pub struct Route {
    method: Method,
    segments: Vec<Segment>,
    handler: Handler,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

impl Route {
    /// `method` on `pattern`, a full path in its `v1` form such as
    /// `/api/v1/fleet/users/{id}` (`{name}` matches one non-empty segment,
    /// read with [`ApiRequest::param`]).
    pub fn new(method: Method, pattern: &str, handler: Handler) -> Self {
        let segments = pattern
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        Self {
            method,
            segments,
            handler,
        }
    }

    /// The path parameters if `path` (split into segments) matches.
    fn matches(&self, path: &[&str]) -> Option<Vec<(String, String)>> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(path) {
            match segment {
                Segment::Literal(l) if l == part => {}
                Segment::Param(name) if !part.is_empty() => {
                    params.push((name.clone(), (*part).to_owned()));
                }
                _ => return None,
            }
        }
        Some(params)
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("method", &self.method)
            .field("segments", &self.segments)
            .finish_non_exhaustive()
    }
}

/// What routing found for a request.
pub(super) enum Found {
    /// A route: its handler and the path parameters.
    Route(Handler, Vec<(String, String)>),
    /// The path is known, the method is not (405).
    WrongMethod,
    /// No route has this path (404).
    Nothing,
}

/// Finds the route for `method` on `path` (already normalised to `v1`).
pub(super) fn find(routes: &[Route], method: &Method, path: &str) -> Found {
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut path_known = false;
    for route in routes {
        if let Some(params) = route.matches(&parts) {
            // HEAD is served by GET routes, as HTTP allows.
            if route.method == method || (method == Method::HEAD && route.method == Method::GET) {
                return Found::Route(route.handler, params);
            }
            path_known = true;
        }
    }
    if path_known {
        Found::WrongMethod
    } else {
        Found::Nothing
    }
}

/// The path with Fleet's version aliases (`latest`, `_version_`) read as
/// `v1`, and the unversioned `/api/setup` as `/api/v1/setup`.
pub(super) fn normalise_path(path: &str) -> String {
    let path = path.trim_end_matches('/');
    if path == "/api/setup" {
        return "/api/v1/setup".to_owned();
    }
    for alias in ["/api/latest/", "/api/_version_/"] {
        if let Some(rest) = path.strip_prefix(alias) {
            return format!("/api/v1/{rest}");
        }
    }
    path.to_owned()
}

/// A request as a handler gets it: buffered, with its path parameters.
#[derive(Debug)]
pub struct ApiRequest {
    /// The request's method.
    pub method: Method,
    /// The request's headers.
    pub headers: HeaderMap,
    /// Request extensions set by the server (e.g. [`ClientAddr`](super::ClientAddr)).
    pub extensions: http::Extensions,
    /// The raw query string (without `?`), empty when there is none.
    pub query: String,
    /// The request body.
    pub body: Bytes,
    params: Vec<(String, String)>,
}

impl ApiRequest {
    pub(super) fn new(request: http::Request<Bytes>, params: Vec<(String, String)>) -> Self {
        let (parts, body) = request.into_parts();
        Self {
            method: parts.method,
            headers: parts.headers,
            extensions: parts.extensions,
            query: parts.uri.query().unwrap_or_default().to_owned(),
            body,
            params,
        }
    }

    /// The path parameter `name` as written in the route pattern.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path parameter `name` as a numeric id; 404 naming `what` (e.g.
    /// "User") when it is not a number, as no such resource can exist.
    pub fn id_param(&self, name: &str, what: &str) -> Result<i64, ApiError> {
        let raw = self.param(name).unwrap_or_default();
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ApiError::not_found(format_args!("{what} {raw}")))
    }

    /// The query parameter `name` (decoded), the first if repeated.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON of type `T`; 400 naming the problem when it is
    /// empty, not JSON or not the expected shape.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::bad_request(
                "the request body is empty; expected JSON",
            ));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON body: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn nothing(_: &FleetApi, _: ApiRequest) -> ApiResult {
        Err(ApiError::no_route())
    }

    fn table() -> Vec<Route> {
        vec![
            Route::new(Method::GET, "/api/v1/fleet/users", handler!(nothing)),
            Route::new(Method::GET, "/api/v1/fleet/users/{id}", handler!(nothing)),
            Route::new(Method::POST, "/api/v1/fleet/users/admin", handler!(nothing)),
        ]
    }

    #[test]
    fn patterns_bind_their_named_segments() {
        match find(&table(), &Method::GET, "/api/v1/fleet/users/42") {
            Found::Route(_, params) => assert_eq!(params, [("id".to_owned(), "42".to_owned())]),
            _ => panic!("no route"),
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_told_apart_from_an_unknown_path() {
        assert!(matches!(
            find(&table(), &Method::DELETE, "/api/v1/fleet/users"),
            Found::WrongMethod
        ));
        assert!(matches!(
            find(&table(), &Method::GET, "/api/v1/fleet/hosts"),
            Found::Nothing
        ));
        assert!(matches!(
            find(&table(), &Method::GET, "/api/v1/fleet/users/1/extra"),
            Found::Nothing
        ));
    }

    #[test]
    fn version_aliases_and_unversioned_setup_read_as_v1() {
        assert_eq!(normalise_path("/api/latest/fleet/me"), "/api/v1/fleet/me");
        assert_eq!(
            normalise_path("/api/_version_/fleet/me"),
            "/api/v1/fleet/me"
        );
        assert_eq!(normalise_path("/api/setup"), "/api/v1/setup");
        assert_eq!(normalise_path("/api/v1/fleet/me/"), "/api/v1/fleet/me");
        assert_eq!(normalise_path("/api/v2/fleet/me"), "/api/v2/fleet/me");
    }
}
