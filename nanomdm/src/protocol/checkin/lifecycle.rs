//! The enrollment lifecycle check-ins: Authenticate, TokenUpdate and
//! CheckOut.

use serde::Deserialize;

use super::fields;
use crate::protocol::enrollment::EnrollmentKeys;

/// `Authenticate`: the first message after the MDM profile is installed,
/// device channel only.
///
/// Port of nanomdm's `mdm.Authenticate`; keys per Apple's
/// `mdm/checkin/authenticate.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Authenticate {
    /// The identity keys (`UDID` or `EnrollmentID`).
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `Topic`: the APNs topic of the MDM push certificate.
    #[serde(rename = "Topic")]
    pub topic: String,
    /// `SerialNumber` (may be absent on User Enrollment).
    #[serde(rename = "SerialNumber", default, deserialize_with = "fields::some")]
    pub serial_number: Option<String>,
    /// `OSVersion`, e.g. `"15.2"`.
    #[serde(rename = "OSVersion", default, deserialize_with = "fields::some")]
    pub os_version: Option<String>,
    /// `BuildVersion`, e.g. `"24C101"`.
    #[serde(rename = "BuildVersion", default, deserialize_with = "fields::some")]
    pub build_version: Option<String>,
    /// `ProductName`, e.g. `"iPad2,5"`.
    #[serde(rename = "ProductName", default, deserialize_with = "fields::some")]
    pub product_name: Option<String>,
    /// `Model`, e.g. `"iMac14,2"`.
    #[serde(rename = "Model", default, deserialize_with = "fields::some")]
    pub model: Option<String>,
    /// `ModelName`, e.g. `"iMac"`.
    #[serde(rename = "ModelName", default, deserialize_with = "fields::some")]
    pub model_name: Option<String>,
    /// `DeviceName`.
    #[serde(rename = "DeviceName", default, deserialize_with = "fields::some")]
    pub device_name: Option<String>,
    /// `IMEI`.
    #[serde(rename = "IMEI", default, deserialize_with = "fields::some")]
    pub imei: Option<String>,
    /// `MEID`.
    #[serde(rename = "MEID", default, deserialize_with = "fields::some")]
    pub meid: Option<String>,
    /// `Challenge` (data, sent by older macOS).
    #[serde(rename = "Challenge", default, deserialize_with = "fields::some_bytes")]
    pub challenge: Option<Vec<u8>>,
}

/// `TokenUpdate`: a channel's push token, sent at enrollment and whenever
/// the token changes.
///
/// Port of nanomdm's `mdm.TokenUpdate`; keys per Apple's
/// `mdm/checkin/tokenupdate.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TokenUpdate {
    /// The identity keys of the channel being updated.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `Topic`: the APNs topic.
    #[serde(rename = "Topic")]
    pub topic: String,
    /// `Token`: the APNs device token (data).
    #[serde(rename = "Token", deserialize_with = "fields::bytes")]
    pub token: Vec<u8>,
    /// `PushMagic`: the string to send in the push payload's `mdm` key.
    #[serde(rename = "PushMagic")]
    pub push_magic: String,
    /// `UnlockToken` (data; device channel, iOS and some macOS).
    #[serde(
        rename = "UnlockToken",
        default,
        deserialize_with = "fields::some_bytes"
    )]
    pub unlock_token: Option<Vec<u8>>,
    /// `AwaitingConfiguration`: ADE Setup Assistant waits for `DeviceConfigured`.
    #[serde(rename = "AwaitingConfiguration", default)]
    pub awaiting_configuration: bool,
    /// `NotOnConsole`: the user is not logged in at the console (macOS).
    #[serde(rename = "NotOnConsole", default)]
    pub not_on_console: bool,
}

impl TokenUpdate {
    /// The push token as lowercase hex, as nanomdm stores it (`token_hex`).
    pub fn token_hex(&self) -> String {
        crate::hex::encode(&self.token)
    }
}

/// `CheckOut`: the MDM profile was removed (only with
/// `CheckOutWhenRemoved`; not guaranteed to arrive).
///
/// Port of nanomdm's `mdm.CheckOut`; keys per Apple's
/// `mdm/checkin/checkout.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckOut {
    /// The identity keys of the channel checking out.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `Topic`: the APNs topic.
    #[serde(rename = "Topic")]
    pub topic: String,
}
