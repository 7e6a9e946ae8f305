//! The assigner: the stored profile to devices newly assigned to the
//! server, with THROTTLED cooldowns and per-device results stored.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::api::{self, Device, DeviceListResponse, OpType};
use crate::client::Client;
use crate::error::Error;
use crate::store::{AssignerProfileStore, AssignmentStore, DeviceAssignment};

/// How long to leave a `THROTTLED` device alone when Apple gives no
/// `retry_after_seconds` (Apple's advice: a day).
pub const DEFAULT_THROTTLE: Duration = Duration::from_secs(86_400);
/// Devices per assign request.
const BATCH: usize = 1000;

/// What the assigner reads and writes.
pub trait AssignerStore: AssignerProfileStore + AssignmentStore {}

impl<T: AssignerProfileStore + AssignmentStore + ?Sized> AssignerStore for T {}

/// What one assigner call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignReport {
    /// The profile assigned; `None` when none is configured (nothing done).
    pub profile_uuid: Option<String>,
    /// Per-device status counts from Apple (`SUCCESS`, `THROTTLED`, ...).
    pub statuses: BTreeMap<String, usize>,
    /// Devices skipped because an earlier `THROTTLED` answer is not over.
    pub skipped_throttled: usize,
}

/// Assigns the stored assigner profile to devices. Ported from Go
/// `sync.Assigner`, which assigns to `added` devices only, ignores
/// `THROTTLED` and stores nothing. This one also assigns to `modified`
/// devices whose profile was removed, takes the last event per serial
/// (so a device added then deleted is left alone), does not ask again
/// before a throttled device's retry time, and stores every result.
#[derive(Debug)]
pub struct Assigner {
    client: Arc<Client>,
    store: Arc<dyn AssignerStore>,
    name: String,
}

impl Assigner {
    /// An assigner for DEP name `name`.
    pub fn new(
        client: Arc<Client>,
        store: Arc<dyn AssignerStore>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            client,
            store,
            name: name.into(),
        }
    }

    /// Assigns the profile to the devices of a sync page that need it.
    /// Fetch pages carry no operations and assign nothing (as upstream).
    pub async fn assign(
        &self,
        response: &DeviceListResponse,
        now: SystemTime,
    ) -> Result<AssignReport, Error> {
        let Some(profile) = self.profile().await? else {
            return Ok(AssignReport::default());
        };
        let mut report = AssignReport {
            profile_uuid: Some(profile.clone()),
            ..AssignReport::default()
        };
        let mut serials = Vec::new();
        for serial in needing_profile(&response.devices) {
            let previous = self.store.retrieve_assignment(&self.name, &serial).await?;
            if previous
                .and_then(|p| p.retry_after)
                .is_some_and(|t| t > now)
            {
                report.skipped_throttled += 1;
            } else {
                serials.push(serial);
            }
        }
        self.assign_serials(&profile, &serials, now, &mut report)
            .await?;
        Ok(report)
    }

    /// Assigns the profile again to the devices whose `THROTTLED` cooldown
    /// is over at `now`.
    pub async fn retry_throttled(&self, now: SystemTime) -> Result<AssignReport, Error> {
        let Some(profile) = self.profile().await? else {
            return Ok(AssignReport::default());
        };
        let due = self.store.assignments_due(&self.name, now).await?;
        let serials: Vec<String> = due.into_iter().map(|a| a.serial_number).collect();
        let mut report = AssignReport {
            profile_uuid: Some(profile.clone()),
            ..AssignReport::default()
        };
        self.assign_serials(&profile, &serials, now, &mut report)
            .await?;
        Ok(report)
    }

    /// The profile UUID, read on every call so changes apply at once.
    async fn profile(&self) -> Result<Option<String>, Error> {
        let stored = self.store.retrieve_assigner_profile(&self.name).await?;
        Ok(stored.map(|s| s.value).filter(|uuid| !uuid.is_empty()))
    }

    async fn assign_serials(
        &self,
        profile: &str,
        serials: &[String],
        now: SystemTime,
        report: &mut AssignReport,
    ) -> Result<(), Error> {
        for batch in serials.chunks(BATCH) {
            let answer = self
                .client
                .assign_profile(&self.name, profile, batch)
                .await?;
            let cooldown = answer
                .retry_after_seconds
                .map_or(DEFAULT_THROTTLE, Duration::from_secs);
            let results: Vec<DeviceAssignment> = answer
                .devices
                .iter()
                .map(|(serial, status)| DeviceAssignment {
                    serial_number: serial.clone(),
                    profile_uuid: profile.to_owned(),
                    status: status.clone(),
                    at: now,
                    retry_after: (status == api::THROTTLED).then_some(now + cooldown),
                })
                .collect();
            for result in &results {
                *report.statuses.entry(result.status.clone()).or_default() += 1;
            }
            self.store.store_assignments(&self.name, &results).await?;
        }
        Ok(())
    }
}

/// The serials whose last event in `devices` asks for the profile: added,
/// or modified with the profile removed or empty.
fn needing_profile(devices: &[Device]) -> Vec<String> {
    let mut last: BTreeMap<&str, &Device> = BTreeMap::new();
    let mut order = Vec::new();
    for device in devices {
        if last.insert(&device.serial_number, device).is_none() {
            order.push(device.serial_number.as_str());
        }
    }
    order
        .into_iter()
        .filter(|serial| {
            let device = last[serial];
            match device.op() {
                Some(OpType::Added) => true,
                Some(OpType::Modified) => {
                    matches!(device.profile_status.as_deref(), Some("removed" | "empty"))
                }
                _ => false,
            }
        })
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(serial: &str, op: &str, status: Option<&str>) -> Device {
        Device {
            serial_number: serial.into(),
            op_type: Some(op.into()),
            profile_status: status.map(str::to_owned),
            ..Device::default()
        }
    }

    #[test]
    fn the_last_event_per_serial_decides() {
        let devices = [
            event("A", "added", None),
            event("B", "added", None),
            event("B", "deleted", None),
            event("C", "modified", Some("assigned")),
            event("D", "MODIFIED", Some("removed")),
            event("E", "modified", Some("empty")),
            event("A", "modified", Some("empty")),
            Device {
                serial_number: "F".into(),
                ..Device::default()
            },
        ];
        assert_eq!(needing_profile(&devices), ["A", "D", "E"]);
    }
}
