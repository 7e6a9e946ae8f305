//! The DEP endpoints of the simulator.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::state::{Cursor, State, error, json, random_hex};
use crate::api::{
    self, Device, DeviceDetailsResponse, DeviceListResponse, DeviceStatusResponse, DevicesRequest,
    FetchDeviceRequest, OpType, Profile, ProfileDevicesRequest,
};
use crate::client::JSON_CONTENT_TYPE;
use crate::{oauth, timestamp};

/// The largest page Apple serves.
const MAX_LIMIT: usize = 1000;

/// An error answer not yet built (small, unlike a `Response`).
struct Refusal(StatusCode, &'static str);

impl Refusal {
    fn response(self) -> Response<Bytes> {
        error(self.0, self.1)
    }
}

fn parse<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, Refusal> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|_| Refusal(StatusCode::BAD_REQUEST, "MALFORMED_REQUEST_BODY"))
}

#[derive(Default, Deserialize)]
struct SyncBody {
    cursor: Option<String>,
    limit: Option<u32>,
}

fn op_name(op: OpType) -> &'static str {
    match op {
        OpType::Added => "added",
        OpType::Modified => "modified",
        OpType::Deleted => "deleted",
    }
}

impl State {
    pub(super) fn session(&mut self, request: &Request<Bytes>) -> Response<Bytes> {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v: &http::HeaderValue| v.to_str().ok())
        };
        if request.method() != http::Method::GET {
            return error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
        }
        if header(CONTENT_TYPE) != Some(JSON_CONTENT_TYPE) {
            return error(StatusCode::BAD_REQUEST, "CONTENT_TYPE_INVALID");
        }
        match header(USER_AGENT) {
            None | Some("") => return error(StatusCode::BAD_REQUEST, "USER_AGENT_MISSING"),
            Some(ua) if ua.contains("godep") => {
                return error(StatusCode::BAD_REQUEST, "USER_AGENT_INVALID");
            }
            Some(_) => {}
        }
        let Some(authorization) = header(AUTHORIZATION) else {
            return error(StatusCode::BAD_REQUEST, "OAUTH_MISSING");
        };
        let Some(params) = oauth::parse_authorization(authorization) else {
            return error(StatusCode::BAD_REQUEST, "OAUTH_MALFORMED");
        };
        if !oauth::verify("GET", request.uri(), authorization, &self.tokens) {
            return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        }
        let nonce = params.into_iter().find(|(k, _)| k == "oauth_nonce");
        let nonce = nonce.map(|(_, v)| v).unwrap_or_default();
        if !self.nonces.insert(nonce) {
            return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        }
        let token = random_hex(16);
        self.sessions.insert(token.clone());
        json(
            StatusCode::OK,
            &serde_json::json!({ "auth_session_token": token }),
        )
    }

    fn limit(&self, limit: Option<u32>) -> usize {
        let limit = limit.map_or(0, |l| usize::try_from(l).unwrap_or(MAX_LIMIT));
        if limit == 0 {
            self.default_limit.min(MAX_LIMIT)
        } else {
            limit.min(MAX_LIMIT)
        }
    }

    /// The cursor in `text`, or the error Apple gives for it.
    fn cursor(&self, text: &str) -> Result<Cursor, Refusal> {
        let cursor = Cursor::decode(text)
            .filter(|c| c.seq <= self.events.len())
            .ok_or(Refusal(StatusCode::BAD_REQUEST, "INVALID_CURSOR"))?;
        if self.cursor_expired(cursor) {
            return Err(Refusal(StatusCode::BAD_REQUEST, "EXPIRED_CURSOR"));
        }
        Ok(cursor)
    }

    pub(super) fn fetch_devices(&mut self, body: &Bytes) -> Response<Bytes> {
        let request: FetchDeviceRequest = match parse(body) {
            Ok(request) => request,
            Err(refusal) => return refusal.response(),
        };
        let (seq, offset) = match request.cursor.filter(|c| !c.is_empty()) {
            None => (self.events.len(), 0),
            Some(text) => match self.cursor(&text) {
                Err(refusal) => return refusal.response(),
                Ok(Cursor {
                    seq,
                    offset: Some(offset),
                    ..
                }) if offset < self.listing_at(seq).len() => (seq, offset),
                Ok(_) => return error(StatusCode::BAD_REQUEST, "EXHAUSTED_CURSOR"),
            },
        };
        let listing = self.listing_at(seq);
        let end = (offset + self.limit(request.limit)).min(listing.len());
        let cursor = Cursor {
            issued: self.now_secs(),
            epoch: self.cursor_epoch,
            seq,
            offset: Some(end),
        };
        json(
            StatusCode::OK,
            &DeviceListResponse {
                cursor: cursor.encode(),
                more_to_follow: end < listing.len(),
                fetched_until: Some(timestamp::format(self.now())),
                devices: listing[offset..end].to_vec(),
                ..DeviceListResponse::default()
            },
        )
    }

    pub(super) fn sync_devices(&mut self, body: &Bytes) -> Response<Bytes> {
        let request: SyncBody = match parse(body) {
            Ok(request) => request,
            Err(refusal) => return refusal.response(),
        };
        let Some(text) = request.cursor.filter(|c| !c.is_empty()) else {
            return error(StatusCode::BAD_REQUEST, "CURSOR_REQUIRED");
        };
        let cursor = match self.cursor(&text) {
            Ok(cursor) => cursor,
            Err(refusal) => return refusal.response(),
        };
        if self.repeat_cursor > 0 {
            self.repeat_cursor -= 1;
            let glitch = DeviceListResponse {
                cursor: text,
                more_to_follow: true,
                ..DeviceListResponse::default()
            };
            return json(StatusCode::OK, &glitch);
        }
        let end = (cursor.seq + self.limit(request.limit)).min(self.events.len());
        let devices = self.events[cursor.seq..end]
            .iter()
            .map(|event| Device {
                op_type: Some(op_name(event.op).to_owned()),
                op_date: Some(timestamp::format(event.at)),
                ..event.device.clone()
            })
            .collect();
        let next = Cursor {
            issued: self.now_secs(),
            epoch: self.cursor_epoch,
            seq: end,
            offset: None,
        };
        json(
            StatusCode::OK,
            &DeviceListResponse {
                cursor: next.encode(),
                more_to_follow: end < self.events.len(),
                devices,
                ..DeviceListResponse::default()
            },
        )
    }

    pub(super) fn device_details(&mut self, body: &Bytes) -> Response<Bytes> {
        let request: DevicesRequest = match parse(body) {
            Ok(request) => request,
            Err(refusal) => return refusal.response(),
        };
        if request.devices.is_empty() {
            return error(StatusCode::BAD_REQUEST, "DEVICE_ID_REQUIRED");
        }
        let devices = request
            .devices
            .into_iter()
            .map(|serial| {
                let (device, status) = match self.devices.get(&serial) {
                    Some(device) => (device.clone(), api::SUCCESS),
                    None => (Device::default(), api::NOT_ACCESSIBLE),
                };
                let device = Device {
                    serial_number: serial.clone(),
                    response_status: Some(status.to_owned()),
                    ..device
                };
                (serial, device)
            })
            .collect();
        json(
            StatusCode::OK,
            &DeviceDetailsResponse {
                devices,
                ..DeviceDetailsResponse::default()
            },
        )
    }

    pub(super) fn disown(&mut self, body: &Bytes) -> Response<Bytes> {
        let request: DevicesRequest = match parse(body) {
            Ok(request) => request,
            Err(refusal) => return refusal.response(),
        };
        if request.devices.is_empty() {
            return error(StatusCode::BAD_REQUEST, "DEVICE_ID_REQUIRED");
        }
        let devices = request
            .devices
            .into_iter()
            .map(|serial| {
                let status = match self.delete_device(&serial) {
                    true => api::SUCCESS,
                    false => api::NOT_ACCESSIBLE,
                };
                (serial, status.to_owned())
            })
            .collect();
        statuses(None, devices, None)
    }

    pub(super) fn define_profile(&mut self, body: &Bytes) -> Response<Bytes> {
        let mut profile: Profile = match parse(body) {
            Ok(profile) => profile,
            Err(refusal) => return refusal.response(),
        };
        if profile.profile_name.is_empty() {
            return error(StatusCode::BAD_REQUEST, "CONFIG_NAME_REQUIRED");
        }
        if profile.url.is_none() && profile.configuration_web_url.is_none() {
            return error(StatusCode::BAD_REQUEST, "CONFIG_URL_REQUIRED");
        }
        let uuid = random_hex(16);
        let serials = profile.devices.take().unwrap_or_default();
        profile.profile_uuid = Some(uuid.clone());
        self.profiles.insert(uuid.clone(), profile);
        let (devices, retry) = self.assign(&uuid, serials);
        statuses(Some(uuid), devices, retry)
    }

    pub(super) fn get_profile(&mut self, query: Option<&str>) -> Response<Bytes> {
        let uuid = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "profile_uuid")
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty());
        let Some(uuid) = uuid else {
            return error(StatusCode::BAD_REQUEST, "PROFILE_UUID_REQUIRED");
        };
        match self.profiles.get(&uuid) {
            Some(profile) => json(StatusCode::OK, profile),
            None => error(StatusCode::NOT_FOUND, "PROFILE_NOT_FOUND"),
        }
    }

    pub(super) fn assign_profile(&mut self, body: &Bytes) -> Response<Bytes> {
        let request: ProfileDevicesRequest = match parse(body) {
            Ok(request) => request,
            Err(refusal) => return refusal.response(),
        };
        let Some(uuid) = request.profile_uuid.filter(|u| !u.is_empty()) else {
            return error(StatusCode::BAD_REQUEST, "PROFILE_UUID_REQUIRED");
        };
        if !self.profiles.contains_key(&uuid) {
            return error(StatusCode::NOT_FOUND, "PROFILE_NOT_FOUND");
        }
        if request.devices.is_empty() {
            return error(StatusCode::BAD_REQUEST, "DEVICE_ID_REQUIRED");
        }
        let (devices, retry) = self.assign(&uuid, request.devices);
        statuses(Some(uuid), devices, retry)
    }

    /// Assigns `uuid` to each serial: status per serial, and the retry
    /// delay when any was throttled.
    fn assign(
        &mut self,
        uuid: &str,
        serials: Vec<String>,
    ) -> (BTreeMap<String, String>, Option<u64>) {
        let now = timestamp::format(self.now());
        let mut throttled = false;
        let statuses = serials
            .into_iter()
            .map(|serial| {
                let status = if !self.devices.contains_key(&serial) {
                    api::NOT_ACCESSIBLE
                } else if self.throttled.contains(&serial) {
                    throttled = true;
                    api::THROTTLED
                } else {
                    self.modify_device(&serial, |d| {
                        d.profile_uuid = Some(uuid.to_owned());
                        d.profile_status = Some("assigned".into());
                        d.profile_assign_time = Some(now.clone());
                    });
                    api::SUCCESS
                };
                (serial, status.to_owned())
            })
            .collect();
        (statuses, throttled.then_some(self.throttle_seconds))
    }

    pub(super) fn remove_profile(&mut self, body: &Bytes) -> Response<Bytes> {
        let request: ProfileDevicesRequest = match parse(body) {
            Ok(request) => request,
            Err(refusal) => return refusal.response(),
        };
        if request.devices.is_empty() {
            return error(StatusCode::BAD_REQUEST, "DEVICE_ID_REQUIRED");
        }
        let devices = request
            .devices
            .into_iter()
            .map(|serial| {
                let removed = self.modify_device(&serial, |d| {
                    d.profile_uuid = None;
                    d.profile_status = Some("removed".into());
                });
                let status = if removed {
                    api::SUCCESS
                } else {
                    api::NOT_ACCESSIBLE
                };
                (serial, status.to_owned())
            })
            .collect();
        statuses(None, devices, None)
    }
}

fn statuses(
    profile_uuid: Option<String>,
    devices: BTreeMap<String, String>,
    retry_after_seconds: Option<u64>,
) -> Response<Bytes> {
    json(
        StatusCode::OK,
        &DeviceStatusResponse {
            profile_uuid,
            devices,
            retry_after_seconds,
            ..DeviceStatusResponse::default()
        },
    )
}
