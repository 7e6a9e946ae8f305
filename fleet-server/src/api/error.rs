//! API errors in Fleet's shape (`server/service/transport_error.go`):
//! `{"message": ..., "errors": [{"name": "base"|<field>, "reason": ...}]}`.
//! Every error response of the API is made by [`ApiError::into_response`].

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::json_response;
use crate::db::DbError;

/// One entry of an error body's `errors`: `name` is `base` or the field
/// at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// `base`, or the request field the reason is about.
    pub name: String,
    /// What is wrong, for a person.
    pub reason: String,
}

/// An error the API answers with. Build it with the constructors; its
/// status and body follow Fleet's mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    message: &'static str,
    errors: Vec<FieldError>,
    retry_after_secs: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    errors: &'a [FieldError],
}

impl ApiError {
    fn new(
        status: StatusCode,
        message: &'static str,
        name: &str,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            status,
            message,
            errors: vec![FieldError {
                name: name.to_owned(),
                reason: reason.into(),
            }],
            retry_after_secs: None,
        }
    }

    /// 422 "Validation Failed": `field` is invalid because `reason`.
    pub fn validation(field: &str, reason: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed",
            field,
            reason,
        )
    }

    /// 422 "Validation Failed" for several fields at once; `None` when
    /// `errors` is empty (nothing failed).
    pub fn validations(errors: Vec<FieldError>) -> Option<Self> {
        (!errors.is_empty()).then_some(Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "Validation Failed",
            errors,
            retry_after_secs: None,
        })
    }

    /// 401 "Authentication required": no, an unknown or an expired token,
    /// or wrong credentials (never saying which).
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "base",
            "Authentication required",
        )
    }

    /// 403 "Permission Denied".
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Permission Denied",
            "base",
            "forbidden",
        )
    }

    /// 404 "Resource Not Found": `what` (e.g. "User 7") does not exist.
    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Resource Not Found",
            "base",
            format!("{what} was not found in the datastore"),
        )
    }

    /// 404 for a path no route has.
    pub fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Resource Not Found",
            "base",
            "no such endpoint",
        )
    }

    /// 405 for a known path with the wrong method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
            "base",
            "this endpoint does not accept this method",
        )
    }

    /// 409 "Resource Already Exists": `what` (e.g. "User") exists.
    pub fn already_exists(what: impl fmt::Display) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "Resource Already Exists",
            "base",
            format!("{what} already exists"),
        )
    }

    /// 409 "Conflict" because `reason`.
    pub fn conflict(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", "base", reason)
    }

    /// 400 "Bad request" because `reason` (e.g. malformed JSON).
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", "base", reason)
    }

    /// 429 "Too Many Requests", retry after `secs` seconds.
    pub fn rate_limited(secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            "base",
            "too many requests, try again later",
        );
        e.retry_after_secs = Some(secs);
        e
    }

    /// 500 without details: `cause` is logged (with `tracing`), never sent.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %ErrorChain(cause), "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "base",
            "internal server error",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `errors` entries.
    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The response: Fleet's body, indented 2 spaces, plus `Retry-After`
    /// when the error carries one.
    pub fn into_response(self) -> Response<Bytes> {
        let body = Body {
            message: self.message,
            errors: &self.errors,
        };
        let mut response = json_response(self.status, &body);
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        Self::internal(&e)
    }
}

/// An error with its sources, `a: b: c`, for the log.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: ApiError) -> (StatusCode, String) {
        let r = e.into_response();
        (r.status(), String::from_utf8(r.body().to_vec()).unwrap())
    }

    #[test]
    fn a_validation_error_names_the_field_in_fleets_shape_indented_two_spaces() {
        let (status, text) = body(ApiError::validation("email", "Email is required"));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            text,
            "{\n  \"message\": \"Validation Failed\",\n  \"errors\": [\n    {\n      \"name\": \"email\",\n      \"reason\": \"Email is required\"\n    }\n  ]\n}"
        );
    }

    #[test]
    fn a_server_error_does_not_leak_its_cause() {
        let cause = DbError::UnknownMigrations(vec!["secret-detail".to_owned()]);
        let (status, text) = body(ApiError::from(cause));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!text.contains("secret-detail"), "{text}");
        assert!(text.contains("\"name\": \"base\""));
    }

    #[test]
    fn a_rate_limited_error_says_when_to_retry() {
        let r = ApiError::rate_limited(42).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "42");
    }

    #[test]
    fn no_validation_errors_make_no_error() {
        assert!(ApiError::validations(Vec::new()).is_none());
    }
}
