//! The command queue over the key-value layout.
//!
//! A channel's pending commands are the keys `queue/ID/ORDER`, so listing
//! them yields serve order. Whether a pending command was answered NotNow
//! is its result's status, as in nanomdm's SQL schema. `assigned/ID/UUID`
//! outlives the queue entry: it records that the command was queued to
//! the channel, so late and repeated reports are still accepted.

use std::collections::BTreeSet;

use crate::protocol::command::{Report, Status};
use crate::protocol::enrollment::{Channel, EnrollmentId};
use crate::store::{CommandResult, QueueItem, QueuedCommand, Result, StoreError};

use super::checkin::{record, with_user_channels};
use super::records::{CommandRecord, ResultRecord};
use super::{Backend, CorruptValue, Kv, delete_all, key, read, read_text, write};

/// The key of the store-wide enqueue sequence number.
fn sequence_key() -> Vec<String> {
    key(["meta", "sequence"])
}

/// The queue position: priority (higher first), then enqueue sequence.
/// Fixed width, so byte order is numeric order.
fn order(priority: i8, sequence: u64) -> String {
    let inverted = 127 - i16::from(priority);
    format!("{inverted:03}-{sequence:020}")
}

/// Takes the next enqueue sequence number, persisting it first so that a
/// number is never handed out twice, even across restarts.
fn next_sequence(b: &mut dyn Backend) -> Result<u64> {
    let key = sequence_key();
    let last = match read_text(b, &key)? {
        Some(text) => text.parse::<u64>().map_err(|e| CorruptValue::at(&key, e))?,
        None => 0,
    };
    let next = last
        .checked_add(1)
        .ok_or_else(|| CorruptValue::at(&key, "sequence exhausted"))?;
    b.put(&key, next.to_string().as_bytes())?;
    Ok(next)
}

/// The latest report of `id` for `uuid`.
fn result(b: &dyn Backend, id: &str, uuid: &str) -> Result<Option<(ResultRecord, Status)>> {
    let key = key(["result", id, uuid]);
    match read::<ResultRecord>(b, &key)? {
        Some(r) => {
            let status = r.status(&key)?;
            Ok(Some((r, status)))
        }
        None => Ok(None),
    }
}

/// The pending commands of `id` in serve order, with whether each was
/// answered NotNow.
fn pending(b: &dyn Backend, id: &EnrollmentId) -> Result<Vec<(String, bool)>> {
    let mut items = Vec::new();
    for entry in b.list(&key(["queue", id.as_str()]))? {
        let uuid = read_text(b, &entry)?.unwrap_or_default();
        let not_now = matches!(result(b, id.as_str(), &uuid)?, Some((_, Status::NotNow)));
        items.push((uuid, not_now));
    }
    Ok(items)
}

/// The stored command `uuid`.
fn command(b: &dyn Backend, uuid: &str) -> Result<QueuedCommand> {
    let key = key(["command", uuid]);
    let record: CommandRecord =
        read(b, &key)?.ok_or_else(|| CorruptValue::at(&key, "a queued command is missing"))?;
    Ok(record.into_command(uuid))
}

impl Kv {
    pub(crate) fn enqueue_command(
        &self,
        ids: &[EnrollmentId],
        command: &QueuedCommand,
    ) -> Result<()> {
        let mut guard = self.lock();
        let b = guard.as_mut();
        let uuid = command.command_uuid.as_str();
        let command_key = key(["command", uuid]);
        // Every check before the first write: all or nothing.
        if b.get(&command_key)?.is_some() {
            return Err(StoreError::Conflict(format!(
                "command {uuid} already exists"
            )));
        }
        let ids: BTreeSet<&EnrollmentId> = ids.iter().collect();
        for id in &ids {
            if record(b, id)?.is_none() {
                return Err(StoreError::NotFound(format!("enrollment {id}")));
            }
        }
        let order = order(command.priority, next_sequence(b)?);
        write(b, &command_key, &CommandRecord::new(command))?;
        for id in ids {
            b.put(&key(["queue", id.as_str(), &order]), uuid.as_bytes())?;
            b.put(&key(["assigned", id.as_str(), uuid]), order.as_bytes())?;
        }
        Ok(())
    }

    pub(crate) fn store_command_report(&self, channel: &Channel, report: &Report) -> Result<()> {
        if report.is_idle() {
            return Ok(());
        }
        let Some(uuid) = report.command_uuid.as_deref() else {
            return Err(StoreError::NotFound("CommandUUID of the report".to_owned()));
        };
        let mut guard = self.lock();
        let b = guard.as_mut();
        let id = channel.id.as_str();
        let Some(order) = read_text(b, &key(["assigned", id, uuid]))? else {
            return Err(StoreError::NotFound(format!(
                "command {uuid} queued to {id}"
            )));
        };
        let earlier = result(b, id, uuid)?.map_or(0, |(r, _)| r.not_now_tally);
        let not_now = u32::from(report.status == Status::NotNow);
        let stored = ResultRecord {
            status: report.status.as_str().to_owned(),
            not_now_tally: earlier.saturating_add(not_now),
            raw: report.raw.to_vec().into(),
        };
        write(b, &key(["result", id, uuid]), &stored)?;
        if report.status.completes_command() {
            b.delete(&key(["queue", id, &order]))?;
        }
        Ok(())
    }

    pub(crate) fn next_command(
        &self,
        channel: &Channel,
        skip_not_now: bool,
    ) -> Result<Option<QueuedCommand>> {
        let b = self.lock();
        let b = b.as_ref();
        if !record(b, &channel.id)?.is_some_and(|r| r.enabled) {
            return Ok(None);
        }
        for (uuid, not_now) in pending(b, &channel.id)? {
            if !(skip_not_now && not_now) {
                return command(b, &uuid).map(Some);
            }
        }
        Ok(None)
    }

    pub(crate) fn clear_queue(&self, channel: &Channel) -> Result<()> {
        let mut guard = self.lock();
        let b = guard.as_mut();
        for id in with_user_channels(b, channel)? {
            delete_all(b, &key(["queue", id.as_str()]))?;
        }
        Ok(())
    }

    pub(crate) fn command_result(
        &self,
        id: &EnrollmentId,
        command_uuid: &str,
    ) -> Result<Option<CommandResult>> {
        let b = self.lock();
        let key = key(["result", id.as_str(), command_uuid]);
        read::<ResultRecord>(b.as_ref(), &key)?
            .map(|r| r.into_result(&key))
            .transpose()
    }

    pub(crate) fn queue(&self, id: &EnrollmentId) -> Result<Vec<QueueItem>> {
        let b = self.lock();
        let b = b.as_ref();
        pending(b, id)?
            .into_iter()
            .map(|(uuid, not_now)| {
                Ok(QueueItem {
                    command: command(b, &uuid)?,
                    not_now,
                })
            })
            .collect()
    }
}
