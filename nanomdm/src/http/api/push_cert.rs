//! `PUT` and `GET /v1/pushcert`: uploading and reading APNs push
//! certificates. Port of nanomdm's `http/api` push-certificate handlers.

use std::time::SystemTime;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::result;
use crate::push::PushCertificate;
use crate::store::PushCertStore;

/// nanomdm's `PushCertResponse`.
#[derive(Debug, Serialize)]
struct PushCertResponse<'a> {
    topic: &'a str,
    not_after: String,
}

/// nanomdm's `ErrorResponse`.
#[derive(Debug, Serialize)]
struct ErrorResponse {
    error: String,
}

/// Stores the certificate and unencrypted key PEM in `body`: 400 naming the
/// problem when they are unusable, 500 when storing fails, else 200 with
/// the topic and expiry.
pub(super) async fn put(store: &dyn PushCertStore, body: &[u8]) -> Response<Bytes> {
    let certificate = match PushCertificate::from_pem(body) {
        Ok(certificate) => certificate,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    if let Err(e) = store.store_push_cert(&certificate.to_push_cert()).await {
        tracing::error!("storing the push certificate failed: {e}");
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storing the push certificate failed".to_owned(),
        );
    }
    ok(certificate.topic(), certificate.not_after())
}

/// The topic and expiry of the stored certificate of `?topic=`.
pub(super) async fn get(store: &dyn PushCertStore, query: Option<&str>) -> Response<Bytes> {
    let topic = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "topic")
        .map(|(_, value)| value.into_owned())
        .filter(|topic| !topic.is_empty());
    let Some(topic) = topic else {
        return error(StatusCode::BAD_REQUEST, "missing topic".to_owned());
    };
    let stored = match store.push_cert(&topic).await {
        Ok(Some((stored, _))) => stored,
        Ok(None) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("no push certificate for topic {topic}"),
            );
        }
        Err(e) => {
            tracing::error!("reading the push certificate failed: {e}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "reading the push certificate failed".to_owned(),
            );
        }
    };
    match PushCertificate::from_push_cert(&stored) {
        Ok(certificate) => ok(certificate.topic(), certificate.not_after()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn ok(topic: &str, not_after: SystemTime) -> Response<Bytes> {
    let not_after = rfc3339(not_after);
    result::json(StatusCode::OK, &PushCertResponse { topic, not_after })
}

fn error(status: StatusCode, error: String) -> Response<Bytes> {
    result::json(status, &ErrorResponse { error })
}

/// RFC 3339 in UTC, as Go's `time.RFC3339` writes it.
fn rfc3339(time: SystemTime) -> String {
    OffsetDateTime::from(time)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "invalid time".to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_written_as_rfc3339_utc() {
        let at = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_798_761_599)), "2026-12-31T23:59:59Z");
    }
}
