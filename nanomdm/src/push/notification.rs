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
mod tests;
