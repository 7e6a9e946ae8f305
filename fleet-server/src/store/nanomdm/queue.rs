//! The command queue: `nano_commands`, `nano_enrollment_queue` and
//! `nano_command_results`.
//!
//! A queue row is pending while it is active and has no result or a NotNow
//! one; a completing report makes it inactive (the memory store unlinks
//! it) and `clear_queue` makes every row of the channels inactive. Rows are
//! never deleted, so late and repeated reports are still accepted.

use std::collections::BTreeSet;

use diesel::dsl::{exists, now};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods,
    OptionalExtension, QueryDsl,
};
use diesel_async::RunQueryDsl;
use nanomdm::protocol::command::{Report, Status};
use nanomdm::protocol::enrollment::{Channel, EnrollmentId};
use nanomdm::store::{CommandResult, QueueItem, QueuedCommand};

use super::NanomdmStore;
use crate::db::{transaction, with_conn};
use crate::schema::{
    nano_command_results as r, nano_commands as c, nano_enrollment_queue as q,
    nano_enrollments as e,
};
use crate::store::{Failure, conflict_on_duplicate, text};

/// How NotNow is written in `nano_command_results.status`.
const NOT_NOW: &str = Status::NotNow.as_str();

/// A pending queue row: UUID, priority, request type, command, status of
/// its result (`None` or NotNow).
type PendingRow = (String, i16, String, String, Option<String>);

/// The pending commands of enrollment `$id`, in serve order.
macro_rules! pending {
    ($id:expr) => {
        q::table
            .inner_join(c::table.on(c::command_uuid.eq(q::command_uuid)))
            .left_join(r::table.on(r::id.eq(q::id).and(r::command_uuid.eq(q::command_uuid))))
            .filter(q::id.eq($id))
            .filter(q::active.eq(true))
            .filter(
                r::status
                    .nullable()
                    .is_null()
                    .or(r::status.nullable().eq(NOT_NOW)),
            )
            .order((q::priority.desc(), q::seq.asc()))
            .select((
                q::command_uuid,
                q::priority,
                c::request_type,
                c::command,
                r::status.nullable(),
            ))
    };
}

/// Upserts the result of `$uuid` on `$id`, counting a NotNow and keeping
/// the time of the first one.
macro_rules! save_result {
    ($conn:ident, $id:expr, $uuid:expr, $status:expr, $raw:expr, $not_now:expr) => {{
        let result = r::table.find(($id, $uuid));
        let earlier: bool = diesel::select(exists(result)).get_result($conn).await?;
        let add = i32::from($not_now);
        if earlier {
            diesel::update(result)
                .set((
                    r::status.eq($status),
                    r::result.eq($raw),
                    r::not_now_tally.eq(r::not_now_tally + add),
                ))
                .execute($conn)
                .await?;
        } else {
            diesel::insert_into(r::table)
                .values((
                    r::id.eq($id),
                    r::command_uuid.eq($uuid),
                    r::status.eq($status),
                    r::result.eq($raw),
                    r::not_now_tally.eq(add),
                ))
                .execute($conn)
                .await?;
        }
        if $not_now {
            // nanomdm keeps the time of the first NotNow only.
            diesel::update(result.filter(r::not_now_at.is_null()))
                .set(r::not_now_at.eq(now.nullable()))
                .execute($conn)
                .await?;
        }
    }};
}

impl NanomdmStore {
    pub(super) async fn enqueue(
        &self,
        ids: &[EnrollmentId],
        command: &QueuedCommand,
    ) -> Result<(), Failure> {
        let uuid = command.command_uuid.as_str();
        let raw = text(&command.raw, "command")?;
        let request_type = command.request_type.as_str();
        let priority = i16::from(command.priority);
        let ids: Vec<&str> = ids
            .iter()
            .map(EnrollmentId::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        transaction!(self.db, conn => {
            // Every check before the first write; the transaction makes a
            // failed write undo the others too.
            let stored: bool = diesel::select(exists(c::table.find(uuid))).get_result(conn).await?;
            if stored {
                return Err(Failure::Conflict(format!("command {uuid} already exists")));
            }
            let found: Vec<String> = e::table
                .filter(e::id.eq_any(&ids))
                .select(e::id)
                .load(conn)
                .await?;
            if let Some(missing) = ids.iter().find(|id| !found.iter().any(|f| f == *id)) {
                return Err(Failure::NotFound(format!("enrollment {missing}")));
            }
            diesel::insert_into(c::table)
                .values((
                    c::command_uuid.eq(uuid),
                    c::request_type.eq(request_type),
                    c::command.eq(raw),
                ))
                .execute(conn)
                .await
                .map_err(|e| conflict_on_duplicate(e, &format!("command {uuid}")))?;
            let seq: i64 = c::table.find(uuid).select(c::seq).first(conn).await?;
            // One row at a time: diesel has no multi-row insert for SQLite
            // here (it needs the DEFAULT keyword SQLite lacks).
            for id in &ids {
                diesel::insert_into(q::table)
                    .values((
                        q::id.eq(*id),
                        q::command_uuid.eq(uuid),
                        q::priority.eq(priority),
                        q::seq.eq(seq),
                    ))
                    .execute(conn)
                    .await?;
            }
            Ok::<_, Failure>(())
        })
    }

    pub(super) async fn store_report(
        &self,
        channel: &Channel,
        report: &Report,
    ) -> Result<(), Failure> {
        let id = channel.id.as_str();
        if report.is_idle() {
            with_conn!(self.db, conn => {
                diesel::update(e::table.find(id))
                    .set(e::last_seen_at.eq(now))
                    .execute(conn)
                    .await?;
            });
            return Ok(());
        }
        let Some(uuid) = report.command_uuid.as_deref() else {
            return Err(Failure::NotFound("CommandUUID of the report".to_owned()));
        };
        let raw = text(&report.raw, "command report")?;
        let status = report.status.as_str();
        let not_now = report.status == Status::NotNow;
        let completes = report.status.completes_command();
        transaction!(self.db, conn => {
            let queued: bool = diesel::select(exists(q::table.find((id, uuid)))).get_result(conn).await?;
            if !queued {
                return Err(Failure::NotFound(format!("command {uuid} queued to {id}")));
            }
            save_result!(conn, id, uuid, status, raw, not_now);
            if completes {
                diesel::update(q::table.find((id, uuid)))
                    .set(q::active.eq(false))
                    .execute(conn)
                    .await?;
            }
            diesel::update(e::table.find(id))
                .set(e::last_seen_at.eq(now))
                .execute(conn)
                .await?;
            Ok::<_, Failure>(())
        })
    }

    pub(super) async fn next(
        &self,
        channel: &Channel,
        skip_not_now: bool,
    ) -> Result<Option<QueuedCommand>, Failure> {
        let id = channel.id.as_str();
        let row: Option<PendingRow> = with_conn!(self.db, conn => {
            let enabled: Option<bool> = e::table
                .find(id)
                .select(e::enabled)
                .first(conn)
                .await
                .optional()?;
            if enabled != Some(true) {
                return Ok(None);
            }
            if skip_not_now {
                pending!(id)
                    .filter(r::status.nullable().is_null())
                    .first(conn)
                    .await
                    .optional()?
            } else {
                pending!(id).first(conn).await.optional()?
            }
        });
        row.map(|row| queued_command(row).map(|(command, _)| command))
            .transpose()
    }

    pub(super) async fn clear(&self, channel: &Channel) -> Result<(), Failure> {
        let id = channel.id.as_str();
        with_conn!(self.db, conn => {
            if channel.is_user_channel() {
                diesel::update(q::table.filter(q::id.eq(id)))
                    .set(q::active.eq(false))
                    .execute(conn)
                    .await?;
            } else {
                // The device's own queue and those of its user channels.
                let channels = e::table.filter(e::device_id.eq(id)).select(e::id);
                diesel::update(q::table.filter(q::id.eq(id).or(q::id.eq_any(channels))))
                    .set(q::active.eq(false))
                    .execute(conn)
                    .await?;
            }
        });
        Ok(())
    }

    pub(super) async fn load_result(
        &self,
        id: &EnrollmentId,
        command_uuid: &str,
    ) -> Result<Option<CommandResult>, Failure> {
        let row: Option<(String, String, i32)> = with_conn!(self.db, conn => {
            r::table
                .find((id.as_str(), command_uuid))
                .select((r::status, r::result, r::not_now_tally))
                .first(conn)
                .await
                .optional()?
        });
        let Some((status, raw, tally)) = row else {
            return Ok(None);
        };
        let status = status
            .parse()
            .map_err(|e| Failure::Corrupt(format!("status of {command_uuid} on {id}: {e}")))?;
        Ok(Some(CommandResult {
            status,
            raw: raw.into_bytes().into(),
            not_now_tally: u32::try_from(tally).unwrap_or(0),
        }))
    }

    pub(super) async fn pending(&self, id: &EnrollmentId) -> Result<Vec<QueueItem>, Failure> {
        let id = id.as_str();
        let rows: Vec<PendingRow> = with_conn!(self.db, conn => {
            pending!(id).load(conn).await?
        });
        rows.into_iter()
            .map(|row| {
                let (command, not_now) = queued_command(row)?;
                Ok(QueueItem { command, not_now })
            })
            .collect()
    }
}

/// The command of a pending row, and whether it was answered NotNow.
fn queued_command(row: PendingRow) -> Result<(QueuedCommand, bool), Failure> {
    let (command_uuid, priority, request_type, raw, status) = row;
    let priority = i8::try_from(priority)
        .map_err(|_| Failure::Corrupt(format!("priority {priority} of {command_uuid}")))?;
    let command = QueuedCommand {
        command_uuid,
        request_type,
        raw: raw.into_bytes().into(),
        priority,
    };
    Ok((command, status.as_deref() == Some(NOT_NOW)))
}
