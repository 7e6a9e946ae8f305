//! The structured values of the key-value layout, stored as XML plists.
//! Field names are the on-disk format of [`FileStore`](crate::store::FileStore):
//! renaming one breaks existing directories.

use plist::Data;
use serde::{Deserialize, Serialize};

use crate::protocol::command::Status;
use crate::protocol::enrollment::{Channel, EnrollmentId, EnrollmentType};
use crate::store::{CommandResult, Enrollment, PushInfo, QueuedCommand, Result};

use super::CorruptValue;

/// An enrollment: the channel and what its latest TokenUpdate said.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EnrollmentRecord {
    /// nanomdm's type name, e.g. `User Enrollment (Device)`.
    pub(crate) kind: String,
    /// The device-channel ID of a user channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) parent: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) tally: u32,
    pub(crate) topic: String,
    pub(crate) push_magic: String,
    /// The push token, lowercase hex (nanomdm's `token_hex`).
    pub(crate) token_hex: String,
}

impl EnrollmentRecord {
    /// The enrollment this record describes; `key` names it in errors.
    pub(crate) fn to_enrollment(&self, id: &EnrollmentId, key: &[String]) -> Result<Enrollment> {
        let kind: EnrollmentType = self.kind.parse().map_err(|e| CorruptValue::at(key, e))?;
        Ok(Enrollment {
            channel: Channel {
                id: id.clone(),
                kind,
                parent: self.parent.clone().map(EnrollmentId::new),
            },
            enabled: self.enabled,
            token_update_tally: self.tally,
            push: self.push_info(key)?,
        })
    }

    /// The push details; `key` names the record in errors.
    pub(crate) fn push_info(&self, key: &[String]) -> Result<PushInfo> {
        let token = crate::hex::decode(&self.token_hex)
            .ok_or_else(|| CorruptValue::at(key, "token_hex is not hex"))?;
        Ok(PushInfo {
            topic: self.topic.clone(),
            push_magic: self.push_magic.clone(),
            token,
            enabled: self.enabled,
        })
    }
}

/// A command, shared by every channel it is queued to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CommandRecord {
    pub(crate) request_type: String,
    pub(crate) priority: i8,
    pub(crate) raw: Data,
}

impl CommandRecord {
    /// The record of `command`.
    pub(crate) fn new(command: &QueuedCommand) -> Self {
        Self {
            request_type: command.request_type.clone(),
            priority: command.priority,
            raw: Data::new(command.raw.to_vec()),
        }
    }

    /// The command stored as `command_uuid`.
    pub(crate) fn into_command(self, command_uuid: &str) -> QueuedCommand {
        QueuedCommand {
            command_uuid: command_uuid.to_owned(),
            request_type: self.request_type,
            raw: Vec::from(self.raw).into(),
            priority: self.priority,
        }
    }
}

/// The latest report of one channel for one command.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ResultRecord {
    /// The report's `Status` as written in plists.
    pub(crate) status: String,
    pub(crate) not_now_tally: u32,
    pub(crate) raw: Data,
}

impl ResultRecord {
    /// The stored status; `key` names the record in errors.
    pub(crate) fn status(&self, key: &[String]) -> Result<Status> {
        self.status.parse().map_err(|e| CorruptValue::at(key, e))
    }

    /// The result this record describes; `key` names it in errors.
    pub(crate) fn into_result(self, key: &[String]) -> Result<CommandResult> {
        Ok(CommandResult {
            status: self.status(key)?,
            raw: Vec::from(self.raw).into(),
            not_now_tally: self.not_now_tally,
        })
    }
}

/// A push certificate and the stale token of its current version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PushCertRecord {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    pub(crate) stale_token: u64,
}
