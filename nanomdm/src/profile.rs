//! Enrollment profiles (`.mobileconfig`): a `Configuration` plist holding a
//! `com.apple.security.scep` payload (the device identity) and a
//! `com.apple.mdm` payload pointing at it, built, validated, signed (CMS
//! SignedData, as `security cms -S` makes) and read back.
//!
//! Start with [`EnrollmentProfile::builder`].

mod builder;
mod codec;

pub use builder::EnrollmentProfileBuilder;

use cryptoutil::PrivateKey;
use cryptoutil::cert::Certificate;
use cryptoutil::cms::signed_data::{SignedDataBuilder, SignedMessage, Signer};

/// `PayloadType` of the outer profile.
pub const CONFIGURATION_PAYLOAD_TYPE: &str = "Configuration";
/// `PayloadType` of the SCEP payload.
pub const SCEP_PAYLOAD_TYPE: &str = "com.apple.security.scep";
/// `PayloadType` of the MDM payload.
pub const MDM_PAYLOAD_TYPE: &str = "com.apple.mdm";
/// Every MDM access right (`AccessRights`), the default.
pub const ALL_ACCESS_RIGHTS: u32 = 8191;
/// The `com.apple.mdm.per-user-connections` server capability.
pub const PER_USER_CONNECTIONS: &str = "com.apple.mdm.per-user-connections";
/// The `com.apple.mdm.bootstraptoken` server capability.
pub const BOOTSTRAP_TOKEN: &str = "com.apple.mdm.bootstraptoken";

/// Why a profile could not be built, encoded, signed or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// A required setting was not given, or a required key is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A URL is not https (and insecure URLs were not allowed).
    #[error("{field} must be an https URL, got {url:?}")]
    InsecureUrl {
        /// The plist key (`ServerURL`, `CheckInURL`, `URL`).
        field: &'static str,
        /// The rejected value.
        url: String,
    },
    /// The push topic does not start with `com.apple.mgmt.`.
    #[error("Topic must start with com.apple.mgmt., got {0:?}")]
    Topic(String),
    /// `AccessRights` is outside 1..=8191.
    #[error("AccessRights must be within 1..=8191, got {0}")]
    AccessRights(u32),
    /// `Keysize` is not 1024, 2048 or 4096.
    #[error("Keysize must be 1024, 2048 or 4096, got {0}")]
    Keysize(u32),
    /// A fixed UUID is not in the 8-4-4-4-12 hexadecimal form.
    #[error("malformed UUID {0:?}")]
    Uuid(String),
    /// A key is present but has the wrong type or value.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The plist key.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The plist could not be written or read.
    #[error("malformed plist")]
    Plist(#[source] plist::Error),
    /// Signing or random generation failed, or a signed profile is
    /// malformed or does not verify.
    #[error("profile cryptography")]
    Crypto(#[source] cryptoutil::Error),
}

/// The `com.apple.security.scep` payload: how the device gets its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScepPayload {
    /// `PayloadIdentifier`.
    pub identifier: String,
    /// `PayloadUUID` (the MDM payload's `IdentityCertificateUUID`).
    pub uuid: String,
    /// `PayloadDisplayName`.
    pub display_name: Option<String>,
    /// `URL` of the SCEP server.
    pub url: String,
    /// `Name`, the CA-IDENT for multi-CA servers.
    pub name: Option<String>,
    /// `Challenge`, the pre-shared challenge password.
    pub challenge: Option<String>,
    /// `Keysize` in bits (Apple's default when absent: 1024).
    pub keysize: u32,
    /// `Key Type` (always `RSA`).
    pub key_type: String,
    /// `Key Usage` bits: 1 signing, 4 encryption.
    pub key_usage: u32,
    /// `Subject`: relative distinguished names, each a list of
    /// (OID or short name, value) pairs.
    pub subject: Vec<Vec<(String, String)>>,
    /// `Retries` while the server answers PENDING.
    pub retries: Option<u32>,
    /// `RetryDelay` in seconds between retries.
    pub retry_delay: Option<u32>,
}

/// The `com.apple.mdm` payload: where and how the device talks MDM.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MdmPayload {
    /// `PayloadIdentifier`.
    pub identifier: String,
    /// `PayloadUUID`.
    pub uuid: String,
    /// `PayloadDisplayName`.
    pub display_name: Option<String>,
    /// `ServerURL` (commands and results).
    pub server_url: String,
    /// `CheckInURL` (check-ins; defaults to `ServerURL` on the device).
    pub check_in_url: Option<String>,
    /// `Topic`, the push certificate's topic.
    pub topic: String,
    /// `IdentityCertificateUUID`, the identity payload's `PayloadUUID`.
    pub identity_certificate_uuid: String,
    /// `AccessRights` bits.
    pub access_rights: u32,
    /// `SignMessage`: the device adds `Mdm-Signature`.
    pub sign_message: bool,
    /// `CheckOutWhenRemoved`: the device sends CheckOut on removal.
    pub check_out_when_removed: bool,
    /// `ServerCapabilities`.
    pub server_capabilities: Vec<String>,
}

/// An enrollment profile: the outer `Configuration` and its payloads.
///
/// Built (and validated) by [`EnrollmentProfile::builder`], or read back by
/// [`EnrollmentProfile::parse`], which does not re-validate: a parsed
/// profile is what the file says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnrollmentProfile {
    /// `PayloadIdentifier` of the profile.
    pub identifier: String,
    /// `PayloadUUID` of the profile.
    pub uuid: String,
    /// `PayloadDisplayName` of the profile.
    pub display_name: Option<String>,
    /// `PayloadOrganization` of the profile.
    pub organization: Option<String>,
    /// The SCEP identity payload.
    pub scep: ScepPayload,
    /// The MDM payload (always present in a built profile; a parsed
    /// profile may have none, like an identity-only profile).
    pub mdm: Option<MdmPayload>,
}

impl EnrollmentProfile {
    /// Starts a profile with the defaults: `Keysize` 2048, `Key Type` RSA,
    /// `Key Usage` 5, `AccessRights` 8191, `CheckOutWhenRemoved` true,
    /// `SignMessage` false, fresh random UUIDs.
    pub fn builder() -> EnrollmentProfileBuilder {
        EnrollmentProfileBuilder::default()
    }

    /// The profile as an XML plist.
    pub fn to_xml(&self) -> Result<Vec<u8>, ProfileError> {
        codec::to_xml(self)
    }

    /// The profile as CMS SignedData (DER) with the XML encapsulated,
    /// SHA-256, signed attributes and the signer certificate included, as
    /// `openssl smime -sign -nodetach -outform DER` makes.
    pub fn sign(
        &self,
        certificate: &Certificate,
        key: &dyn PrivateKey,
    ) -> Result<Vec<u8>, ProfileError> {
        let xml = self.to_xml()?;
        SignedDataBuilder::new(&xml)
            .signer(Signer::new(certificate, key))
            .build()
            .map_err(ProfileError::Crypto)
    }

    /// Reads a profile: an XML (or binary) plist, or a signed profile,
    /// whose signature is verified against its own certificates (not
    /// against any trust anchor) before its content is read.
    pub fn parse(xml_or_signed: &[u8]) -> Result<Self, ProfileError> {
        if is_plist(xml_or_signed) {
            return codec::parse(xml_or_signed);
        }
        let message = SignedMessage::from_ber(xml_or_signed).map_err(ProfileError::Crypto)?;
        message.verify(None).map_err(ProfileError::Crypto)?;
        let content = message
            .content()
            .ok_or(ProfileError::Missing("signed profile content"))?;
        codec::parse(content)
    }
}

/// Whether `input` looks like a plist (XML or binary) rather than DER.
fn is_plist(input: &[u8]) -> bool {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(input.len());
    let rest = &input[start..];
    rest.starts_with(b"<") || rest.starts_with(b"bplist") || rest.starts_with(b"\xEF\xBB\xBF<")
}
