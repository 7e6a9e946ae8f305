//! Fleet's users (`users` table): global roles, Argon2id password hashes and
//! Fleet's password rules.

mod password;
mod queries;

use std::fmt;

use serde::Serialize;
use time::PrimitiveDateTime;

pub(crate) use password::decoy_hash;
pub use password::{PasswordError, check_password_rules, hash_password, verify_password};
pub use queries::{NewUser, USER_ORDER_KEYS, UserChanges, UserError};

/// A global role (Fleet's `global_role`). Only [`Self::Admin`] may use MDM
/// endpoints or manage users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GlobalRole {
    /// Everything, including users and MDM.
    Admin,
    /// Manages hosts and queries, not users.
    Maintainer,
    /// Reads.
    Observer,
    /// Reads, and runs any query.
    ObserverPlus,
    /// Applies configuration as code.
    Gitops,
}

impl GlobalRole {
    /// Every role, in Fleet's order.
    pub const ALL: [Self; 5] = [
        Self::Admin,
        Self::Maintainer,
        Self::Observer,
        Self::ObserverPlus,
        Self::Gitops,
    ];

    /// Fleet's name of the role, as stored and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Maintainer => "maintainer",
            Self::Observer => "observer",
            Self::ObserverPlus => "observer_plus",
            Self::Gitops => "gitops",
        }
    }

    /// The role named `name`, if Fleet has one by that name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for GlobalRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GlobalRole {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A user as the API shows it: never the password hash (which is not even
/// loaded into this type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// The user's id.
    pub id: i64,
    /// When the user was created (UTC).
    #[serde(with = "crate::users::rfc3339")]
    pub created_at: PrimitiveDateTime,
    /// When the user was last changed (UTC).
    #[serde(with = "crate::users::rfc3339")]
    pub updated_at: PrimitiveDateTime,
    /// Full name.
    pub name: String,
    /// Email address, unique; the login name.
    pub email: String,
    /// Whether the user must change their password at next login.
    #[serde(rename = "force_password_reset")]
    pub admin_forced_password_reset: bool,
    /// Gravatar URL (may be empty).
    pub gravatar_url: String,
    /// Job title (may be empty).
    pub position: String,
    /// The global role.
    pub global_role: GlobalRole,
    /// An API-only user: uses the REST API (and fleetctl), never the UI.
    pub api_only: bool,
}

impl User {
    /// Whether the user is a global admin.
    pub fn is_admin(&self) -> bool {
        self.global_role == GlobalRole::Admin
    }
}

/// Timestamps in JSON as RFC 3339 UTC (`2026-12-01T02:00:00Z`), as Fleet
/// writes them.
pub(crate) mod rfc3339 {
    use serde::Serializer;
    use time::PrimitiveDateTime;
    use time::format_description::well_known::Rfc3339;

    /// Serializes a UTC `PrimitiveDateTime` as RFC 3339.
    pub(crate) fn serialize<S: Serializer>(t: &PrimitiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = t
            .assume_utc()
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

/// `now` as stored in TIMESTAMP columns: UTC, whole seconds (MySQL's
/// TIMESTAMP has no fraction by default, so both backends then hold the
/// same value).
pub(crate) fn db_time(now: std::time::SystemTime) -> PrimitiveDateTime {
    let utc = time::OffsetDateTime::from(now);
    let utc = utc.replace_nanosecond(0).unwrap_or(utc);
    PrimitiveDateTime::new(utc.date(), utc.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_global_role_parses_back_from_its_name() {
        for role in GlobalRole::ALL {
            assert_eq!(GlobalRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(GlobalRole::parse("root"), None);
        assert_eq!(GlobalRole::parse("Admin"), None);
    }

    #[test]
    fn stored_times_are_whole_utc_seconds() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_800_000_000_750);
        let stored = db_time(t);
        assert_eq!(stored.nanosecond(), 0);
        assert_eq!(stored.assume_utc().unix_timestamp(), 1_800_000_000);
    }
}
