//! Profile endpoints: define, get, assign, remove. Ported from Go `godep`
//! `DefineProfile`, `GetProfile`, `AssignProfile` and `RemoveProfile`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A DEP enrollment profile (`POST /profile`, `GET /profile`). Every flag
/// is optional so that nothing is sent that the caller did not set (Go's
/// struct always sends `is_mdm_removable` and `org_magic`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Required by Apple.
    pub profile_name: String,
    /// The MDM enrollment URL (serves `application/x-apple-aspen-config`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A web-authentication URL instead of `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_web_url: Option<String>,
    /// Deprecated in iOS 13.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_pairing: Option<bool>,
    /// Ignored since iOS 13.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_supervised: Option<bool>,
    /// Always true since iOS 13.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mandatory: Option<bool>,
    /// Whether the user may remove the MDM profile (Apple's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mdm_removable: Option<bool>,
    /// Shared iPad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_multi_user: Option<bool>,
    /// Hold Setup Assistant until `DeviceConfigured`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub await_device_configured: Option<bool>,
    /// tvOS and macOS 11+.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_advance_setup: Option<bool>,
    /// Setup Assistant panes to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_setup_items: Option<Vec<String>>,
    /// Trust anchors for the MDM URL (base64 DER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_certs: Option<Vec<String>>,
    /// Hosts allowed to pair (base64 DER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervising_host_certs: Option<Vec<String>>,
    /// Shown in Setup Assistant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Opaque organisation identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_magic: Option<String>,
    /// ISO 639 language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// ISO 3166-1 region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Shown in Setup Assistant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_phone_number: Option<String>,
    /// Shown in Setup Assistant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email_address: Option<String>,
    /// Serial numbers to assign while defining.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<String>>,
    /// Present in `GET /profile` answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_uuid: Option<String>,
    /// Fields this crate does not name (`is_return_to_service`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `PUT /profile/devices` and `DELETE /profile/devices` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileDevicesRequest {
    /// The profile to assign (documented but ignored on removal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_uuid: Option<String>,
    /// Serial numbers.
    pub devices: Vec<String>,
}
