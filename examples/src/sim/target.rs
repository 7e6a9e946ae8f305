//! What an enrollment profile tells a device: where to get its identity
//! (SCEP) and where to check in.

use anyhow::{Context as _, bail};
use bytes::Bytes;
use nanomdm::profile::EnrollmentProfile;
use scep::client::Transport as _;

use crate::HyperTransport;

/// The enrollment settings of a profile, as the simulator uses them.
#[derive(Debug, Clone)]
pub struct Target {
    /// The SCEP `URL`.
    pub scep_url: http::Uri,
    /// The SCEP `Challenge`, if any.
    pub challenge: Option<String>,
    /// The SCEP `Keysize` in bits.
    pub keysize: usize,
    /// The SCEP `Subject` (RDNs of type/value pairs); `%HardwareUUID%` and
    /// `%SerialNumber%` in values are replaced per device.
    pub subject: Vec<Vec<(String, String)>>,
    /// Where check-ins go: `CheckInURL`, or `ServerURL` without one.
    pub check_in_url: String,
    /// Where command reports go: `ServerURL`.
    pub server_url: String,
    /// The push `Topic`.
    pub topic: String,
    /// The `SignMessage` flag (the simulator signs regardless).
    pub sign_message: bool,
}

impl Target {
    /// Reads the profile at `source`: a file, or an `http://` URL fetched
    /// with GET. Signed and unsigned profiles are accepted.
    ///
    /// # Errors
    ///
    /// If the profile cannot be read or fetched, does not parse, or lacks
    /// the MDM payload.
    pub async fn load(source: &str) -> anyhow::Result<Self> {
        let bytes = if source.starts_with("https://") {
            bail!(
                "--profile {source}: this simulator speaks plain HTTP only; download the \
                 profile and pass the file"
            );
        } else if source.starts_with("http://") {
            fetch(source).await?
        } else {
            std::fs::read(source).with_context(|| format!("reading --profile {source}"))?
        };
        let profile = EnrollmentProfile::parse(&bytes)
            .with_context(|| format!("parsing the enrollment profile {source}"))?;
        Self::from_profile(&profile).with_context(|| format!("enrollment profile {source}"))
    }

    /// The settings of a parsed profile.
    ///
    /// # Errors
    ///
    /// If the profile has no MDM payload, or a URL or the key size is not
    /// usable.
    pub fn from_profile(profile: &EnrollmentProfile) -> anyhow::Result<Self> {
        let Some(mdm) = &profile.mdm else {
            bail!("no com.apple.mdm payload");
        };
        let scep_url = profile
            .scep
            .url
            .parse()
            .with_context(|| format!("SCEP URL {:?}", profile.scep.url))?;
        for url in [Some(&mdm.server_url), mdm.check_in_url.as_ref()]
            .into_iter()
            .flatten()
        {
            if !url.starts_with("http://") {
                bail!("{url:?}: this simulator speaks plain HTTP only");
            }
        }
        Ok(Self {
            scep_url,
            challenge: profile.scep.challenge.clone(),
            keysize: usize::try_from(profile.scep.keysize).context("SCEP Keysize")?,
            subject: profile.scep.subject.clone(),
            check_in_url: mdm
                .check_in_url
                .clone()
                .unwrap_or_else(|| mdm.server_url.clone()),
            server_url: mdm.server_url.clone(),
            topic: mdm.topic.clone(),
            sign_message: mdm.sign_message,
        })
    }
}

async fn fetch(url: &str) -> anyhow::Result<Vec<u8>> {
    let request = http::Request::get(url)
        .body(Bytes::new())
        .with_context(|| format!("--profile {url}: not a URL"))?;
    let response = HyperTransport::new()
        .send(request)
        .await
        .map_err(|e| anyhow::anyhow!("fetching {url}: {}", super::mdm::chain(e.as_ref())))?;
    if response.status() != http::StatusCode::OK {
        bail!("fetching {url}: HTTP {}", response.status());
    }
    Ok(response.into_body().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> nanomdm::profile::EnrollmentProfileBuilder {
        EnrollmentProfile::builder()
            .identifier("device-sim.test")
            .scep_url("http://127.0.0.1:2016/scep")
            .challenge("secret")
            .subject_component("CN", "%HardwareUUID%")
            .server_url("http://127.0.0.1:9000/mdm")
            .topic("com.apple.mgmt.External.test")
            .allow_insecure_urls()
    }

    #[test]
    fn without_a_check_in_url_check_ins_go_to_the_server_url() {
        let target = Target::from_profile(&builder().build().unwrap()).unwrap();
        assert_eq!(target.check_in_url, "http://127.0.0.1:9000/mdm");
        assert_eq!(target.server_url, "http://127.0.0.1:9000/mdm");
        assert_eq!(target.challenge.as_deref(), Some("secret"));
        assert_eq!(target.keysize, 2048);
        let profile = builder()
            .check_in_url("http://127.0.0.1:9000/checkin")
            .build()
            .unwrap();
        let target = Target::from_profile(&profile).unwrap();
        assert_eq!(target.check_in_url, "http://127.0.0.1:9000/checkin");
    }

    #[test]
    fn an_https_server_url_is_refused_with_a_reason() {
        let profile = builder()
            .server_url("https://127.0.0.1:9000/mdm")
            .build()
            .unwrap();
        let error = Target::from_profile(&profile).unwrap_err().to_string();
        assert!(error.contains("plain HTTP only"), "{error}");
    }
}
