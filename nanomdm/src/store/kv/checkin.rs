//! Check-ins, bootstrap tokens and push info over the key-value layout.

use std::collections::HashMap;

use crate::protocol::checkin::{Authenticate, TokenUpdate, UserAuthenticate};
use crate::protocol::enrollment::{Channel, EnrollmentId};
use crate::store::{Enrollment, PushInfo, Result};

use super::records::EnrollmentRecord;
use super::{Backend, Kv, children, key, read, write};

/// The key of a channel's enrollment record.
pub(super) fn record_key(id: &EnrollmentId) -> Vec<String> {
    key(["channel", id.as_str(), "record"])
}

/// The enrollment record of `id`, if it is an enrollment.
pub(super) fn record(b: &dyn Backend, id: &EnrollmentId) -> Result<Option<EnrollmentRecord>> {
    read(b, &record_key(id))
}

/// The channel itself and, for a device channel, its user channels.
pub(super) fn with_user_channels(b: &dyn Backend, channel: &Channel) -> Result<Vec<EnrollmentId>> {
    let mut ids = vec![channel.id.clone()];
    if !channel.is_user_channel() {
        let users = children(b, &key(["children", channel.id.as_str()]))?;
        ids.extend(users.into_iter().map(EnrollmentId::new));
    }
    Ok(ids)
}

/// The key of the device channel's bootstrap token.
fn bootstrap_key(channel: &Channel) -> Vec<String> {
    key(["device", channel.device_id().as_str(), "bootstrap_token"])
}

impl Kv {
    pub(crate) fn store_authenticate(
        &self,
        channel: &Channel,
        message: &Authenticate,
        raw: &[u8],
        identity: Option<&[u8]>,
    ) -> Result<()> {
        let mut b = self.lock();
        let id = channel.id.as_str();
        b.put(&key(["device", id, "authenticate"]), raw)?;
        match identity {
            Some(der) => b.put(&key(["device", id, "identity"]), der)?,
            None => b.delete(&key(["device", id, "identity"]))?,
        }
        match &message.serial_number {
            Some(serial) => b.put(&key(["device", id, "serial"]), serial.as_bytes())?,
            None => b.delete(&key(["device", id, "serial"]))?,
        }
        b.delete(&bootstrap_key(channel))
    }

    pub(crate) fn store_token_update(
        &self,
        channel: &Channel,
        message: &TokenUpdate,
        raw: &[u8],
    ) -> Result<()> {
        let mut b = self.lock();
        let id = channel.id.as_str();
        let tally = record(b.as_ref(), &channel.id)?.map_or(0, |r| r.tally);
        let updated = EnrollmentRecord {
            kind: channel.kind.as_str().to_owned(),
            parent: channel.parent.as_ref().map(|p| p.as_str().to_owned()),
            enabled: true,
            tally: tally.saturating_add(1),
            topic: message.topic.clone(),
            push_magic: message.push_magic.clone(),
            token_hex: message.token_hex(),
        };
        b.put(&key(["channel", id, "token_update"]), raw)?;
        match &channel.parent {
            Some(parent) => b.put(&key(["children", parent.as_str(), id]), b"")?,
            None => {
                // Kept until replaced: later TokenUpdates may omit it.
                if let Some(unlock) = message.unlock_token.as_ref().filter(|t| !t.is_empty()) {
                    b.put(&key(["device", id, "unlock_token"]), unlock)?;
                }
            }
        }
        write(b.as_mut(), &record_key(&channel.id), &updated)
    }

    pub(crate) fn store_user_authenticate(
        &self,
        channel: &Channel,
        message: &UserAuthenticate,
        raw: &[u8],
    ) -> Result<()> {
        let name = if message.is_digest_response() {
            "user_authenticate_digest"
        } else {
            "user_authenticate"
        };
        self.lock()
            .put(&key(["channel", channel.id.as_str(), name]), raw)
    }

    pub(crate) fn disable(&self, channel: &Channel) -> Result<()> {
        let mut b = self.lock();
        for id in with_user_channels(b.as_ref(), channel)? {
            if let Some(mut r) = record(b.as_ref(), &id)? {
                r.enabled = false;
                r.tally = 0;
                write(b.as_mut(), &record_key(&id), &r)?;
            }
        }
        Ok(())
    }

    pub(crate) fn token_update_tally(&self, id: &EnrollmentId) -> Result<u32> {
        Ok(record(self.lock().as_ref(), id)?.map_or(0, |r| r.tally))
    }

    pub(crate) fn enrollment(&self, id: &EnrollmentId) -> Result<Option<Enrollment>> {
        record(self.lock().as_ref(), id)?
            .map(|r| r.to_enrollment(id, &record_key(id)))
            .transpose()
    }

    pub(crate) fn store_bootstrap_token(
        &self,
        channel: &Channel,
        token: Option<&[u8]>,
    ) -> Result<()> {
        let mut b = self.lock();
        match token.filter(|t| !t.is_empty()) {
            Some(token) => b.put(&bootstrap_key(channel), token),
            None => b.delete(&bootstrap_key(channel)),
        }
    }

    pub(crate) fn bootstrap_token(&self, channel: &Channel) -> Result<Option<Vec<u8>>> {
        self.lock().get(&bootstrap_key(channel))
    }

    pub(crate) fn push_info(
        &self,
        ids: &[EnrollmentId],
    ) -> Result<HashMap<EnrollmentId, PushInfo>> {
        let b = self.lock();
        let mut infos = HashMap::new();
        for id in ids {
            if let Some(r) = record(b.as_ref(), id)? {
                infos.insert(id.clone(), r.push_info(&record_key(id))?);
            }
        }
        Ok(infos)
    }
}
