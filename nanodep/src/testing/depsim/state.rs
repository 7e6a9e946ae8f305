//! The simulator's state: tokens, sessions, devices with their change log,
//! profiles, cursors, injected failures; and request dispatch.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde::Serialize;

use super::{CURSOR_LIFETIME, Failure};
use crate::api::{AccountDetail, AccountUrl, Device, OpType, Profile};
use crate::client::SESSION_HEADER;
use crate::timestamp;
use crate::token_pki::OAuth1Tokens;

/// One request as the simulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path, without query.
    pub path: String,
    /// The answer's status.
    pub status: StatusCode,
}

/// A change of a device, as sync reports it.
#[derive(Debug, Clone)]
pub(super) struct Event {
    pub(super) device: Device,
    pub(super) op: OpType,
    pub(super) at: SystemTime,
}

/// A decoded cursor: when it was issued, the expiry epoch it belongs to
/// ([`DepSim::expire_cursors`](super::DepSim::expire_cursors) starts a new
/// one), the change-log position it stands for, and during a fetch the
/// offset into the listing at that position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cursor {
    pub(super) issued: u64,
    pub(super) epoch: u32,
    pub(super) seq: usize,
    pub(super) offset: Option<usize>,
}

impl Cursor {
    pub(super) fn encode(self) -> String {
        let offset = self
            .offset
            .map_or_else(|| "-".to_owned(), |o| o.to_string());
        let (issued, epoch, seq) = (self.issued, self.epoch, self.seq);
        URL_SAFE_NO_PAD.encode(format!("depsim:{issued}:{epoch}:{seq}:{offset}"))
    }

    pub(super) fn decode(text: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let mut parts = raw.strip_prefix("depsim:")?.split(':');
        let issued = parts.next()?.parse().ok()?;
        let epoch = parts.next()?.parse().ok()?;
        let seq = parts.next()?.parse().ok()?;
        let offset = match parts.next()? {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        parts.next().is_none().then_some(Self {
            issued,
            epoch,
            seq,
            offset,
        })
    }
}

#[derive(Debug)]
pub(crate) struct State {
    pub(super) tokens: OAuth1Tokens,
    pub(super) sessions: HashSet<String>,
    pub(super) nonces: HashSet<String>,
    pub(super) account: AccountDetail,
    pub(super) devices: BTreeMap<String, Device>,
    pub(super) events: Vec<Event>,
    pub(super) profiles: BTreeMap<String, Profile>,
    pub(super) failures: HashMap<String, VecDeque<Failure>>,
    pub(super) throttled: BTreeSet<String>,
    pub(super) throttle_seconds: u64,
    pub(super) repeat_cursor: u32,
    pub(super) cursor_epoch: u32,
    pub(super) rotate_sessions: bool,
    pub(super) forbidden_for_unknown_sessions: bool,
    pub(super) default_limit: usize,
    pub(super) clock: Option<SystemTime>,
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) locked: BTreeSet<String>,
    pub(super) apple_seed_for_it: bool,
    pub(super) service_discovery_url: Option<String>,
}

/// Random upper-case hex of `bytes` bytes.
pub(super) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The simulator only needs uniqueness; a failing RNG is fatal anyway.
    cryptoutil::algorithm::fill_random(&mut buf).expect("the system RNG works");
    buf.iter().map(|b| format!("{b:02X}")).collect()
}

fn default_account() -> AccountDetail {
    let url = |uri: &str, methods: &[&str]| AccountUrl {
        uri: uri.to_owned(),
        http_method: methods.iter().map(|m| (*m).to_owned()).collect(),
        ..AccountUrl::default()
    };
    AccountDetail {
        server_name: Some("depsim".into()),
        server_uuid: Some(random_hex(16)),
        admin_id: Some("admin@depsim.invalid".into()),
        org_name: Some("depsim".into()),
        org_type: Some("org".into()),
        org_version: Some("v2".into()),
        urls: vec![
            url("/session", &["GET"]),
            url("/account", &["GET"]),
            url("/server/devices", &["POST"]),
            url("/devices/sync", &["POST"]),
            url("/devices", &["POST"]),
            url("/devices/disown", &["POST"]),
            url("/profile", &["GET", "POST"]),
            url("/profile/devices", &["DELETE", "POST", "PUT"]),
            url("/device/activationlock", &["POST"]),
            url("/os-beta-enrollment/tokens", &["GET"]),
            url("/account-driven-enrollment/profile", &["POST"]),
        ],
        ..AccountDetail::default()
    }
}

impl State {
    pub(super) fn new() -> Self {
        let mut state = Self {
            tokens: OAuth1Tokens {
                consumer_key: format!("CK_{}", random_hex(32).to_lowercase()),
                consumer_secret: String::new(),
                access_token: String::new(),
                access_secret: String::new(),
                access_token_expiry: None,
            },
            sessions: HashSet::new(),
            nonces: HashSet::new(),
            account: default_account(),
            devices: BTreeMap::new(),
            events: Vec::new(),
            profiles: BTreeMap::new(),
            failures: HashMap::new(),
            throttled: BTreeSet::new(),
            throttle_seconds: 86_400,
            repeat_cursor: 0,
            cursor_epoch: 0,
            rotate_sessions: false,
            forbidden_for_unknown_sessions: false,
            default_limit: 100,
            clock: None,
            requests: Vec::new(),
            locked: BTreeSet::new(),
            apple_seed_for_it: true,
            service_discovery_url: None,
        };
        state.renew_tokens();
        state
    }

    pub(super) fn now(&self) -> SystemTime {
        self.clock.unwrap_or_else(SystemTime::now)
    }

    pub(super) fn now_secs(&self) -> u64 {
        let since = self.now().duration_since(SystemTime::UNIX_EPOCH);
        since.unwrap_or_default().as_secs()
    }

    pub(super) fn renew_tokens(&mut self) {
        let random = || random_hex(32).to_lowercase();
        self.tokens.consumer_secret = format!("CS_{}", random());
        self.tokens.access_token = format!("AT_{}", random());
        self.tokens.access_secret = format!("AS_{}", random());
        let expiry = Duration::from_secs(self.now_secs() + 365 * 86_400);
        self.tokens.access_token_expiry = Some(SystemTime::UNIX_EPOCH + expiry);
        self.sessions.clear();
    }

    pub(super) fn record(&mut self, device: Device, op: OpType) {
        let at = self.now();
        self.events.push(Event { device, op, at });
    }

    pub(super) fn add_device(&mut self, mut device: Device) {
        if device.device_assigned_date.is_none() {
            device.device_assigned_date = Some(timestamp::format(self.now()));
        }
        self.devices
            .insert(device.serial_number.clone(), device.clone());
        self.record(device, OpType::Added);
    }

    pub(super) fn modify_device(&mut self, serial: &str, change: impl FnOnce(&mut Device)) -> bool {
        let Some(device) = self.devices.get_mut(serial) else {
            return false;
        };
        change(device);
        device.serial_number = serial.to_owned();
        let device = device.clone();
        self.record(device, OpType::Modified);
        true
    }

    pub(super) fn delete_device(&mut self, serial: &str) -> bool {
        let Some(device) = self.devices.remove(serial) else {
            return false;
        };
        self.record(device, OpType::Deleted);
        true
    }

    /// The devices assigned after the first `seq` events, by serial.
    pub(super) fn listing_at(&self, seq: usize) -> Vec<Device> {
        let mut devices = BTreeMap::new();
        for event in &self.events[..seq.min(self.events.len())] {
            let serial = event.device.serial_number.clone();
            match event.op {
                OpType::Deleted => devices.remove(&serial),
                _ => devices.insert(serial, event.device.clone()),
            };
        }
        devices.into_values().collect()
    }

    pub(super) fn cursor_expired(&self, cursor: Cursor) -> bool {
        let issued = SystemTime::UNIX_EPOCH + Duration::from_secs(cursor.issued);
        let too_old = issued + CURSOR_LIFETIME < self.now();
        too_old || cursor.epoch < self.cursor_epoch
    }

    /// Serves one (absolute-URI) DEP request and records it.
    pub(crate) fn handle(&mut self, request: &Request<Bytes>) -> Response<Bytes> {
        let path = request.uri().path().to_owned();
        let response = self.dispatch(&path, request);
        self.requests.push(RecordedRequest {
            method: request.method().clone(),
            path,
            status: response.status(),
        });
        response
    }

    fn dispatch(&mut self, path: &str, request: &Request<Bytes>) -> Response<Bytes> {
        if let Some(failure) = self.failures.get_mut(path).and_then(VecDeque::pop_front) {
            return failure_response(&failure);
        }
        if path == "/session" {
            return self.session(request);
        }
        let session = request
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|s| self.sessions.contains(*s))
            .map(str::to_owned);
        let Some(session) = session else {
            return if self.forbidden_for_unknown_sessions {
                error(StatusCode::FORBIDDEN, "FORBIDDEN")
            } else {
                error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
            };
        };
        let mut response = self.route(path, request);
        if self.rotate_sessions {
            let rotated = random_hex(16);
            self.sessions.remove(&session);
            self.sessions.insert(rotated.clone());
            if let Ok(value) = rotated.parse() {
                response.headers_mut().insert(SESSION_HEADER, value);
            }
        }
        response
    }

    fn route(&mut self, path: &str, request: &Request<Bytes>) -> Response<Bytes> {
        let method = request.method();
        let body = request.body();
        match (method.as_str(), path) {
            ("GET", "/account") => json(StatusCode::OK, &self.account),
            ("POST", "/server/devices") => self.fetch_devices(body),
            ("POST", "/devices/sync") => self.sync_devices(body),
            ("POST", "/devices") => self.device_details(body),
            ("POST", "/devices/disown") => self.disown(body),
            ("POST", "/profile") => self.define_profile(body),
            ("GET", "/profile") => self.get_profile(request.uri().query()),
            ("PUT" | "POST", "/profile/devices") => self.assign_profile(body),
            ("DELETE", "/profile/devices") => self.remove_profile(body),
            ("POST", "/device/activationlock") => self.activation_lock(body),
            ("GET", "/os-beta-enrollment/tokens") => self.os_beta_enrollment_tokens(),
            ("POST", "/account-driven-enrollment/profile") => self.account_driven_enrollment(body),
            (_, "/account" | "/server/devices" | "/devices/sync" | "/devices")
            | (_, "/devices/disown" | "/profile" | "/profile/devices") => {
                error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED")
            }
            _ => error(StatusCode::NOT_FOUND, "NOT_FOUND"),
        }
    }
}

/// A JSON answer.
pub(super) fn json(status: StatusCode, value: &impl Serialize) -> Response<Bytes> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json;charset=UTF8"),
    );
    response
}

/// An error answer: the JSON-quoted code, as Apple's depsim writes it.
pub(super) fn error(status: StatusCode, code: &str) -> Response<Bytes> {
    json(status, &code)
}

fn failure_response(failure: &Failure) -> Response<Bytes> {
    let mut response = match &failure.code {
        Some(code) => error(failure.status, code),
        None => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = failure.status;
            response
        }
    };
    if let Some(seconds) = failure.retry_after {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, seconds.into());
    }
    response
}
