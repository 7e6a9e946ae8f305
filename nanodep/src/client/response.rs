//! Reading Apple's answers: error bodies, `Retry-After`, session tokens.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderMap, Response};
use serde::Deserialize;

use crate::api::ErrorCode;
use crate::error::{AppleError, Error};

/// The error of a non-success response.
pub(crate) fn apple_error(response: &Response<Bytes>, now: SystemTime) -> AppleError {
    let text = String::from_utf8_lossy(response.body());
    let mut end = text.len().min(AppleError::MAX_BODY);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    AppleError {
        status: response.status(),
        code: ErrorCode::from_body(&text),
        body: text[..end].to_owned(),
        retry_after: retry_after(response.headers(), now),
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

#[derive(Deserialize)]
struct SessionBody {
    auth_session_token: String,
}

/// The token of a `GET /session` answer; an empty one is an error.
pub(crate) fn session_token(body: &[u8]) -> Result<String, Error> {
    let session: SessionBody = serde_json::from_slice(body).map_err(|source| Error::Decode {
        what: "session",
        source,
    })?;
    if session.auth_session_token.is_empty() {
        return Err(Error::InvalidRequest("empty DEP session token".into()));
    }
    Ok(session.auth_session_token)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use http::StatusCode;

    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:47 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(10)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn error_bodies_are_truncated_and_their_code_read() {
        let response = Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body(Bytes::from(format!(
                "\"EXPIRED_CURSOR\"{}",
                "é".repeat(600)
            )))
            .unwrap();
        let error = apple_error(&response, SystemTime::now());
        assert!(error.body.len() <= AppleError::MAX_BODY);
        assert_eq!(error.code, None, "a long body is not a code");
        let response = Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body(Bytes::from_static(b"\"EXPIRED_CURSOR\""))
            .unwrap();
        let error = apple_error(&response, SystemTime::now());
        assert_eq!(error.code, Some(ErrorCode::ExpiredCursor));
        assert_eq!(error.to_string(), "400 Bad Request EXPIRED_CURSOR");
    }
}
