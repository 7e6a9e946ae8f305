//! The assigner's per-device results (`dep_assignments`).

use std::time::SystemTime;

use diesel::dsl::exists;
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use nanodep::store::DeviceAssignment;

use super::DepStore;
use crate::db::{transaction, with_conn};
use crate::schema::dep_assignments as a;
use crate::store::{Failure, from_unix_seconds, unix_seconds};

/// A `dep_assignments` row as read.
type Row = (String, String, String, i64, Option<i64>);

fn assignment((serial_number, profile_uuid, status, at, retry): Row) -> DeviceAssignment {
    DeviceAssignment {
        serial_number,
        profile_uuid,
        status,
        at: from_unix_seconds(at),
        retry_after: retry.map(from_unix_seconds),
    }
}

/// The columns [`Row`] reads.
macro_rules! row_columns {
    () => {
        (
            a::serial_number,
            a::profile_uuid,
            a::status,
            a::assigned_at,
            a::retry_after,
        )
    };
}

impl DepStore {
    pub(super) async fn save_assignments(
        &self,
        name: &str,
        results: &[DeviceAssignment],
    ) -> Result<(), Failure> {
        transaction!(self.db, conn => {
            for result in results {
                let serial = result.serial_number.as_str();
                let fields = (
                    a::profile_uuid.eq(result.profile_uuid.as_str()),
                    a::status.eq(result.status.as_str()),
                    a::assigned_at.eq(unix_seconds(result.at)),
                    a::retry_after.eq(result.retry_after.map(unix_seconds)),
                );
                let row = a::table.find((name, serial));
                if diesel::select(exists(row)).get_result(conn).await? {
                    diesel::update(row).set(fields).execute(conn).await?;
                } else {
                    diesel::insert_into(a::table)
                        .values((a::name.eq(name), a::serial_number.eq(serial), fields))
                        .execute(conn)
                        .await?;
                }
            }
            Ok::<_, Failure>(())
        })
    }

    pub(super) async fn load_assignment(
        &self,
        name: &str,
        serial_number: &str,
    ) -> Result<Option<DeviceAssignment>, Failure> {
        let row: Option<Row> = with_conn!(self.db, conn => {
            a::table
                .find((name, serial_number))
                .select(row_columns!())
                .first(conn)
                .await
                .optional()?
        });
        Ok(row.map(assignment))
    }

    pub(super) async fn due(
        &self,
        name: &str,
        now: SystemTime,
    ) -> Result<Vec<DeviceAssignment>, Failure> {
        let now = unix_seconds(now);
        let rows: Vec<Row> = with_conn!(self.db, conn => {
            a::table
                .filter(a::name.eq(name))
                .filter(a::retry_after.le(now))
                .select(row_columns!())
                .load(conn)
                .await?
        });
        let mut due: Vec<_> = rows.into_iter().map(assignment).collect();
        // By serial number as Rust compares them (MySQL's collation may
        // ignore case).
        due.sort_by(|x, y| x.serial_number.cmp(&y.serial_number));
        Ok(due)
    }
}
