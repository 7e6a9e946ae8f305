//! Command reports: what a device sends to the server URL.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use plist::{Dictionary, Value};

use super::{optional_string, parse_dictionary, required_string, wrong_type};
use crate::DecodeError;
use crate::protocol::enrollment::{Channel, EnrollmentKeys};

/// The `Status` of a command report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The device is polling for work; the report answers no command.
    Idle,
    /// The command succeeded; the report holds its response.
    Acknowledged,
    /// The command failed; the report's `ErrorChain` says why.
    Error,
    /// The device could not understand the command.
    CommandFormatError,
    /// The device cannot run the command now (e.g. it is locked) and will
    /// poll again when conditions change. The command stays queued.
    NotNow,
}

impl Status {
    /// The status as written in the plist.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "Idle",
            Self::Acknowledged => "Acknowledged",
            Self::Error => "Error",
            Self::CommandFormatError => "CommandFormatError",
            Self::NotNow => "NotNow",
        }
    }

    /// Whether the report finishes its command for the enrollment
    /// (Acknowledged, Error, CommandFormatError): a queue never serves the
    /// command to it again. Idle answers no command; NotNow defers it.
    #[must_use]
    pub const fn completes_command(self) -> bool {
        matches!(
            self,
            Self::Acknowledged | Self::Error | Self::CommandFormatError
        )
    }
}

impl FromStr for Status {
    type Err = DecodeError;

    fn from_str(status: &str) -> Result<Self, Self::Err> {
        Ok(match status {
            "Idle" => Self::Idle,
            "Acknowledged" => Self::Acknowledged,
            "Error" => Self::Error,
            "CommandFormatError" => Self::CommandFormatError,
            "NotNow" => Self::NotNow,
            other => return Err(DecodeError::UnknownStatus(other.to_owned())),
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a report's `ErrorChain`. Apple documents all four keys;
/// devices omit some, so each is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ErrorChainItem {
    /// `ErrorCode`.
    pub error_code: Option<i64>,
    /// `ErrorDomain`, e.g. `MCProfileErrorDomain`.
    pub error_domain: Option<String>,
    /// `LocalizedDescription`, in the device's language.
    pub localized_description: Option<String>,
    /// `USEnglishDescription`.
    pub us_english_description: Option<String>,
}

/// A decoded command report, with the body as received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// `Status`.
    pub status: Status,
    /// `CommandUUID`: present (and non-empty) unless the status is Idle. For
    /// an Idle report it is `None` even if the device sent one.
    pub command_uuid: Option<String>,
    /// The identity keys as sent.
    pub enrollment: EnrollmentKeys,
    /// The channel the report speaks for, resolved from
    /// [`Report::enrollment`].
    pub channel: Channel,
    /// `NotOnConsole`: the user of a user-channel report is not logged in at
    /// the console. `false` when absent.
    pub not_on_console: bool,
    /// `ErrorChain`, empty when absent.
    pub error_chain: Vec<ErrorChainItem>,
    /// The body as received.
    pub raw: Bytes,
}

impl Report {
    /// Whether the device is only polling for work (`Status` Idle).
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.status == Status::Idle
    }

    /// The whole report dictionary, parsed again from [`Report::raw`]: the
    /// response keys of an Acknowledged report (`QueryResponses`,
    /// `ProfileList`, ...) sit at its top level beside `Status`.
    ///
    /// # Errors
    ///
    /// None for a report from [`decode_report`] (whose body parsed); a
    /// [`DecodeError`] if [`Report::raw`] was replaced by something else.
    pub fn payload(&self) -> Result<Dictionary, DecodeError> {
        parse_dictionary(&self.raw)
    }

    /// The `QueryResponses` dictionary of a `DeviceInformation` response.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Missing`] if the report has no `QueryResponses` (e.g.
    /// it is not an Acknowledged DeviceInformation report), and
    /// [`DecodeError::Invalid`] if it is not a dictionary.
    pub fn query_responses(&self) -> Result<Dictionary, DecodeError> {
        match self.payload()?.remove("QueryResponses") {
            Some(Value::Dictionary(responses)) => Ok(responses),
            Some(_) => Err(wrong_type("QueryResponses", "not a dictionary")),
            None => Err(DecodeError::Missing("QueryResponses")),
        }
    }
}

/// Decodes a command report (XML or binary plist) and keeps the body.
///
/// # Errors
///
/// [`DecodeError::Plist`] if the body is not a plist;
/// [`DecodeError::Missing`] if `Status` is absent, if neither `UDID` nor
/// `EnrollmentID` names the channel, or `CommandUUID` is absent
/// or empty in a report other than Idle; [`DecodeError::UnknownStatus`] for a
/// `Status` not in [`Status`]; [`DecodeError::Invalid`] for a key of the
/// wrong type.
pub fn decode_report(body: &[u8]) -> Result<Report, DecodeError> {
    let dict = parse_dictionary(body)?;
    let status: Status = required_string(&dict, "Status")?.parse()?;
    let command_uuid = match status {
        Status::Idle => None,
        _ => Some(required_string(&dict, "CommandUUID")?),
    };
    let not_on_console = match dict.get("NotOnConsole") {
        None => false,
        Some(Value::Boolean(value)) => *value,
        Some(_) => return Err(wrong_type("NotOnConsole", "not a boolean")),
    };
    let enrollment = EnrollmentKeys {
        udid: optional_string(&dict, "UDID")?,
        user_id: optional_string(&dict, "UserID")?,
        user_short_name: optional_string(&dict, "UserShortName")?,
        user_long_name: optional_string(&dict, "UserLongName")?,
        enrollment_id: optional_string(&dict, "EnrollmentID")?,
        enrollment_user_id: optional_string(&dict, "EnrollmentUserID")?,
    };
    let channel = enrollment.resolve()?;
    Ok(Report {
        status,
        command_uuid,
        enrollment,
        channel,
        not_on_console,
        error_chain: error_chain(&dict)?,
        raw: Bytes::copy_from_slice(body),
    })
}

/// The `ErrorChain` array, empty when absent.
fn error_chain(dict: &Dictionary) -> Result<Vec<ErrorChainItem>, DecodeError> {
    let items = match dict.get("ErrorChain") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(wrong_type("ErrorChain", "not an array")),
    };
    items
        .iter()
        .map(|item| {
            let item = item
                .as_dictionary()
                .ok_or_else(|| wrong_type("ErrorChain", "an item is not a dictionary"))?;
            Ok(ErrorChainItem {
                error_code: error_code(item)?,
                error_domain: optional_string(item, "ErrorDomain")?,
                localized_description: optional_string(item, "LocalizedDescription")?,
                us_english_description: optional_string(item, "USEnglishDescription")?,
            })
        })
        .collect()
}

/// An item's `ErrorCode`, a signed integer.
fn error_code(item: &Dictionary) -> Result<Option<i64>, DecodeError> {
    match item.get("ErrorCode") {
        None => Ok(None),
        Some(Value::Integer(code)) => code
            .as_signed()
            .map(Some)
            .ok_or_else(|| wrong_type("ErrorCode", "out of range")),
        Some(_) => Err(wrong_type("ErrorCode", "not an integer")),
    }
}
