//! [`EnrollmentProfileBuilder`]: settings, defaults, validation and UUIDs.

use super::{ALL_ACCESS_RIGHTS, EnrollmentProfile, MdmPayload, ProfileError, ScepPayload};

/// Builds a validated [`EnrollmentProfile`]; see
/// [`EnrollmentProfile::builder`] for the defaults.
#[derive(Debug, Clone)]
#[must_use]
pub struct EnrollmentProfileBuilder {
    identifier: Option<String>,
    display_name: Option<String>,
    organization: Option<String>,
    uuids: [Option<String>; 3],
    scep_url: Option<String>,
    ca_name: Option<String>,
    challenge: Option<String>,
    keysize: u32,
    key_usage: u32,
    subject: Vec<Vec<(String, String)>>,
    retries: Option<u32>,
    retry_delay: Option<u32>,
    server_url: Option<String>,
    check_in_url: Option<String>,
    topic: Option<String>,
    access_rights: u32,
    sign_message: bool,
    check_out_when_removed: bool,
    server_capabilities: Vec<String>,
    allow_insecure_urls: bool,
}

impl Default for EnrollmentProfileBuilder {
    fn default() -> Self {
        Self {
            identifier: None,
            display_name: None,
            organization: None,
            uuids: [None, None, None],
            scep_url: None,
            ca_name: None,
            challenge: None,
            keysize: 2048,
            key_usage: 5,
            subject: Vec::new(),
            retries: None,
            retry_delay: None,
            server_url: None,
            check_in_url: None,
            topic: None,
            access_rights: ALL_ACCESS_RIGHTS,
            sign_message: false,
            check_out_when_removed: true,
            server_capabilities: Vec::new(),
            allow_insecure_urls: false,
        }
    }
}

impl EnrollmentProfileBuilder {
    /// The profile's `PayloadIdentifier` (required), e.g.
    /// `com.example.mdm.enroll`; the payloads get `.scep` and `.mdm`
    /// appended.
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }

    /// The profile's `PayloadDisplayName`.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// The profile's `PayloadOrganization`.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// Fixes the `PayloadUUID`s of the profile, the SCEP payload and the
    /// MDM payload (for reproducible output); otherwise they are random
    /// version-4 UUIDs.
    pub fn uuids(
        mut self,
        profile: impl Into<String>,
        scep: impl Into<String>,
        mdm: impl Into<String>,
    ) -> Self {
        self.uuids = [Some(profile.into()), Some(scep.into()), Some(mdm.into())];
        self
    }

    /// The SCEP server `URL` (required).
    pub fn scep_url(mut self, url: impl Into<String>) -> Self {
        self.scep_url = Some(url.into());
        self
    }

    /// The SCEP `Name` (CA-IDENT).
    pub fn ca_name(mut self, name: impl Into<String>) -> Self {
        self.ca_name = Some(name.into());
        self
    }

    /// The SCEP `Challenge` password.
    pub fn challenge(mut self, challenge: impl Into<String>) -> Self {
        self.challenge = Some(challenge.into());
        self
    }

    /// The SCEP `Keysize`: 1024, 2048 (default) or 4096.
    pub fn keysize(mut self, bits: u32) -> Self {
        self.keysize = bits;
        self
    }

    /// The SCEP `Key Usage` bits (default 5: signing and encryption).
    pub fn key_usage(mut self, usage: u32) -> Self {
        self.key_usage = usage;
        self
    }

    /// Appends a relative distinguished name of one pair to the SCEP
    /// `Subject`, e.g. `("O", "Example")` then `("CN", device)`.
    pub fn subject_component(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.subject.push(vec![(name.into(), value.into())]);
        self
    }

    /// The SCEP `Retries` and `RetryDelay` (seconds) while PENDING.
    pub fn retries(mut self, retries: u32, delay_seconds: u32) -> Self {
        self.retries = Some(retries);
        self.retry_delay = Some(delay_seconds);
        self
    }

    /// The MDM `ServerURL` (required).
    pub fn server_url(mut self, url: impl Into<String>) -> Self {
        self.server_url = Some(url.into());
        self
    }

    /// The MDM `CheckInURL`.
    pub fn check_in_url(mut self, url: impl Into<String>) -> Self {
        self.check_in_url = Some(url.into());
        self
    }

    /// The MDM push `Topic` (required), `com.apple.mgmt.…`.
    pub fn topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// The MDM `AccessRights` (default 8191, all).
    pub fn access_rights(mut self, rights: u32) -> Self {
        self.access_rights = rights;
        self
    }

    /// The MDM `SignMessage` flag (default false).
    pub fn sign_message(mut self, sign: bool) -> Self {
        self.sign_message = sign;
        self
    }

    /// The MDM `CheckOutWhenRemoved` flag (default true).
    pub fn check_out_when_removed(mut self, check_out: bool) -> Self {
        self.check_out_when_removed = check_out;
        self
    }

    /// Adds an MDM `ServerCapabilities` entry, e.g.
    /// [`PER_USER_CONNECTIONS`](super::PER_USER_CONNECTIONS).
    pub fn server_capability(mut self, capability: impl Into<String>) -> Self {
        self.server_capabilities.push(capability.into());
        self
    }

    /// Accepts `http` URLs too (for tests against local servers).
    pub fn allow_insecure_urls(mut self) -> Self {
        self.allow_insecure_urls = true;
        self
    }

    /// Validates the settings and builds the profile.
    pub fn build(self) -> Result<EnrollmentProfile, ProfileError> {
        let identifier = self
            .identifier
            .clone()
            .ok_or(ProfileError::Missing("identifier"))?;
        let [profile_uuid, scep_uuid, mdm_uuid] = self.resolve_uuids()?;
        let scep = self.scep_payload(&identifier, scep_uuid)?;
        let mdm = self.mdm_payload(&identifier, mdm_uuid, &scep.uuid)?;
        Ok(EnrollmentProfile {
            identifier,
            uuid: profile_uuid,
            display_name: self.display_name,
            organization: self.organization,
            scep,
            mdm: Some(mdm),
        })
    }

    fn resolve_uuids(&self) -> Result<[String; 3], ProfileError> {
        let mut out: [String; 3] = Default::default();
        for (slot, fixed) in out.iter_mut().zip(&self.uuids) {
            *slot = match fixed {
                Some(uuid) if is_uuid(uuid) => uuid.clone(),
                Some(uuid) => return Err(ProfileError::Uuid(uuid.clone())),
                None => cryptoutil::algorithm::random_uuid().map_err(ProfileError::Crypto)?,
            };
        }
        Ok(out)
    }

    fn scep_payload(&self, identifier: &str, uuid: String) -> Result<ScepPayload, ProfileError> {
        let url = self.scep_url.clone().ok_or(ProfileError::Missing("URL"))?;
        self.check_url("URL", &url)?;
        if ![1024, 2048, 4096].contains(&self.keysize) {
            return Err(ProfileError::Keysize(self.keysize));
        }
        Ok(ScepPayload {
            identifier: format!("{identifier}.scep"),
            uuid,
            display_name: Some("Device Identity Certificate".to_owned()),
            url,
            name: self.ca_name.clone(),
            challenge: self.challenge.clone(),
            keysize: self.keysize,
            key_type: "RSA".to_owned(),
            key_usage: self.key_usage,
            subject: self.subject.clone(),
            retries: self.retries,
            retry_delay: self.retry_delay,
        })
    }

    fn mdm_payload(
        &self,
        identifier: &str,
        uuid: String,
        identity: &str,
    ) -> Result<MdmPayload, ProfileError> {
        let server_url = self
            .server_url
            .clone()
            .ok_or(ProfileError::Missing("ServerURL"))?;
        self.check_url("ServerURL", &server_url)?;
        if let Some(url) = &self.check_in_url {
            self.check_url("CheckInURL", url)?;
        }
        let topic = self.topic.clone().ok_or(ProfileError::Missing("Topic"))?;
        if !topic.starts_with("com.apple.mgmt.") {
            return Err(ProfileError::Topic(topic));
        }
        if !(1..=ALL_ACCESS_RIGHTS).contains(&self.access_rights) {
            return Err(ProfileError::AccessRights(self.access_rights));
        }
        Ok(MdmPayload {
            identifier: format!("{identifier}.mdm"),
            uuid,
            display_name: Some("MDM".to_owned()),
            server_url,
            check_in_url: self.check_in_url.clone(),
            topic,
            identity_certificate_uuid: identity.to_owned(),
            access_rights: self.access_rights,
            sign_message: self.sign_message,
            check_out_when_removed: self.check_out_when_removed,
            server_capabilities: self.server_capabilities.clone(),
        })
    }

    fn check_url(&self, field: &'static str, url: &str) -> Result<(), ProfileError> {
        let lower = url.to_ascii_lowercase();
        let secure = lower.starts_with("https://") && lower.len() > "https://".len();
        let insecure_ok = self.allow_insecure_urls && lower.starts_with("http://");
        if secure || insecure_ok {
            Ok(())
        } else {
            Err(ProfileError::InsecureUrl {
                field,
                url: url.to_owned(),
            })
        }
    }
}

/// Whether `uuid` has the 8-4-4-4-12 hexadecimal form.
fn is_uuid(uuid: &str) -> bool {
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_uuids_are_upper_case_version_4() {
        let uuid = cryptoutil::algorithm::random_uuid().unwrap_or_default();
        assert!(is_uuid(&uuid), "{uuid}");
        assert_eq!(uuid, uuid.to_ascii_uppercase());
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "A" | "B"));
    }

    #[test]
    fn is_uuid_rejects_wrong_group_lengths() {
        assert!(!is_uuid("0000000-0000-0000-0000-000000000000"));
        assert!(!is_uuid("G0000000-0000-0000-0000-000000000000"));
        assert!(is_uuid("063D7953-1338-4BF0-8F99-913382996224"));
    }
}
