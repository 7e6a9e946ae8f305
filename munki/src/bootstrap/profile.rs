//! The ManagedInstalls configuration profile that points Munki at the
//! repository.

use plist::{Dictionary, Value};

use crate::{Error, Result};

/// Munki's client settings delivered as a `.mobileconfig`: one
/// `com.apple.ManagedClient.preferences` payload forcing the
/// `ManagedInstalls` domain. Ported from the Munki wiki's "Configuration
/// Profiles" and Fleet's Munki enrollment profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManagedInstallsProfile {
    /// `PayloadIdentifier` of the profile (required), e.g.
    /// `com.example.mdm.munki`; the payload gets `.managedinstalls` added.
    pub identifier: String,
    /// `SoftwareRepoURL` (required, http or https, no trailing `/`).
    pub software_repo_url: String,
    /// `ClientIdentifier`: the manifest name, e.g. the serial number.
    pub client_identifier: Option<String>,
    /// `AdditionalHttpHeaders`: `Name: value` lines sent on every request,
    /// typically the host's `Authorization` (see
    /// [`Credentials::header_value`](crate::http::Credentials::header_value)).
    pub additional_http_headers: Vec<String>,
    /// Other `ManagedInstalls` preferences (`InstallAppleSoftwareUpdates`,
    /// `SuppressUserNotification`, ...), added as given.
    pub other_preferences: Dictionary,
    /// `PayloadDisplayName` (default "Munki").
    pub display_name: Option<String>,
    /// `PayloadOrganization`.
    pub organization: Option<String>,
    /// Fixed `PayloadUUID`s of the profile and the payload (reproducible
    /// output); random version-4 UUIDs otherwise.
    pub uuids: Option<[String; 2]>,
}

impl ManagedInstallsProfile {
    /// The unsigned profile as an XML plist; sign it (e.g. with
    /// `cryptoutil`'s CMS) before sending it in InstallProfile if wanted.
    pub fn to_mobileconfig(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let [profile_uuid, payload_uuid] = match &self.uuids {
            Some(fixed) => fixed.clone(),
            None => [random_uuid()?, random_uuid()?],
        };
        let mut prefs = Dictionary::new();
        prefs.insert(
            "SoftwareRepoURL".into(),
            self.software_repo_url.clone().into(),
        );
        if let Some(id) = &self.client_identifier {
            prefs.insert("ClientIdentifier".into(), id.clone().into());
        }
        if !self.additional_http_headers.is_empty() {
            let headers = self
                .additional_http_headers
                .iter()
                .cloned()
                .map(Value::String)
                .collect();
            prefs.insert("AdditionalHttpHeaders".into(), Value::Array(headers));
        }
        for (key, value) in &self.other_preferences {
            prefs.insert(key.clone(), value.clone());
        }
        let forced = dict([("mcx_preference_settings", Value::Dictionary(prefs))]);
        let domain = dict([("Forced", Value::Array(vec![Value::Dictionary(forced)]))]);
        let mut payload = dict([
            ("PayloadType", "com.apple.ManagedClient.preferences".into()),
            ("PayloadVersion", Value::Integer(1.into())),
            (
                "PayloadIdentifier",
                format!("{}.managedinstalls", self.identifier).into(),
            ),
            ("PayloadUUID", payload_uuid.into()),
            ("PayloadDisplayName", "ManagedInstalls".into()),
            ("PayloadEnabled", Value::Boolean(true)),
        ]);
        payload.insert(
            "PayloadContent".into(),
            dict([("ManagedInstalls", Value::Dictionary(domain))]).into(),
        );
        let mut profile = dict([
            ("PayloadType", "Configuration".into()),
            ("PayloadVersion", Value::Integer(1.into())),
            ("PayloadIdentifier", self.identifier.clone().into()),
            ("PayloadUUID", profile_uuid.into()),
            (
                "PayloadDisplayName",
                self.display_name
                    .clone()
                    .unwrap_or_else(|| "Munki".into())
                    .into(),
            ),
            ("PayloadScope", "System".into()),
            (
                "PayloadContent",
                Value::Array(vec![Value::Dictionary(payload)]),
            ),
        ]);
        if let Some(organization) = &self.organization {
            profile.insert("PayloadOrganization".into(), organization.clone().into());
        }
        Ok(crate::dict::to_xml(&profile))
    }

    fn validate(&self) -> Result<()> {
        if self.identifier.is_empty() {
            return Err(Error::Bootstrap("the profile needs an identifier"));
        }
        let url = &self.software_repo_url;
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
            return Err(Error::Bootstrap(
                "SoftwareRepoURL must be http(s) without a trailing slash",
            ));
        }
        let header_ok = |h: &String| {
            h.split_once(':')
                .is_some_and(|(name, _)| !name.trim().is_empty())
                && !h.contains(['\r', '\n'])
        };
        if !self.additional_http_headers.iter().all(header_ok) {
            return Err(Error::Bootstrap(
                "AdditionalHttpHeaders entries must be single `Name: value` lines",
            ));
        }
        if let Some(uuids) = &self.uuids
            && !uuids.iter().all(|u| is_uuid(u))
        {
            return Err(Error::Bootstrap("PayloadUUIDs must be UUIDs"));
        }
        Ok(())
    }
}

fn dict<const N: usize>(entries: [(&str, Value); N]) -> Dictionary {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn random_uuid() -> Result<String> {
    cryptoutil::algorithm::random_uuid().map_err(|_| Error::Bootstrap("no random UUID"))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> ManagedInstallsProfile {
        ManagedInstallsProfile {
            identifier: "com.example.mdm.munki".into(),
            software_repo_url: "https://mdm.example.test/munki".into(),
            client_identifier: Some("C02XL0XXJGH5".into()),
            additional_http_headers: vec!["Authorization: Bearer per-host-secret".into()],
            ..ManagedInstallsProfile::default()
        }
    }

    #[test]
    fn the_profile_forces_the_managedinstalls_preferences() {
        let mut p = profile();
        p.other_preferences
            .insert("InstallAppleSoftwareUpdates".into(), Value::Boolean(true));
        let xml = p.to_mobileconfig().unwrap();
        let root = Value::from_reader_xml(&xml[..])
            .unwrap()
            .into_dictionary()
            .unwrap();
        assert_eq!(root["PayloadType"], "Configuration".into());
        let payload = root["PayloadContent"].as_array().unwrap()[0]
            .as_dictionary()
            .unwrap();
        assert_eq!(
            payload["PayloadType"],
            "com.apple.ManagedClient.preferences".into()
        );
        assert_eq!(
            payload["PayloadIdentifier"],
            "com.example.mdm.munki.managedinstalls".into()
        );
        let forced = &payload["PayloadContent"].as_dictionary().unwrap()["ManagedInstalls"]
            .as_dictionary()
            .unwrap()["Forced"]
            .as_array()
            .unwrap()[0];
        let prefs = forced.as_dictionary().unwrap()["mcx_preference_settings"]
            .as_dictionary()
            .unwrap();
        assert_eq!(
            prefs["SoftwareRepoURL"],
            "https://mdm.example.test/munki".into()
        );
        assert_eq!(prefs["ClientIdentifier"], "C02XL0XXJGH5".into());
        assert_eq!(
            prefs["AdditionalHttpHeaders"],
            Value::Array(vec!["Authorization: Bearer per-host-secret".into()])
        );
        assert_eq!(prefs["InstallAppleSoftwareUpdates"], Value::Boolean(true));
        assert!(is_uuid(root["PayloadUUID"].as_string().unwrap()));
        assert_ne!(root["PayloadUUID"], payload["PayloadUUID"]);
    }

    #[test]
    fn fixed_uuids_make_the_output_reproducible() {
        let mut p = profile();
        p.uuids = Some([
            "063D7953-1338-4BF0-8F99-913382996224".into(),
            "163D7953-1338-4BF0-8F99-913382996224".into(),
        ]);
        assert_eq!(p.to_mobileconfig().unwrap(), p.to_mobileconfig().unwrap());
    }

    #[test]
    fn bad_settings_are_refused() {
        for broken in [
            ManagedInstallsProfile {
                identifier: String::new(),
                ..profile()
            },
            ManagedInstallsProfile {
                software_repo_url: "ftp://x".into(),
                ..profile()
            },
            ManagedInstallsProfile {
                software_repo_url: "https://x/".into(),
                ..profile()
            },
            ManagedInstallsProfile {
                additional_http_headers: vec!["no colon".into()],
                ..profile()
            },
            ManagedInstallsProfile {
                additional_http_headers: vec!["A: b\r\nEvil: c".into()],
                ..profile()
            },
            ManagedInstallsProfile {
                uuids: Some(["x".into(), "y".into()]),
                ..profile()
            },
        ] {
            assert!(
                matches!(broken.to_mobileconfig(), Err(Error::Bootstrap(_))),
                "{broken:?}"
            );
        }
    }
}
