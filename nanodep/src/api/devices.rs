//! Device endpoints: fetch, sync, details, disown. Ported from Go `godep`
//! `FetchDevices`, `SyncDevices`, `DeviceDetails` and `DisownDevices`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A device as fetch, sync and details return it. Every field but the
/// serial number may be missing (Apple omits `color`, for one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// The serial number, the key.
    pub serial_number: String,
    /// e.g. `MacBook Pro`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// e.g. `MBP 13.3 SPACE GRAY/2.0GHZ/8GB/256GB-USA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// The asset tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_tag: Option<String>,
    /// `empty`, `assigned`, `pushed` or `removed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_status: Option<String>,
    /// The assigned profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_uuid: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_assign_time: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_push_time: Option<String>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_assigned_date: Option<String>,
    /// The email of who assigned the device to this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_assigned_by: Option<String>,
    /// `iOS`, `iPadOS`, `OSX`, `tvOS`, `visionOS` (protocol 2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// `iPad`, `iPhone`, `iPod`, `Mac`, `AppleTV`, `Vision` (protocol 2+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_family: Option<String>,
    /// Sync only: `added`, `modified` or `deleted`; see [`Device::op`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_type: Option<String>,
    /// Sync only: when the operation happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_date: Option<String>,
    /// Device details only: `SUCCESS`, `NOT_ACCESSIBLE`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<String>,
    /// Fields this crate does not name (`mdm_migration_deadline`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A sync operation type, read case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpType {
    /// The device was assigned to this server.
    Added,
    /// The device changed (or moved here from another server).
    Modified,
    /// The device was unassigned from this server.
    Deleted,
}

impl Device {
    /// The sync operation, `None` for fetch results and unknown values.
    pub fn op(&self) -> Option<OpType> {
        let op = self.op_type.as_deref()?;
        [
            ("added", OpType::Added),
            ("modified", OpType::Modified),
            ("deleted", OpType::Deleted),
        ]
        .into_iter()
        .find(|(text, _)| op.eq_ignore_ascii_case(text))
        .map(|(_, op)| op)
    }
}

/// `POST /server/devices` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchDeviceRequest {
    /// Where to continue; omitted on the first call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size; Apple's default when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `POST /devices/sync` body. The cursor is required (Apple answers
/// `CURSOR_REQUIRED` without one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDeviceRequest {
    /// Where to continue.
    pub cursor: String,
    /// Page size; Apple's default when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The answer to fetch and sync. Ported from Go `godep.DeviceResponse`
/// (`FetchDeviceResponse` in Apple's schema).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceListResponse {
    /// The position after this page.
    #[serde(default)]
    pub cursor: String,
    /// Whether to call again at once with [`Self::cursor`].
    #[serde(default)]
    pub more_to_follow: bool,
    /// Fetch only: the time the listing was taken (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_until: Option<String>,
    /// The devices, in operation order.
    #[serde(default)]
    pub devices: Vec<Device>,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A list of serial numbers: the body of `POST /devices` and
/// `POST /devices/disown`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicesRequest {
    /// Serial numbers.
    pub devices: Vec<String>,
}

/// `POST /devices` answer: details per serial number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceDetailsResponse {
    /// Details per serial number, with `response_status`.
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A status per serial number: the answer of disown and of the profile
/// endpoints (`SUCCESS`, `NOT_ACCESSIBLE`, `FAILED`, `THROTTLED`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceStatusResponse {
    /// The profile concerned, when the endpoint names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_uuid: Option<String>,
    /// Status per serial number.
    #[serde(default)]
    pub devices: BTreeMap<String, String>,
    /// Assign only (protocol 10+): how long to wait before assigning
    /// `THROTTLED` devices again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /device/activationlock` body. Ported from Go
/// `godep.ActivationLockRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationLockRequest {
    /// The device's serial number.
    pub device: String,
    /// The bypass code hash (hex PBKDF2-SHA256), if escrowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escrow_key: Option<String>,
    /// A message for the lost device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_message: Option<String>,
}

/// `POST /device/activationlock` answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivationLockResponse {
    /// The device's serial number.
    #[serde(default)]
    pub serial_number: String,
    /// `SUCCESS`, `NOT_ACCESSIBLE`, `ORG_NOT_SUPPORTED`,
    /// `DEVICE_NOT_SUPPORTED`, `DEVICE_ALREADY_LOCKED` or `FAILED`.
    #[serde(default)]
    pub response_status: String,
    /// Fields this crate does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
