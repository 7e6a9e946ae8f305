//! Hosts (Fleet's `hosts`): the devices the server knows, created when a
//! device enrolls in MDM (fleet.md §2.7: MDM-only hosts, not yet in
//! osquery) and kept current by [`HostHook`] from its check-ins and
//! DeviceInformation answers.
//!
//! [`Hosts`] holds the queries, written once for both backends.

pub(crate) mod api;
mod hook;
mod list;

pub use hook::{ENROLLMENT_ID_PARAM, HostHook, platform_of};
pub use list::{HostListOptions, HostOrderKey};

use std::fmt;
use std::str::FromStr;

use diesel::dsl::now;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{
    AsChangeset, BoolExpressionMethods, ExpressionMethods, NullableExpressionMethods,
    OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper,
};
use diesel_async::RunQueryDsl;
use time::PrimitiveDateTime;

use crate::datastore::{DatastoreError, last_insert_id};
use crate::db::{Db, DbError, transaction, with_conn};
use crate::schema::{apple_manual_enrollments as m, hosts as h};

/// A host's MDM enrollment status, with Fleet's values
/// (`host_mdm.enrollment_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MdmEnrollmentStatus {
    /// `On (manual)`: enrolled through a downloaded profile.
    OnManual,
    /// `On (automatic)`: enrolled through Apple Business Manager (DEP).
    OnAutomatic,
    /// `Pending`: the device authenticated but has not finished enrolling
    /// (or, later, an ABM device not enrolled yet).
    Pending,
    /// `Off`: the device removed its MDM profile (checked out).
    Off,
}

impl MdmEnrollmentStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [Self::OnManual, Self::OnAutomatic, Self::Pending, Self::Off];

    /// Fleet's text for it, as stored and as the API shows it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnManual => "On (manual)",
            Self::OnAutomatic => "On (automatic)",
            Self::Pending => "Pending",
            Self::Off => "Off",
        }
    }

    /// The statuses a value of Fleet's `mdm_enrollment_status` list filter
    /// selects (`manual`, `automatic`, `enrolled`, `pending`,
    /// `unenrolled`), or `None` for another value.
    pub fn from_filter(value: &str) -> Option<&'static [Self]> {
        Some(match value {
            "manual" => &[Self::OnManual],
            "automatic" => &[Self::OnAutomatic],
            "enrolled" => &[Self::OnManual, Self::OnAutomatic],
            "pending" => &[Self::Pending],
            "unenrolled" => &[Self::Off],
            _ => return None,
        })
    }
}

impl fmt::Display for MdmEnrollmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MdmEnrollmentStatus {
    type Err = DatastoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| DatastoreError::Corrupt(format!("MDM enrollment status {text:?}")))
    }
}

impl TryFrom<String> for MdmEnrollmentStatus {
    type Error = DatastoreError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// One host.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = h)]
pub struct Host {
    /// The row id (the API's host id).
    pub id: i64,
    /// The device's UDID (or, for a User Enrollment, its EnrollmentID).
    pub uuid: String,
    /// The serial number (empty when the device does not tell).
    pub hardware_serial: String,
    /// The hardware model, e.g. `Mac14,2` or `iPad13,1`.
    pub hardware_model: String,
    /// The OS version, e.g. `15.1`.
    pub os_version: String,
    /// The device name.
    pub hostname: String,
    /// Fleet's platform: `darwin`, `ios`, `ipados` (or `tvos`).
    pub platform: String,
    /// The MDM enrollment status.
    #[diesel(deserialize_as = String)]
    pub mdm_enrollment_status: MdmEnrollmentStatus,
    /// The manual enrollment the device enrolled through, when known and
    /// not deleted since.
    pub apple_manual_enrollment_id: Option<i64>,
    /// The nanomdm enrollment id of the device channel.
    pub nano_enrollment_id: Option<String>,
    /// When the host was created (UTC).
    pub created_at: PrimitiveDateTime,
    /// When the row last changed (UTC).
    pub updated_at: PrimitiveDateTime,
    /// When the device last checked in or reported (UTC).
    pub last_seen_at: PrimitiveDateTime,
}

/// What a device says about itself (Authenticate, DeviceInformation).
/// `None` fields leave the stored value as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = h)]
pub struct DeviceFacts {
    /// The serial number.
    #[diesel(column_name = hardware_serial)]
    pub serial: Option<String>,
    /// The hardware model.
    pub hardware_model: Option<String>,
    /// The OS version.
    pub os_version: Option<String>,
    /// The device name.
    pub hostname: Option<String>,
    /// The platform.
    pub platform: Option<String>,
}

impl DeviceFacts {
    /// The same with empty strings taken as not told (a device that sends
    /// an empty name does not erase the stored one).
    fn without_empty(&self) -> Self {
        let told = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        Self {
            serial: told(&self.serial),
            hardware_model: told(&self.hardware_model),
            os_version: told(&self.os_version),
            hostname: told(&self.hostname),
            platform: told(&self.platform),
        }
    }
}

/// The queries on `hosts`, on either backend.
#[derive(Debug, Clone)]
pub struct Hosts {
    db: Db,
}

impl Hosts {
    /// The hosts of `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records an Authenticate: the host whose `uuid` is `udid`, or else
    /// whose serial is `facts.serial`, is updated, or a host is created;
    /// either way it becomes `Pending`, seen now, tied to the nanomdm
    /// enrollment `nano_id` and (when given and existing) to the manual
    /// enrollment `manual_enrollment_id`. Returns the host id.
    pub async fn ingest_authenticate(
        &self,
        udid: &str,
        nano_id: &str,
        facts: &DeviceFacts,
        manual_enrollment_id: Option<i64>,
    ) -> Result<i64, DatastoreError> {
        match self
            .try_ingest(udid, nano_id, facts, manual_enrollment_id)
            .await
        {
            // Two replicas inserted the same new device at once: the
            // loser finds the winner's row on its second try.
            Err(e) if is_unique_violation(&e) => {
                self.try_ingest(udid, nano_id, facts, manual_enrollment_id)
                    .await
            }
            other => other,
        }
    }

    async fn try_ingest(
        &self,
        udid: &str,
        nano_id: &str,
        facts: &DeviceFacts,
        manual_enrollment_id: Option<i64>,
    ) -> Result<i64, DatastoreError> {
        let facts = &facts.without_empty();
        let serial = facts.serial.as_deref();
        let pending = MdmEnrollmentStatus::Pending.as_str();
        transaction!(self.db, conn => {
            // A deleted (or invented) enrollment id is recorded as unknown
            // rather than failing the device's check-in.
            let manual = match manual_enrollment_id {
                Some(id) => m::table.find(id).select(m::id).first::<i64>(conn).await.optional()?,
                None => None,
            };
            let existing: Option<i64> = h::table
                .select(h::id)
                .filter(h::uuid.eq(udid).or(h::hardware_serial.nullable().eq(serial)))
                .order((h::uuid.eq(udid).desc(), h::id.asc()))
                .first(conn)
                .await
                .optional()?;
            let common = (
                h::uuid.eq(udid),
                h::mdm_enrollment_status.eq(pending),
                h::nano_enrollment_id.eq(nano_id),
                h::last_seen_at.eq(now),
            );
            let id = if let Some(id) = existing {
                diesel::update(h::table.find(id))
                    .set((facts, common, h::apple_manual_enrollment_id.eq(manual)))
                    .execute(conn)
                    .await?;
                id
            } else {
                diesel::insert_into(h::table)
                    .values((
                        h::hardware_serial.eq(serial.unwrap_or_default()),
                        h::hardware_model.eq(facts.hardware_model.as_deref().unwrap_or_default()),
                        h::os_version.eq(facts.os_version.as_deref().unwrap_or_default()),
                        h::hostname.eq(facts.hostname.as_deref().unwrap_or_default()),
                        h::platform.eq(facts.platform.as_deref().unwrap_or_default()),
                        common,
                        h::apple_manual_enrollment_id.eq(manual),
                    ))
                    .execute(conn)
                    .await?;
                last_insert_id!(self.db, conn)?
            };
            Ok::<_, DatastoreError>(id)
        })
    }

    /// Sets the MDM status of the host of nanomdm enrollment `nano_id` and
    /// marks it seen now. Returns whether such a host exists.
    pub async fn set_mdm_status(
        &self,
        nano_id: &str,
        status: MdmEnrollmentStatus,
    ) -> Result<bool, DatastoreError> {
        let updated = with_conn!(self.db, conn => {
            diesel::update(h::table.filter(h::nano_enrollment_id.eq(nano_id)))
                .set((h::mdm_enrollment_status.eq(status.as_str()), h::last_seen_at.eq(now)))
                .execute(conn)
                .await?
        });
        Ok(updated > 0)
    }

    /// Marks the host of nanomdm enrollment `nano_id` seen now. Returns
    /// whether such a host exists.
    pub async fn seen(&self, nano_id: &str) -> Result<bool, DatastoreError> {
        let updated = with_conn!(self.db, conn => {
            diesel::update(h::table.filter(h::nano_enrollment_id.eq(nano_id)))
                .set(h::last_seen_at.eq(now))
                .execute(conn)
                .await?
        });
        Ok(updated > 0)
    }

    /// Stores what a DeviceInformation answer told about the host of
    /// nanomdm enrollment `nano_id` (fields that are `None` or empty stay)
    /// and marks it seen now. Returns whether such a host exists.
    pub async fn update_facts(
        &self,
        nano_id: &str,
        facts: &DeviceFacts,
    ) -> Result<bool, DatastoreError> {
        let facts = facts.without_empty();
        let updated = with_conn!(self.db, conn => {
            diesel::update(h::table.filter(h::nano_enrollment_id.eq(nano_id)))
                .set((&facts, h::last_seen_at.eq(now)))
                .execute(conn)
                .await?
        });
        Ok(updated > 0)
    }

    /// The host `id`, or `None`.
    pub async fn get(&self, id: i64) -> Result<Option<Host>, DatastoreError> {
        let host: Option<Host> = with_conn!(self.db, conn => {
            h::table.find(id).select(Host::as_select()).first(conn).await.optional()?
        });
        Ok(host)
    }

    /// The host whose `uuid` is `uuid`, or `None`.
    pub async fn by_uuid(&self, uuid: &str) -> Result<Option<Host>, DatastoreError> {
        let host: Option<Host> = with_conn!(self.db, conn => {
            h::table
                .filter(h::uuid.eq(uuid))
                .select(Host::as_select())
                .first(conn)
                .await
                .optional()?
        });
        Ok(host)
    }

    /// Deletes the host `id` (its nanomdm enrollment is untouched: a
    /// device that authenticates again comes back as a new host). Fails
    /// with [`DatastoreError::NotFound`] if there is none.
    pub async fn delete(&self, id: i64) -> Result<(), DatastoreError> {
        let deleted = with_conn!(self.db, conn => {
            diesel::delete(h::table.find(id)).execute(conn).await?
        });
        if deleted == 0 {
            return Err(DatastoreError::NotFound(format!("host {id}")));
        }
        Ok(())
    }
}

/// Whether `e` is a unique-key violation.
fn is_unique_violation(e: &DatastoreError) -> bool {
    matches!(
        e,
        DatastoreError::Db(DbError::Query(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _
        )))
    )
}
