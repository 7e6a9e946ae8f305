//! One MDM push as APNs' HTTP/2 API wants it, and what APNs answers.
//!
//! Pure: [`Notification::to_request`] builds the request any HTTP/2 client
//! can send, and [`parse_response`] turns APNs' answer into a result.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap};
use http::{Method, Request, StatusCode, Uri};

use super::reason::ApnsReason;
use super::{PushError, Pushed};
use crate::store::PushInfo;

/// `apns-topic`: the push certificate's topic.
pub const APNS_TOPIC: &str = "apns-topic";
/// `apns-push-type`: `mdm` for MDM pushes.
pub const APNS_PUSH_TYPE: &str = "apns-push-type";
/// `apns-priority`: 10 (immediate), the only value MDM uses.
pub const APNS_PRIORITY: &str = "apns-priority";
/// `apns-expiration`: until when APNs keeps retrying, UNIX seconds.
pub const APNS_EXPIRATION: &str = "apns-expiration";
/// `apns-id`: the notification's ID, answered by APNs.
pub const APNS_ID: &str = "apns-id";

/// One MDM push to one device channel. Port of Go `mdm.Push` with the
/// request building of nanopush's `provider.push`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The device token (from TokenUpdate).
    pub token: Vec<u8>,
    /// `PushMagic` (from TokenUpdate), the whole payload.
    pub push_magic: String,
    /// The APNs topic of the enrollment (its push certificate's UID).
    pub topic: String,
    /// Until when APNs keeps trying to deliver; `None` sends no
    /// `apns-expiration` (APNs then decides).
    pub expiration: Option<SystemTime>,
}

impl Notification {
    /// The push for a channel's push info, expiring at `expiration`.
    pub fn new(info: &PushInfo, expiration: Option<SystemTime>) -> Self {
        Self {
            token: info.token.clone(),
            push_magic: info.push_magic.clone(),
            topic: info.topic.clone(),
            expiration,
        }
    }

    /// The device token as lowercase hex, as APNs' path wants it.
    pub fn token_hex(&self) -> String {
        crate::hex::encode(&self.token)
    }

    /// The body: exactly `{"mdm":"<PushMagic>"}`, with `PushMagic` JSON
    /// escaped (nanomdm concatenates strings and would emit broken JSON for
    /// a magic containing a quote).
    pub fn payload(&self) -> Bytes {
        #[derive(serde::Serialize)]
        struct Payload<'a> {
            mdm: &'a str,
        }
        let json = serde_json::to_vec(&Payload {
            mdm: &self.push_magic,
        })
        .expect("a struct of one string always serialises");
        Bytes::from(json)
    }

    /// The request path, `/3/device/<hex token>`.
    pub fn path(&self) -> String {
        format!("/3/device/{}", self.token_hex())
    }

    /// The whole request to `base` (scheme and authority of the APNs
    /// server; its path is ignored): `POST /3/device/<hex token>` with
    /// `apns-topic`, `apns-push-type: mdm`, `apns-priority: 10`,
    /// `apns-expiration` when set, and `content-type: application/json`.
    ///
    /// Fails when `base` has no scheme or authority, or the topic is not a
    /// valid header value.
    pub fn to_request(&self, base: &Uri) -> Result<Request<Bytes>, RequestError> {
        let (Some(scheme), Some(authority)) = (base.scheme(), base.authority()) else {
            return Err(RequestError::BaseUrl(base.to_string()));
        };
        let uri = Uri::builder()
            .scheme(scheme.clone())
            .authority(authority.clone())
            .path_and_query(self.path())
            .build()?;
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(CONTENT_TYPE, "application/json")
            .header(APNS_TOPIC, self.topic.as_str())
            .header(APNS_PUSH_TYPE, "mdm")
            .header(APNS_PRIORITY, "10");
        if let Some(expiration) = self.expiration {
            request = request.header(APNS_EXPIRATION, unix_seconds(expiration).to_string());
        }
        Ok(request.body(self.payload())?)
    }
}

/// Why a [`Notification`] could not be made into a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The APNs base URL lacks a scheme or an authority.
    #[error("APNs base URL {0:?} has no scheme or host")]
    BaseUrl(String),
    /// A header value is invalid (a topic with control characters).
    #[error("invalid APNs request")]
    Http(#[from] http::Error),
}

/// Seconds since the epoch; 0 (deliver once, do not store) for times
/// before it.
fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Turns APNs' answer to one notification into its result: 200 is a
/// success with the `apns-id` header (empty if APNs sent none), anything
/// else a [`PushError::Apns`] with the `reason` and, for 410, the
/// `timestamp` of the JSON body. Port of nanopush's response handling.
pub fn parse_response(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Pushed, PushError> {
    if status == StatusCode::OK {
        let apns_id = headers
            .get(APNS_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        return Ok(Pushed { apns_id });
    }
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        reason: String,
        timestamp: Option<u64>,
    }
    let (reason, timestamp) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => (body.reason, body.timestamp),
        // Not APNs' JSON (a proxy's error page): the status still says a lot.
        Err(_) => (String::new(), None),
    };
    Err(PushError::Apns {
        status: status.as_u16(),
        reason: ApnsReason::parse(&reason),
        timestamp: timestamp.map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification() -> Notification {
        Notification {
            token: vec![0xab, 0x01, 0xff],
            push_magic: "2A3B-magic".to_owned(),
            topic: "com.apple.mgmt.External.test".to_owned(),
            expiration: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        }
    }

    #[test]
    fn the_payload_is_exactly_the_mdm_key_with_the_push_magic() {
        assert_eq!(&notification().payload()[..], br#"{"mdm":"2A3B-magic"}"#);
    }

    #[test]
    fn a_push_magic_with_quotes_is_json_escaped() {
        let mut n = notification();
        n.push_magic = "a\"b\\c".to_owned();
        assert_eq!(&n.payload()[..], br#"{"mdm":"a\"b\\c"}"#);
        let back: serde_json::Value = serde_json::from_slice(&n.payload()).unwrap();
        assert_eq!(back["mdm"], "a\"b\\c");
    }

    #[test]
    fn the_request_carries_every_mdm_header_and_the_hex_token_path() {
        let base: Uri = "https://apns.example:2197/ignored".parse().unwrap();
        let request = notification().to_request(&base).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(
            request.uri().to_string(),
            "https://apns.example:2197/3/device/ab01ff"
        );
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("content-type"), "application/json");
        assert_eq!(header(APNS_TOPIC), "com.apple.mgmt.External.test");
        assert_eq!(header(APNS_PUSH_TYPE), "mdm");
        assert_eq!(header(APNS_PRIORITY), "10");
        assert_eq!(header(APNS_EXPIRATION), "1700000000");
        assert_eq!(request.body(), &notification().payload());
    }

    #[test]
    fn no_expiration_sends_no_expiration_header() {
        let mut n = notification();
        n.expiration = None;
        let request = n.to_request(&"https://a.example".parse().unwrap()).unwrap();
        assert!(request.headers().get(APNS_EXPIRATION).is_none());
    }

    #[test]
    fn a_base_without_authority_is_an_error() {
        let err = notification()
            .to_request(&"/relative".parse().unwrap())
            .unwrap_err();
        assert!(matches!(err, RequestError::BaseUrl(_)), "{err:?}");
        let mut n = notification();
        n.topic = "bad\ntopic".to_owned();
        let err = n
            .to_request(&"https://a.example".parse().unwrap())
            .unwrap_err();
        assert!(matches!(err, RequestError::Http(_)), "{err:?}");
    }

    #[test]
    fn success_takes_the_apns_id_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            APNS_ID,
            "EC1BF194-B3B2-424A-89A9-5A918A6E6B5C".parse().unwrap(),
        );
        let pushed = parse_response(StatusCode::OK, &headers, b"").unwrap();
        assert_eq!(pushed.apns_id, "EC1BF194-B3B2-424A-89A9-5A918A6E6B5C");
    }

    #[test]
    fn unregistered_carries_its_reason_and_timestamp() {
        let err = parse_response(
            StatusCode::GONE,
            &HeaderMap::new(),
            br#"{"reason":"Unregistered","timestamp":1700000000123}"#,
        )
        .unwrap_err();
        let PushError::Apns {
            status,
            reason,
            timestamp,
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(status, 410);
        assert_eq!(reason, ApnsReason::Unregistered);
        assert_eq!(
            timestamp,
            Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
        );
    }

    #[test]
    fn an_error_body_that_is_not_json_keeps_the_status() {
        let err =
            parse_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>").unwrap_err();
        assert!(
            matches!(&err, PushError::Apns { status: 502, reason: ApnsReason::Other(r), timestamp: None } if r.is_empty()),
            "{err:?}"
        );
        assert!(err.to_string().contains("502"), "{err}");
    }
}
