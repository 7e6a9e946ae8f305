//! Commands and command reports.
//!
//! A [`Command`] is what the server queues and a device receives: a plist
//! `{CommandUUID, Command: {RequestType, ...}}`. [`Command::decode`] applies
//! nanomdm's enqueue validation to a submitted body, and keeps the body, which
//! a queue stores and serves byte for byte. A [`Report`] is what a device
//! sends back ([`decode_report`]): its [`Status`], the `CommandUUID` it
//! answers, any `ErrorChain`, and the whole response as received.

mod report;
mod request_types;

use bytes::Bytes;
use plist::{Dictionary, Value};

pub use report::{ErrorChainItem, Report, Status, decode_report};
pub use request_types::{KNOWN_REQUEST_TYPES, is_known_request_type};

use crate::DecodeError;

/// An MDM command: its UUID, its `RequestType` and the `Command` dictionary.
///
/// Built with [`Command::new`] (fresh UUID) or [`Command::decode`] (a
/// submitted plist). The UUID and request type are never empty when the
/// command comes from [`Command::decode`].
#[derive(Debug, Clone)]
pub struct Command {
    command_uuid: String,
    request_type: String,
    payload: Dictionary,
    raw: Option<Bytes>,
}

impl Command {
    /// A command of `request_type` with the other `fields` of its `Command`
    /// dictionary (a `RequestType` among them is replaced), and a fresh random
    /// UUID (version 4, upper-case `8-4-4-4-12` hex, as Apple's tools write).
    ///
    /// An empty `request_type` makes a command that [`Command::decode`] would
    /// refuse.
    ///
    /// # Panics
    ///
    /// If the system random number generator fails.
    #[must_use]
    pub fn new(request_type: impl Into<String>, mut fields: Dictionary) -> Self {
        let request_type = request_type.into();
        fields.insert(
            "RequestType".to_owned(),
            Value::String(request_type.clone()),
        );
        Self {
            command_uuid: new_uuid(),
            request_type,
            payload: fields,
            raw: None,
        }
    }

    /// Decodes a submitted command plist (XML or binary), as nanomdm's
    /// `/v1/enqueue` does: the body must be a dictionary with a non-empty
    /// `CommandUUID` string and a `Command` dictionary holding a non-empty
    /// `RequestType` string. Other keys are allowed. The body is kept
    /// ([`Command::raw`]).
    ///
    /// An empty body is not a command (nanomdm's API treats it as push-only;
    /// check for it before calling this).
    ///
    /// # Errors
    ///
    /// [`DecodeError::Plist`] if the body is not a plist,
    /// [`DecodeError::Missing`] naming an absent or empty key, and
    /// [`DecodeError::Invalid`] naming a key of the wrong type.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut dict = parse_dictionary(body)?;
        let command_uuid = required_string(&dict, "CommandUUID")?;
        let payload = match dict.remove("Command") {
            Some(Value::Dictionary(payload)) => payload,
            Some(_) => return Err(wrong_type("Command", "not a dictionary")),
            None => return Err(DecodeError::Missing("Command")),
        };
        let request_type = required_string(&payload, "RequestType")?;
        Ok(Self {
            command_uuid,
            request_type,
            payload,
            raw: Some(Bytes::copy_from_slice(body)),
        })
    }

    /// The `CommandUUID`.
    #[must_use]
    pub fn command_uuid(&self) -> &str {
        &self.command_uuid
    }

    /// The `Command.RequestType`.
    #[must_use]
    pub fn request_type(&self) -> &str {
        &self.request_type
    }

    /// The `Command` dictionary, `RequestType` included.
    #[must_use]
    pub fn payload(&self) -> &Dictionary {
        &self.payload
    }

    /// The body as submitted, for a command from [`Command::decode`]; `None`
    /// for one from [`Command::new`].
    #[must_use]
    pub fn raw(&self) -> Option<&Bytes> {
        self.raw.as_ref()
    }

    /// Whether Apple documents this command's request type (see
    /// [`KNOWN_REQUEST_TYPES`]). Informational: unknown types are valid.
    #[must_use]
    pub fn is_known_request_type(&self) -> bool {
        is_known_request_type(&self.request_type)
    }

    /// The command as an XML plist, as devices receive it:
    /// `{CommandUUID, Command: {RequestType, ...}}`. Freshly written, so keys
    /// outside `CommandUUID` and `Command` in a decoded body are not kept (use
    /// [`Command::raw`] to serve the body as submitted).
    ///
    /// # Errors
    ///
    /// If the payload holds a value XML plists cannot express (a UID, which
    /// only binary plists have).
    pub fn to_plist_xml(&self) -> Result<Vec<u8>, plist::Error> {
        let mut dict = Dictionary::new();
        dict.insert(
            "CommandUUID".to_owned(),
            Value::String(self.command_uuid.clone()),
        );
        dict.insert(
            "Command".to_owned(),
            Value::Dictionary(self.payload.clone()),
        );
        let mut xml = Vec::new();
        Value::Dictionary(dict).to_writer_xml(&mut xml)?;
        Ok(xml)
    }
}

/// A random version-4 UUID, upper case.
fn new_uuid() -> String {
    // aws-lc-rs' generator does not fail once the library is initialised.
    cryptoutil::algorithm::random_uuid().expect("the system random number generator works")
}

/// Parses a plist (XML or binary) whose root must be a dictionary.
fn parse_dictionary(body: &[u8]) -> Result<Dictionary, DecodeError> {
    plist::from_bytes::<Value>(body)
        .map_err(DecodeError::Plist)?
        .into_dictionary()
        .ok_or_else(|| wrong_type("plist root", "not a dictionary"))
}

/// The string at `key`, `None` if absent.
fn optional_string(dict: &Dictionary, key: &'static str) -> Result<Option<String>, DecodeError> {
    match dict.get(key) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(wrong_type(key, "not a string")),
    }
}

/// The string at `key`, which must be present and non-empty.
fn required_string(dict: &Dictionary, key: &'static str) -> Result<String, DecodeError> {
    optional_string(dict, key)?
        .filter(|value| !value.is_empty())
        .ok_or(DecodeError::Missing(key))
}

/// The error for a value of the wrong plist type.
fn wrong_type(field: &'static str, reason: &'static str) -> DecodeError {
    DecodeError::Invalid { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_version_and_variant_bits_set() {
        let uuid = new_uuid();
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "A" | "B"));
    }
}
