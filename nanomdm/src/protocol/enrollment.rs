//! Enrollment identifiers: which channel a check-in or command report speaks
//! for, and the normalised ID it is stored under.
//!
//! Port of nanomdm's `mdm.Enrollment`, `EnrollType` and `EnrollID`
//! resolution (see Apple's "Check-in" documentation, `MessageType` payloads,
//! and the identity keys every check-in and report carries).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// The `UserID` a Shared iPad sends for its Managed Apple Account user
/// channel; the user is then named by `UserShortName`.
pub const SHARED_IPAD_USER_ID: &str = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF";

/// A normalised enrollment ID: the storage key of one channel.
///
/// Port of nanomdm's `EnrollID.ID`. A device channel is its UDID (or, for
/// User Enrollment, its `EnrollmentID`); a user channel is
/// `<device-channel ID>:<user-channel ID>`. The format must stay stable for
/// the lifetime of every enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EnrollmentId(String);

impl EnrollmentId {
    /// Wraps an already normalised ID (e.g. one taken from an API path).
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The ID as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EnrollmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EnrollmentId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The kind of channel an enrollment ID names.
///
/// Port of nanomdm's `EnrollType`; the discriminants are nanomdm's numbers
/// and [`as_str`](Self::as_str) its string forms (stored in the `type`
/// column of existing nanomdm databases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnrollmentType {
    /// A device channel identified by UDID.
    Device = 1,
    /// A user channel on a UDID device (`UDID:UserID`).
    User = 2,
    /// The device channel of a User Enrollment (BYOD), identified by
    /// `EnrollmentID`.
    UserEnrollmentDevice = 3,
    /// The user channel of a User Enrollment (`EnrollmentID:EnrollmentUserID`).
    UserEnrollment = 4,
    /// A Shared iPad user channel (`UDID:UserShortName`).
    SharedIPad = 5,
}

impl EnrollmentType {
    /// nanomdm's string form, e.g. `"User Enrollment (Device)"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Device => "Device",
            Self::User => "User",
            Self::UserEnrollmentDevice => "User Enrollment (Device)",
            Self::UserEnrollment => "User Enrollment",
            Self::SharedIPad => "Shared iPad",
        }
    }

    /// Whether this is a user channel (it then has a parent device channel).
    pub fn is_user_channel(self) -> bool {
        matches!(self, Self::User | Self::UserEnrollment | Self::SharedIPad)
    }
}

impl std::str::FromStr for EnrollmentType {
    type Err = DecodeError;

    /// Parses nanomdm's string form (as stored in its `type` column).
    fn from_str(kind: &str) -> Result<Self, Self::Err> {
        Ok(match kind {
            "Device" => Self::Device,
            "User" => Self::User,
            "User Enrollment (Device)" => Self::UserEnrollmentDevice,
            "User Enrollment" => Self::UserEnrollment,
            "Shared iPad" => Self::SharedIPad,
            _ => {
                return Err(DecodeError::Invalid {
                    field: "enrollment type",
                    reason: "not one of nanomdm's type names",
                });
            }
        })
    }
}

impl fmt::Display for EnrollmentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resolved channel: what a check-in or command report speaks for.
///
/// Port of nanomdm's `mdm.EnrollID`. The core service, storage and hooks
/// all key on it; it is computed once per request from the message's
/// [`EnrollmentKeys`] and never changes afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Channel {
    /// The normalised enrollment ID (the storage key).
    pub id: EnrollmentId,
    /// Which kind of channel this is.
    pub kind: EnrollmentType,
    /// The device-channel ID of a user channel; `None` on a device channel.
    pub parent: Option<EnrollmentId>,
}

impl Channel {
    /// A device channel (`Device` or `User Enrollment (Device)` type) with
    /// no parent.
    pub fn device(id: EnrollmentId, kind: EnrollmentType) -> Self {
        Self {
            id,
            kind,
            parent: None,
        }
    }

    /// The device-channel ID: the parent of a user channel, or the ID
    /// itself. certauth and the bootstrap token key on it.
    pub fn device_id(&self) -> &EnrollmentId {
        self.parent.as_ref().unwrap_or(&self.id)
    }

    /// Whether this is a user channel.
    pub fn is_user_channel(&self) -> bool {
        self.parent.is_some()
    }
}

/// The identity keys at the top level of every check-in and command report.
///
/// Port of nanomdm's `mdm.Enrollment`. Every key is optional on the wire;
/// an empty string counts as absent, as in nanomdm.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentKeys {
    /// `UDID`: the device's UDID (absent on User Enrollment).
    #[serde(rename = "UDID", default, skip_serializing_if = "Option::is_none")]
    pub udid: Option<String>,
    /// `UserID`: the user's GUID on a user channel.
    #[serde(rename = "UserID", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `UserShortName`: the short name (the Managed Apple Account on Shared iPad).
    #[serde(
        rename = "UserShortName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_short_name: Option<String>,
    /// `UserLongName`: the user's full name.
    #[serde(
        rename = "UserLongName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_long_name: Option<String>,
    /// `EnrollmentID`: the per-enrollment ID replacing UDID on User Enrollment.
    #[serde(
        rename = "EnrollmentID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enrollment_id: Option<String>,
    /// `EnrollmentUserID`: the user channel of a User Enrollment.
    #[serde(
        rename = "EnrollmentUserID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enrollment_user_id: Option<String>,
}

impl EnrollmentKeys {
    /// Resolves the channel: its normalised ID, its type and, for a user
    /// channel, the parent device-channel ID.
    ///
    /// Port of nanomdm's `Enrollment.Resolved` plus its ID normaliser; the
    /// first matching rule wins:
    ///
    /// | keys | type | ID |
    /// |---|---|---|
    /// | UDID, no UserID | `Device` | UDID |
    /// | UDID, UserID = all-F | `SharedIPad` | `UDID:UserShortName` |
    /// | UDID, other UserID | `User` | `UDID:UserID` |
    /// | EnrollmentID, no EnrollmentUserID | `UserEnrollmentDevice` | EnrollmentID |
    /// | EnrollmentID, EnrollmentUserID | `UserEnrollment` | `EnrollmentID:EnrollmentUserID` |
    ///
    /// # Errors
    ///
    /// [`DecodeError::Missing`] when neither UDID nor EnrollmentID is
    /// present, or when a Shared iPad user channel lacks `UserShortName`
    /// (nanomdm would store it as `UDID:`).
    pub fn resolve(&self) -> Result<Channel, DecodeError> {
        let (device, user, kind) = if let Some(udid) = non_empty(&self.udid) {
            match non_empty(&self.user_id) {
                None => (udid, None, EnrollmentType::Device),
                Some(SHARED_IPAD_USER_ID) => {
                    let short_name = non_empty(&self.user_short_name)
                        .ok_or(DecodeError::Missing("UserShortName"))?;
                    (udid, Some(short_name), EnrollmentType::SharedIPad)
                }
                Some(user_id) => (udid, Some(user_id), EnrollmentType::User),
            }
        } else if let Some(enrollment_id) = non_empty(&self.enrollment_id) {
            match non_empty(&self.enrollment_user_id) {
                None => (enrollment_id, None, EnrollmentType::UserEnrollmentDevice),
                Some(user) => (enrollment_id, Some(user), EnrollmentType::UserEnrollment),
            }
        } else {
            return Err(DecodeError::Missing("UDID or EnrollmentID"));
        };
        Ok(match user {
            None => Channel {
                id: EnrollmentId::new(device),
                kind,
                parent: None,
            },
            Some(user) => Channel {
                id: EnrollmentId(format!("{device}:{user}")),
                kind,
                parent: Some(EnrollmentId::new(device)),
            },
        })
    }
}

/// The key's value, with an empty string treated as absent (Go's `""`).
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDID: &str = "66ADE930-5FDF-5EC4-8429-15640684C489";

    fn keys(udid: Option<&str>, user_id: Option<&str>) -> EnrollmentKeys {
        EnrollmentKeys {
            udid: udid.map(str::to_owned),
            user_id: user_id.map(str::to_owned),
            ..EnrollmentKeys::default()
        }
    }

    fn resolved(keys: &EnrollmentKeys) -> (String, EnrollmentType, Option<String>) {
        let Channel { id, kind, parent } = keys.resolve().expect("resolvable keys");
        (
            id.into_string(),
            kind,
            parent.map(EnrollmentId::into_string),
        )
    }

    #[test]
    fn device_channel_is_the_udid_without_parent() {
        let got = resolved(&keys(Some(UDID), None));
        assert_eq!(got, (UDID.to_owned(), EnrollmentType::Device, None));
    }

    #[test]
    fn user_channel_is_udid_colon_user_id_with_the_device_as_parent() {
        let mut keys = keys(Some(UDID), Some("F151140B-5B2B-4C2E-9E6A-1A2B3C4D5E6F"));
        keys.user_short_name = Some("alice".to_owned());
        let got = resolved(&keys);
        assert_eq!(
            got,
            (
                format!("{UDID}:F151140B-5B2B-4C2E-9E6A-1A2B3C4D5E6F"),
                EnrollmentType::User,
                Some(UDID.to_owned())
            )
        );
    }

    #[test]
    fn shared_ipad_user_channel_is_udid_colon_short_name() {
        let mut keys = keys(Some(UDID), Some(SHARED_IPAD_USER_ID));
        keys.user_short_name = Some("appleid@example.com".to_owned());
        let got = resolved(&keys);
        assert_eq!(
            got,
            (
                format!("{UDID}:appleid@example.com"),
                EnrollmentType::SharedIPad,
                Some(UDID.to_owned())
            )
        );
    }

    #[test]
    fn shared_ipad_user_channel_without_short_name_is_rejected() {
        let err = keys(Some(UDID), Some(SHARED_IPAD_USER_ID))
            .resolve()
            .expect_err("no short name");
        assert!(matches!(err, DecodeError::Missing("UserShortName")));
    }

    #[test]
    fn user_enrollment_device_channel_is_the_enrollment_id() {
        let keys = EnrollmentKeys {
            enrollment_id: Some("E1D2".to_owned()),
            // Ignored: UserID only matters next to a UDID.
            user_id: Some("F151140B".to_owned()),
            ..EnrollmentKeys::default()
        };
        let got = resolved(&keys);
        assert_eq!(
            got,
            (
                "E1D2".to_owned(),
                EnrollmentType::UserEnrollmentDevice,
                None
            )
        );
    }

    #[test]
    fn user_enrollment_user_channel_uses_enrollment_user_id() {
        let keys = EnrollmentKeys {
            enrollment_id: Some("E1D2".to_owned()),
            enrollment_user_id: Some("U3".to_owned()),
            ..EnrollmentKeys::default()
        };
        let got = resolved(&keys);
        assert_eq!(
            got,
            (
                "E1D2:U3".to_owned(),
                EnrollmentType::UserEnrollment,
                Some("E1D2".to_owned())
            )
        );
    }

    #[test]
    fn udid_takes_precedence_over_enrollment_id() {
        let mut keys = keys(Some(UDID), None);
        keys.enrollment_id = Some("E1D2".to_owned());
        keys.enrollment_user_id = Some("U3".to_owned());
        assert_eq!(
            resolved(&keys),
            (UDID.to_owned(), EnrollmentType::Device, None)
        );
    }

    #[test]
    fn empty_strings_count_as_absent() {
        let keys = EnrollmentKeys {
            udid: Some(String::new()),
            user_id: Some(String::new()),
            enrollment_id: Some("E1D2".to_owned()),
            enrollment_user_id: Some(String::new()),
            ..EnrollmentKeys::default()
        };
        let got = resolved(&keys);
        assert_eq!(
            got,
            (
                "E1D2".to_owned(),
                EnrollmentType::UserEnrollmentDevice,
                None
            )
        );
    }

    #[test]
    fn no_udid_and_no_enrollment_id_is_a_readable_error() {
        let err = keys(None, Some("F151140B")).resolve().expect_err("no id");
        assert_eq!(err.to_string(), "missing UDID or EnrollmentID");
    }

    #[test]
    fn enrollment_types_have_nanomdm_string_forms() {
        let forms: Vec<_> = [
            EnrollmentType::Device,
            EnrollmentType::User,
            EnrollmentType::UserEnrollmentDevice,
            EnrollmentType::UserEnrollment,
            EnrollmentType::SharedIPad,
        ]
        .iter()
        .map(|t| (*t as u8, t.to_string()))
        .collect();
        assert_eq!(
            forms,
            [
                (1, "Device".to_owned()),
                (2, "User".to_owned()),
                (3, "User Enrollment (Device)".to_owned()),
                (4, "User Enrollment".to_owned()),
                (5, "Shared iPad".to_owned()),
            ]
        );
    }
}
