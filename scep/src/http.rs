//! The SCEP HTTP binding (RFC 8894 §4) as a thin adapter over `http`
//! types: the embedding server picks the path, buffers the body (at most
//! [`MAX_BODY_BYTES`]) and calls [`handle`].

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};

use crate::error::Error;
use crate::service::Service;

/// Largest PKIOperation body accepted; real requests are a few KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Answers one SCEP request.
///
/// Client mistakes (unknown operation, undecodable `message`, a
/// pkiMessage that does not parse or verify) get a 400 with a one-line
/// reason; policy refusals are 200 with a FAILURE CertRep.
pub async fn handle(service: &Service, request: Request<Bytes>) -> Response<Bytes> {
    if request.method() != Method::GET && request.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "SCEP accepts GET and POST");
    }
    let query = request.uri().query().unwrap_or_default();
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    match param("operation").as_deref() {
        Some("GetCACaps") => ok("text/plain", Bytes::from(service.ca_caps())),
        // The CA-IDENT `message` is ignored: this service has one CA.
        Some("GetCACert") => match service.ca_certificates().await {
            Ok(answer) => ok(answer.content_type, answer.body.into()),
            Err(_) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read the CA certificates",
            ),
        },
        Some("GetNextCACert") => match service.next_ca_certificate().await {
            Ok(Some(body)) => ok("application/x-x509-next-ca-cert", body.into()),
            Ok(None) => text(
                StatusCode::NOT_FOUND,
                "no next CA certificate is configured",
            ),
            Err(_) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot build the next CA answer",
            ),
        },
        Some("PKIOperation") => {
            let body = if request.method() == Method::POST {
                request.into_body()
            } else {
                match param("message").map(|m| decode_message(&m)) {
                    Some(Ok(body)) => body.into(),
                    Some(Err(reason)) => return text(StatusCode::BAD_REQUEST, reason),
                    None => {
                        return text(
                            StatusCode::BAD_REQUEST,
                            "PKIOperation by GET needs a message parameter",
                        );
                    }
                }
            };
            pki_operation(service, &body).await
        }
        Some(other) => text(
            StatusCode::BAD_REQUEST,
            &format!("unknown operation {:.40}", other),
        ),
        None => text(StatusCode::BAD_REQUEST, "missing operation parameter"),
    }
}

async fn pki_operation(service: &Service, body: &[u8]) -> Response<Bytes> {
    if body.len() > MAX_BODY_BYTES {
        return text(StatusCode::PAYLOAD_TOO_LARGE, "pkiMessage too large");
    }
    match service.pki_operation(body, SystemTime::now()).await {
        Ok(cert_rep) => ok("application/x-pki-message", cert_rep.into()),
        Err(Error::Depot(_) | Error::Build(_)) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error building the reply",
        ),
        Err(e) => text(StatusCode::BAD_REQUEST, &one_line(&e)),
    }
}

/// Decodes a GET `message`: standard or URL-safe base64, padded or not;
/// a `+` that query decoding turned into a space is turned back.
fn decode_message(value: &str) -> Result<Vec<u8>, &'static str> {
    let cleaned: String = value
        .chars()
        .map(|c| if c == ' ' { '+' } else { c })
        .filter(|c| !matches!(c, '=' | '\r' | '\n'))
        .collect();
    STANDARD_NO_PAD
        .decode(&cleaned)
        .or_else(|_| URL_SAFE_NO_PAD.decode(&cleaned))
        .map_err(|_| "message is not valid base64")
}

/// The error and its causes on one line: "a: b: c".
fn one_line(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line.replace('\n', " ")
}

fn ok(content_type: &'static str, body: Bytes) -> Response<Bytes> {
    respond(StatusCode::OK, content_type, body)
}

fn text(status: StatusCode, message: &str) -> Response<Bytes> {
    respond(
        status,
        "text/plain; charset=utf-8",
        Bytes::from(format!("{message}\n")),
    )
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_messages_decode_in_every_base64_spelling() {
        let raw = vec![0xfb, 0xff, 0xbe, 0x01];
        for spelling in ["+/++AQ==", "+/++AQ", "-_--AQ", " /  AQ=="] {
            assert_eq!(decode_message(spelling).unwrap(), raw, "{spelling:?}");
        }
        assert!(decode_message("!!!").is_err());
    }
}
