//! Check-in messages: the plists a device PUTs to the check-in URL, one
//! typed struct per Apple `MessageType`.
//!
//! Port of nanomdm's `mdm.DecodeCheckin`. Keys follow Apple's
//! `mdm/checkin/*.yaml` schemas; keys this library does not model are
//! ignored and survive in [`Checkin::raw`]. XML and binary plists are both
//! accepted.

mod fields;
mod lifecycle;
mod requests;

use bytes::Bytes;
use plist::{Dictionary, Value};
use serde::de::DeserializeOwned;

use crate::DecodeError;
use crate::protocol::enrollment::{Channel, EnrollmentKeys};

pub use lifecycle::{Authenticate, CheckOut, TokenUpdate};
pub use requests::{
    DeclarativeManagement, GetBootstrapToken, GetToken, ReturnToService, SetBootstrapToken,
    TokenParameters, UserAuthenticate,
};

/// The `TokenServiceType` of Apple Watch pairing, which requires
/// `TokenParameters`.
pub const WATCH_PAIRING_SERVICE_TYPE: &str = "com.apple.watch.pairing";

/// A decoded check-in message, one variant per `MessageType`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckinMessage {
    /// `Authenticate`.
    Authenticate(Authenticate),
    /// `TokenUpdate`.
    TokenUpdate(TokenUpdate),
    /// `CheckOut`.
    CheckOut(CheckOut),
    /// `UserAuthenticate`.
    UserAuthenticate(UserAuthenticate),
    /// `SetBootstrapToken`.
    SetBootstrapToken(SetBootstrapToken),
    /// `GetBootstrapToken`.
    GetBootstrapToken(GetBootstrapToken),
    /// `DeclarativeManagement`.
    DeclarativeManagement(DeclarativeManagement),
    /// `GetToken`.
    GetToken(GetToken),
    /// `ReturnToService`.
    ReturnToService(ReturnToService),
}

impl CheckinMessage {
    /// The `MessageType` string of this message, e.g. `"TokenUpdate"`.
    pub fn message_type(&self) -> &'static str {
        match self {
            Self::Authenticate(_) => "Authenticate",
            Self::TokenUpdate(_) => "TokenUpdate",
            Self::CheckOut(_) => "CheckOut",
            Self::UserAuthenticate(_) => "UserAuthenticate",
            Self::SetBootstrapToken(_) => "SetBootstrapToken",
            Self::GetBootstrapToken(_) => "GetBootstrapToken",
            Self::DeclarativeManagement(_) => "DeclarativeManagement",
            Self::GetToken(_) => "GetToken",
            Self::ReturnToService(_) => "ReturnToService",
        }
    }

    /// The identity keys the message carries.
    pub fn enrollment_keys(&self) -> &EnrollmentKeys {
        match self {
            Self::Authenticate(m) => &m.enrollment,
            Self::TokenUpdate(m) => &m.enrollment,
            Self::CheckOut(m) => &m.enrollment,
            Self::UserAuthenticate(m) => &m.enrollment,
            Self::SetBootstrapToken(m) => &m.enrollment,
            Self::GetBootstrapToken(m) => &m.enrollment,
            Self::DeclarativeManagement(m) => &m.enrollment,
            Self::GetToken(m) => &m.enrollment,
            Self::ReturnToService(m) => &m.enrollment,
        }
    }
}

/// A decoded check-in: the typed message, the body as received, and the
/// resolved enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkin {
    /// The typed message.
    pub message: CheckinMessage,
    /// The body exactly as received (nanomdm stores it, e.g. the raw
    /// Authenticate and TokenUpdate).
    pub raw: Bytes,
    /// The resolved channel: normalised ID, type and, for a user channel,
    /// the parent device-channel ID (see [`EnrollmentKeys::resolve`]).
    pub channel: Channel,
}

/// Decodes a check-in body (XML or binary plist), copying it into
/// [`Checkin::raw`].
///
/// # Errors
///
/// See [`decode_bytes`].
pub fn decode(body: &[u8]) -> Result<Checkin, DecodeError> {
    decode_bytes(Bytes::copy_from_slice(body))
}

/// Decodes a check-in body (XML or binary plist), keeping it as
/// [`Checkin::raw`] without copying.
///
/// # Errors
///
/// - [`DecodeError::Plist`]: not a plist, or a key has the wrong type.
/// - [`DecodeError::Invalid`]: the plist is not a dictionary, or
///   `MessageType` is not a string.
/// - [`DecodeError::Missing`]: `MessageType`, a key the message type
///   requires (e.g. `Topic`, `Token`), or a usable enrollment ID (`UDID` or
///   `EnrollmentID`) is absent or empty.
/// - [`DecodeError::UnknownMessageType`]: a `MessageType` not listed in
///   [`CheckinMessage`].
pub fn decode_bytes(body: Bytes) -> Result<Checkin, DecodeError> {
    let value = Value::from_reader(std::io::Cursor::new(&body)).map_err(DecodeError::Plist)?;
    let dict = value.as_dictionary().ok_or(DecodeError::Invalid {
        field: "plist",
        reason: "top level is not a dictionary",
    })?;
    let message = decode_message(&value, dict, message_type(dict)?)?;
    let channel = message.enrollment_keys().resolve()?;
    Ok(Checkin {
        message,
        raw: body,
        channel,
    })
}

/// The non-empty `MessageType` string of a check-in dictionary.
fn message_type(dict: &Dictionary) -> Result<&str, DecodeError> {
    match dict.get("MessageType") {
        None => Err(DecodeError::Missing("MessageType")),
        Some(Value::String(s)) if s.is_empty() => Err(DecodeError::Missing("MessageType")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(DecodeError::Invalid {
            field: "MessageType",
            reason: "not a string",
        }),
    }
}

/// Decodes the typed message for `message_type` after checking the keys it
/// requires.
fn decode_message(
    value: &Value,
    dict: &Dictionary,
    message_type: &str,
) -> Result<CheckinMessage, DecodeError> {
    Ok(match message_type {
        "Authenticate" => CheckinMessage::Authenticate(typed(value, dict, &["Topic"])?),
        "TokenUpdate" => {
            let required = ["Topic", "Token", "PushMagic"];
            CheckinMessage::TokenUpdate(typed(value, dict, &required)?)
        }
        "CheckOut" => CheckinMessage::CheckOut(typed(value, dict, &["Topic"])?),
        "UserAuthenticate" => {
            CheckinMessage::UserAuthenticate(typed(value, dict, &["UDID", "UserID"])?)
        }
        "SetBootstrapToken" => CheckinMessage::SetBootstrapToken(typed(value, dict, &[])?),
        "GetBootstrapToken" => CheckinMessage::GetBootstrapToken(typed(value, dict, &[])?),
        "DeclarativeManagement" => {
            CheckinMessage::DeclarativeManagement(typed(value, dict, &["Endpoint"])?)
        }
        "GetToken" => {
            let message: GetToken = typed(value, dict, &["TokenServiceType"])?;
            if message.token_service_type == WATCH_PAIRING_SERVICE_TYPE
                && message.token_parameters.is_none()
            {
                return Err(DecodeError::Missing("TokenParameters"));
            }
            CheckinMessage::GetToken(message)
        }
        "ReturnToService" => CheckinMessage::ReturnToService(typed(value, dict, &[])?),
        other => return Err(DecodeError::UnknownMessageType(other.to_owned())),
    })
}

/// Checks that every `required` key is present and non-empty, then
/// deserialises the whole dictionary as `T`.
fn typed<T: DeserializeOwned>(
    value: &Value,
    dict: &Dictionary,
    required: &[&'static str],
) -> Result<T, DecodeError> {
    for &key in required {
        let present = match dict.get(key) {
            None => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Data(d)) => !d.is_empty(),
            // A wrong type is reported by serde below.
            Some(_) => true,
        };
        if !present {
            return Err(DecodeError::Missing(key));
        }
    }
    plist::from_value(value).map_err(DecodeError::Plist)
}
