//! [`HostHook`]: keeps `hosts` current from nanomdm's check-ins and
//! command reports.

use async_trait::async_trait;
use nanomdm::protocol::checkin::{Authenticate, Checkin, CheckinMessage};
use nanomdm::protocol::command::{Report, Status};
use nanomdm::service::{Hook, Request};
use nanomdm::store::{BoxError, QueuedCommand};
use plist::{Dictionary, Value};

use super::{DeviceFacts, Hosts, MdmEnrollmentStatus};

/// The query parameter of the MDM URLs that names the manual enrollment
/// whose profile the device installed (`/mdm/apple/mdm?enrollment_id=3`):
/// the enroll profile writes it into `ServerURL` and `CheckInURL`, and the
/// device sends it back with every request.
pub const ENROLLMENT_ID_PARAM: &str = "enrollment_id";

/// Fleet's platform for a device, from its product name (`iPhone14,2`,
/// `iPad13,1`, `Mac14,2`), else its model or model name: `ios`, `ipados`,
/// `tvos`, or `darwin` for Macs and anything unrecognised (Fleet's PoC
/// wrote `darwin` for every MDM host).
pub fn platform_of(names: &[Option<&str>]) -> &'static str {
    for name in names.iter().flatten() {
        if name.starts_with("iPhone") || name.starts_with("iPod") {
            return "ios";
        }
        if name.starts_with("iPad") {
            return "ipados";
        }
        if name.starts_with("AppleTV") {
            return "tvos";
        }
        if name.contains("Mac") {
            return "darwin";
        }
    }
    "darwin"
}

/// A nanomdm [`Hook`] that records hosts: Authenticate creates or updates
/// the host (status `Pending`), the device channel's TokenUpdate makes it
/// `On (manual)`, CheckOut `Off`; every check-in and report marks it seen,
/// and an acknowledged DeviceInformation updates its OS version, name,
/// model and serial. User channels never create hosts.
#[derive(Debug, Clone)]
pub struct HostHook {
    hosts: Hosts,
}

impl HostHook {
    /// A hook writing to `hosts`.
    pub fn new(hosts: Hosts) -> Self {
        Self { hosts }
    }

    async fn authenticate(
        &self,
        request: &Request,
        checkin: &Checkin,
        message: &Authenticate,
    ) -> Result<(), BoxError> {
        let nano_id = checkin.channel.device_id().as_str();
        let udid = message
            .enrollment
            .udid
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or(nano_id);
        let product = message.product_name.as_deref();
        let model = message.model.as_deref();
        let facts = DeviceFacts {
            serial: message.serial_number.clone(),
            hardware_model: product.or(model).map(str::to_owned),
            os_version: message.os_version.clone(),
            hostname: message.device_name.clone(),
            platform: Some(
                platform_of(&[product, model, message.model_name.as_deref()]).to_owned(),
            ),
        };
        let manual = manual_enrollment_id(request);
        self.hosts
            .ingest_authenticate(udid, nano_id, &facts, manual)
            .await?;
        Ok(())
    }
}

/// The manual enrollment id the request URL carries, if it is a number.
fn manual_enrollment_id(request: &Request) -> Option<i64> {
    let value = request.params.get(ENROLLMENT_ID_PARAM)?;
    match value.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            tracing::warn!(
                value,
                "ignoring a malformed {ENROLLMENT_ID_PARAM} parameter"
            );
            None
        }
    }
}

/// What a DeviceInformation `QueryResponses` says about the host.
fn facts_of(responses: &Dictionary) -> DeviceFacts {
    let get = |key: &str| responses.get(key).and_then(Value::as_string);
    let product = get("ProductName");
    let model = get("Model");
    let known = [product, model, get("ModelName")];
    DeviceFacts {
        serial: get("SerialNumber").map(str::to_owned),
        hardware_model: product.or(model).map(str::to_owned),
        os_version: get("OSVersion").map(str::to_owned),
        hostname: get("DeviceName").map(str::to_owned),
        platform: known
            .iter()
            .any(Option::is_some)
            .then(|| platform_of(&known).to_owned()),
    }
}

#[async_trait]
impl Hook for HostHook {
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<(), BoxError> {
        let nano_id = checkin.channel.device_id().as_str();
        if checkin.channel.is_user_channel() {
            self.hosts.seen(nano_id).await?;
            return Ok(());
        }
        match &checkin.message {
            CheckinMessage::Authenticate(message) => {
                self.authenticate(request, checkin, message).await?;
            }
            CheckinMessage::TokenUpdate(_) => {
                self.hosts
                    .set_mdm_status(nano_id, MdmEnrollmentStatus::OnManual)
                    .await?;
            }
            CheckinMessage::CheckOut(_) => {
                self.hosts
                    .set_mdm_status(nano_id, MdmEnrollmentStatus::Off)
                    .await?;
            }
            _ => {
                self.hosts.seen(nano_id).await?;
            }
        }
        Ok(())
    }

    async fn report(
        &self,
        _request: &Request,
        report: &Report,
        _next: Option<&QueuedCommand>,
    ) -> Result<(), BoxError> {
        let nano_id = report.channel.device_id().as_str();
        // Only a DeviceInformation answer carries QueryResponses.
        let responses = (report.status == Status::Acknowledged
            && !report.channel.is_user_channel())
        .then(|| report.query_responses().ok())
        .flatten();
        match responses {
            Some(responses) => {
                self.hosts
                    .update_facts(nano_id, &facts_of(&responses))
                    .await?
            }
            None => self.hosts.seen(nano_id).await?,
        };
        Ok(())
    }
}
