//! The check-ins that ask the server for something: UserAuthenticate,
//! the bootstrap token pair, DeclarativeManagement, GetToken and
//! ReturnToService.

use serde::Deserialize;

use super::fields;
use crate::protocol::enrollment::EnrollmentKeys;

/// `UserAuthenticate`: a macOS directory or mobile user asks for a user
/// channel, in two steps (challenge, then digest response).
///
/// Port of nanomdm's `mdm.UserAuthenticate`; keys per Apple's
/// `mdm/checkin/userauthenticate.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserAuthenticate {
    /// The identity keys (`UDID` and `UserID`).
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `DigestResponse`: present on the second message only.
    #[serde(rename = "DigestResponse", default, deserialize_with = "fields::some")]
    pub digest_response: Option<String>,
}

impl UserAuthenticate {
    /// The client's answer to a `DigestChallenge`, or `None` on the initial
    /// request. An empty `DigestResponse` counts as absent, as in nanomdm.
    pub fn digest_response(&self) -> Option<&str> {
        self.digest_response.as_deref().filter(|r| !r.is_empty())
    }

    /// Whether this is the second message, answering a `DigestChallenge`;
    /// `false` for the initial request the server answers with a challenge
    /// (or 410 to decline the user).
    pub fn is_digest_response(&self) -> bool {
        self.digest_response().is_some()
    }
}

/// `SetBootstrapToken`: the device escrows (or, empty, removes) its
/// bootstrap token (macOS 10.15+).
///
/// Keys per Apple's `mdm/checkin/setbootstraptoken.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SetBootstrapToken {
    /// The identity keys.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `BootstrapToken` (data); absent or empty means remove the token.
    #[serde(
        rename = "BootstrapToken",
        default,
        deserialize_with = "fields::some_bytes"
    )]
    pub bootstrap_token: Option<Vec<u8>>,
    /// `AwaitingConfiguration`.
    #[serde(rename = "AwaitingConfiguration", default)]
    pub awaiting_configuration: bool,
}

/// `GetBootstrapToken`: the device asks for its escrowed bootstrap token
/// (macOS 10.15+).
///
/// Keys per Apple's `mdm/checkin/getbootstraptoken.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetBootstrapToken {
    /// The identity keys.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `AwaitingConfiguration`.
    #[serde(rename = "AwaitingConfiguration", default)]
    pub awaiting_configuration: bool,
}

/// `DeclarativeManagement`: a Declarative Device Management request.
///
/// Keys per Apple's `mdm/checkin/declarativemanagement.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DeclarativeManagement {
    /// The identity keys.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `Endpoint`: `tokens`, `declaration-items`, `status` or
    /// `declaration/<type>/<identifier>`.
    #[serde(rename = "Endpoint")]
    pub endpoint: String,
    /// `Data` (data): the JSON body, e.g. a status report.
    #[serde(rename = "Data", default, deserialize_with = "fields::some_bytes")]
    pub data: Option<Vec<u8>>,
}

/// `GetToken`: the device asks for a token of a service (iOS 17, macOS 14).
///
/// Keys per Apple's `mdm/checkin/gettoken.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetToken {
    /// The identity keys.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `TokenServiceType`, e.g. `com.apple.maid` or `com.apple.watch.pairing`.
    #[serde(rename = "TokenServiceType")]
    pub token_service_type: String,
    /// `TokenParameters` (required for `com.apple.watch.pairing`).
    #[serde(rename = "TokenParameters", default, deserialize_with = "fields::some")]
    pub token_parameters: Option<TokenParameters>,
}

/// The `TokenParameters` dictionary of [`GetToken`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TokenParameters {
    /// `SecurityToken`.
    #[serde(rename = "SecurityToken", default, deserialize_with = "fields::some")]
    pub security_token: Option<String>,
    /// `PhoneUDID`.
    #[serde(rename = "PhoneUDID", default, deserialize_with = "fields::some")]
    pub phone_udid: Option<String>,
    /// `WatchUDID`.
    #[serde(rename = "WatchUDID", default, deserialize_with = "fields::some")]
    pub watch_udid: Option<String>,
}

/// `ReturnToService`: the device asks for its Return to Service settings
/// (iOS and visionOS 26; supervised ADE devices).
///
/// Apple's 26.0 check-in list gives `UDID` as its only request key; the
/// reply is a `ReturnToService` dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReturnToService {
    /// The identity keys.
    #[serde(flatten)]
    pub enrollment: EnrollmentKeys,
    /// `Topic`, if the device sends it.
    #[serde(rename = "Topic", default, deserialize_with = "fields::some")]
    pub topic: Option<String>,
}
