//! How the simulated device answers commands: realistic Acknowledged
//! payloads (shapes from Apple's `mdm/commands/*.yaml`), with configurable
//! rates of NotNow and Error.

use plist::{Dictionary, Value};

use super::{Device, DeviceError, insert, random_bytes};

/// How often a simulated device refuses a command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerPolicy {
    /// Percentage (0–100) of commands answered NotNow.
    pub not_now_percent: u8,
    /// Percentage (0–100) of commands answered Error.
    pub error_percent: u8,
}

impl AnswerPolicy {
    /// Acknowledge everything.
    pub fn always_acknowledge() -> Self {
        Self::default()
    }
}

impl Device {
    /// The report answering `command` (the raw command plist the server
    /// sent): NotNow or Error at the policy's rates, otherwise Acknowledged
    /// with the request type's response payload. InstallProfile and
    /// RemoveProfile change [`Device::profiles`].
    ///
    /// # Errors
    ///
    /// [`DeviceError::Plist`] if `command` is not a plist, and
    /// [`DeviceError::Command`] if it lacks `CommandUUID` or `RequestType`.
    pub fn answer(
        &mut self,
        command: &[u8],
        policy: &AnswerPolicy,
    ) -> Result<Dictionary, DeviceError> {
        let command: Dictionary = plist::from_bytes(command)?;
        let uuid = command
            .get("CommandUUID")
            .and_then(Value::as_string)
            .ok_or(DeviceError::Command("no CommandUUID"))?
            .to_owned();
        let payload = command
            .get("Command")
            .and_then(Value::as_dictionary)
            .ok_or(DeviceError::Command("no Command dictionary"))?;
        let request_type = payload
            .get("RequestType")
            .and_then(Value::as_string)
            .ok_or(DeviceError::Command("no RequestType"))?;
        let roll = u8::try_from(u16::from(random_bytes::<1>()[0]) * 100 / 256).expect("below 100");
        if roll < policy.not_now_percent {
            return Ok(self.report("NotNow", Some(&uuid)));
        }
        if roll < policy.not_now_percent.saturating_add(policy.error_percent) {
            return Ok(self.error_report(&uuid));
        }
        let mut report = self.report("Acknowledged", Some(&uuid));
        match request_type {
            "DeviceInformation" => {
                let responses = self.query_responses(payload);
                report.insert("QueryResponses".to_owned(), Value::Dictionary(responses));
            }
            "SecurityInfo" => {
                report.insert("SecurityInfo".to_owned(), security_info());
            }
            "ProfileList" => {
                let list = self.profiles.iter().map(|id| profile_entry(id)).collect();
                report.insert("ProfileList".to_owned(), Value::Array(list));
            }
            "InstalledApplicationList" => {
                report.insert("InstalledApplicationList".to_owned(), installed_apps());
            }
            "InstallProfile" => self.install_profile(payload),
            "RemoveProfile" => {
                if let Some(id) = payload.get("Identifier").and_then(Value::as_string) {
                    self.profiles.retain(|installed| installed != id);
                }
            }
            "InstallApplication" | "InstallEnterpriseApplication" => {
                insert(&mut report, "State", "Queued");
                let id = payload.get("Identifier").and_then(Value::as_string);
                insert(&mut report, "Identifier", id.unwrap_or("com.example.app"));
            }
            _ => {}
        }
        Ok(report)
    }

    /// An Error report with a one-item ErrorChain.
    fn error_report(&self, uuid: &str) -> Dictionary {
        let mut report = self.report("Error", Some(uuid));
        let mut item = Dictionary::new();
        item.insert("ErrorCode".to_owned(), Value::Integer(12021.into()));
        insert(&mut item, "ErrorDomain", "MDMClientError");
        insert(&mut item, "LocalizedDescription", "Simulated failure");
        insert(&mut item, "USEnglishDescription", "Simulated failure");
        report.insert(
            "ErrorChain".to_owned(),
            Value::Array(vec![Value::Dictionary(item)]),
        );
        report
    }

    /// The answers to the command's `Queries` (every known one when none
    /// are named).
    fn query_responses(&self, payload: &Dictionary) -> Dictionary {
        let known: [(&str, Value); 10] = [
            ("UDID", self.udid.clone().into()),
            ("SerialNumber", self.serial_number.clone().into()),
            ("DeviceName", "Simulated Mac".into()),
            ("Model", "Mac14,2".into()),
            ("ModelName", "MacBook Air".into()),
            ("ProductName", "Mac14,2".into()),
            ("OSVersion", "15.1".into()),
            ("BuildVersion", "24B83".into()),
            ("IsSupervised", Value::Boolean(false)),
            ("HostName", "simulated-mac.local".into()),
        ];
        let queries: Option<Vec<&str>> = payload
            .get("Queries")
            .and_then(Value::as_array)
            .map(|queries| queries.iter().filter_map(Value::as_string).collect());
        known
            .into_iter()
            .filter(|(key, _)| queries.as_ref().is_none_or(|q| q.contains(key)))
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }

    /// Records the `PayloadIdentifier` of an InstallProfile's payload.
    fn install_profile(&mut self, payload: &Dictionary) {
        let identifier = payload
            .get("Payload")
            .and_then(Value::as_data)
            .and_then(|data| plist::from_bytes::<Dictionary>(data).ok())
            .and_then(|profile| {
                profile
                    .get("PayloadIdentifier")
                    .and_then(Value::as_string)
                    .map(str::to_owned)
            });
        if let Some(identifier) = identifier
            && !self.profiles.contains(&identifier)
        {
            self.profiles.push(identifier);
        }
    }
}

fn security_info() -> Value {
    let mut firewall = Dictionary::new();
    firewall.insert("FirewallEnabled".to_owned(), Value::Boolean(true));
    firewall.insert("BlockAllIncoming".to_owned(), Value::Boolean(false));
    firewall.insert("StealthMode".to_owned(), Value::Boolean(false));
    let mut info = Dictionary::new();
    info.insert("FDE_Enabled".to_owned(), Value::Boolean(true));
    info.insert(
        "SystemIntegrityProtectionEnabled".to_owned(),
        Value::Boolean(true),
    );
    info.insert("FirewallSettings".to_owned(), Value::Dictionary(firewall));
    Value::Dictionary(info)
}

fn profile_entry(identifier: &str) -> Value {
    let mut entry = Dictionary::new();
    insert(&mut entry, "PayloadIdentifier", identifier);
    insert(&mut entry, "PayloadDisplayName", identifier);
    entry.insert("IsManaged".to_owned(), Value::Boolean(true));
    Value::Dictionary(entry)
}

fn installed_apps() -> Value {
    let apps = [
        ("com.apple.Safari", "Safari", "18.1"),
        ("com.apple.Terminal", "Terminal", "2.14"),
        (
            "com.googlecode.munki.ManagedSoftwareCenter",
            "Managed Software Center",
            "6.6.0",
        ),
    ];
    Value::Array(
        apps.iter()
            .map(|(identifier, name, version)| {
                let mut app = Dictionary::new();
                insert(&mut app, "Identifier", identifier);
                insert(&mut app, "Name", name);
                insert(&mut app, "ShortVersion", version);
                insert(&mut app, "Version", version);
                Value::Dictionary(app)
            })
            .collect(),
    )
}
