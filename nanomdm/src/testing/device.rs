//! A simulated Apple device: builds the check-ins and command reports a
//! Mac sends, signs them with `Mdm-Signature` as devices do, and answers
//! commands with realistic payloads.
//!
//! Port of nanomdm's `test/enrollment` emulator, extended with the command
//! answers `device-sim` needs. Pure and synchronous: it builds
//! `http::Request`s and reads `http::Response`s; the caller sends them
//! (through an in-process handler or over the network).

mod answers;

use std::str::FromStr as _;

use base64::Engine as _;
use bytes::Bytes;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, Certificate, CertificateProfile};
use cryptoutil::cms::signed_data::{SignedDataBuilder, Signer};
use cryptoutil::x509_cert::name::Name;
use plist::{Dictionary, Value};

use crate::http::{CHECKIN_CONTENT_TYPE, COMMAND_CONTENT_TYPE};
use crate::identity::MDM_SIGNATURE;

pub use answers::AnswerPolicy;

/// Why a simulated device could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// Key generation, certificate issuance or signing failed.
    #[error("device cryptography failed")]
    Crypto(#[from] cryptoutil::Error),
    /// A plist could not be written or read.
    #[error("device plist handling failed")]
    Plist(#[from] plist::Error),
    /// A command the server sent is not usable.
    #[error("unusable command: {0}")]
    Command(&'static str),
}

/// A simulated Mac (device channel), with its identity and the state its
/// command answers depend on.
#[derive(Debug, Clone)]
pub struct Device {
    /// The UDID.
    pub udid: String,
    /// The serial number.
    pub serial_number: String,
    /// The APNs topic of the server's push certificate.
    pub topic: String,
    /// The push magic this device sends in TokenUpdate.
    pub push_magic: String,
    /// The (fake) APNs device token.
    pub token: Vec<u8>,
    /// Identifiers of the profiles installed through InstallProfile.
    pub profiles: Vec<String>,
    identity: (Certificate, std::sync::Arc<RsaPrivateKey>),
}

impl Device {
    /// A device with random UDID, serial, push magic and token, and a
    /// self-signed 2048-bit identity (for servers that do not check the
    /// issuer, or tests that trust it).
    ///
    /// # Errors
    ///
    /// [`DeviceError::Crypto`] if key generation fails.
    pub fn new(topic: impl Into<String>) -> Result<Self, DeviceError> {
        let key = RsaPrivateKey::generate(2048)?;
        let subject =
            Name::from_str("CN=simulated device").expect("a constant RFC 4514 name parses");
        let certificate = cert::self_signed(subject, &key, &CertificateProfile::new(365)?)?;
        Ok(Self::with_identity(topic, certificate, key))
    }

    /// A device with random UDID, serial, push magic and token, and the
    /// given identity (e.g. one issued by SCEP).
    pub fn with_identity(
        topic: impl Into<String>,
        certificate: Certificate,
        key: RsaPrivateKey,
    ) -> Self {
        Self {
            udid: random_uuid(),
            serial_number: random_serial(),
            topic: topic.into(),
            push_magic: random_uuid(),
            token: random_bytes::<32>().to_vec(),
            profiles: Vec::new(),
            identity: (certificate, std::sync::Arc::new(key)),
        }
    }

    /// The identity certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.identity.0
    }

    /// The identity key.
    pub fn key(&self) -> &RsaPrivateKey {
        &self.identity.1
    }

    /// Replaces the identity (e.g. a re-enrollment with a new certificate).
    pub fn set_identity(&mut self, certificate: Certificate, key: RsaPrivateKey) {
        self.identity = (certificate, std::sync::Arc::new(key));
    }

    /// The Authenticate check-in.
    pub fn authenticate(&self) -> Dictionary {
        let mut message = self.checkin("Authenticate");
        insert(&mut message, "SerialNumber", &self.serial_number);
        insert(&mut message, "Model", "Mac14,2");
        insert(&mut message, "ModelName", "MacBook Air");
        insert(&mut message, "ProductName", "Mac14,2");
        insert(&mut message, "OSVersion", "15.1");
        insert(&mut message, "BuildVersion", "24B83");
        insert(&mut message, "DeviceName", "Simulated Mac");
        message
    }

    /// The device channel's TokenUpdate.
    pub fn token_update(&self) -> Dictionary {
        let mut message = self.checkin("TokenUpdate");
        insert(&mut message, "PushMagic", &self.push_magic);
        message.insert("Token".to_owned(), Value::Data(self.token.clone()));
        message.insert("AwaitingConfiguration".to_owned(), Value::Boolean(false));
        message
    }

    /// A user channel's TokenUpdate (`UserID` + names).
    pub fn user_token_update(&self, user_id: &str, short_name: &str) -> Dictionary {
        let mut message = self.token_update();
        insert(&mut message, "UserID", user_id);
        insert(&mut message, "UserShortName", short_name);
        insert(&mut message, "UserLongName", short_name);
        message
    }

    /// The CheckOut check-in.
    pub fn check_out(&self) -> Dictionary {
        self.checkin("CheckOut")
    }

    /// SetBootstrapToken with `token` (empty removes it).
    pub fn set_bootstrap_token(&self, token: &[u8]) -> Dictionary {
        let mut message = self.checkin("SetBootstrapToken");
        message.insert("BootstrapToken".to_owned(), Value::Data(token.to_vec()));
        message
    }

    /// GetBootstrapToken.
    pub fn get_bootstrap_token(&self) -> Dictionary {
        self.checkin("GetBootstrapToken")
    }

    /// UserAuthenticate for `user_id`, with a digest response or without
    /// (the first of the two messages).
    pub fn user_authenticate(&self, user_id: &str, digest_response: Option<&str>) -> Dictionary {
        let mut message = self.checkin("UserAuthenticate");
        insert(&mut message, "UserID", user_id);
        if let Some(response) = digest_response {
            insert(&mut message, "DigestResponse", response);
        }
        message
    }

    /// An Idle command report.
    pub fn idle(&self) -> Dictionary {
        self.report("Idle", None)
    }

    /// A report of `status` for `command_uuid` with no payload.
    pub fn report(&self, status: &str, command_uuid: Option<&str>) -> Dictionary {
        let mut message = Dictionary::new();
        insert(&mut message, "UDID", &self.udid);
        insert(&mut message, "Status", status);
        if let Some(uuid) = command_uuid {
            insert(&mut message, "CommandUUID", uuid);
        }
        message
    }

    /// A PUT of check-in `message` to `uri`, signed.
    ///
    /// # Errors
    ///
    /// If the plist cannot be written or signing fails.
    pub fn checkin_request(
        &self,
        uri: &str,
        message: &Dictionary,
    ) -> Result<http::Request<Bytes>, DeviceError> {
        self.request(uri, CHECKIN_CONTENT_TYPE, message)
    }

    /// A PUT of command report `message` to `uri`, signed.
    ///
    /// # Errors
    ///
    /// If the plist cannot be written or signing fails.
    pub fn report_request(
        &self,
        uri: &str,
        message: &Dictionary,
    ) -> Result<http::Request<Bytes>, DeviceError> {
        self.request(uri, COMMAND_CONTENT_TYPE, message)
    }

    /// A detached CMS signature over `body` by the identity, base64, as the
    /// `Mdm-Signature` header carries it. Devices sign with SHA-1 and no
    /// signed attributes; this signs with SHA-256 (the verifier takes both).
    ///
    /// # Errors
    ///
    /// [`DeviceError::Crypto`] if signing fails.
    pub fn sign(&self, body: &[u8]) -> Result<String, DeviceError> {
        let (certificate, key) = (&self.identity.0, self.identity.1.as_ref());
        let der = SignedDataBuilder::new(body)
            .detached()
            .certificate(certificate.clone())
            .signer(Signer::new(certificate, key).without_signed_attributes())
            .build()?;
        Ok(base64::engine::general_purpose::STANDARD.encode(der))
    }

    fn request(
        &self,
        uri: &str,
        content_type: &'static str,
        message: &Dictionary,
    ) -> Result<http::Request<Bytes>, DeviceError> {
        let body = to_xml(message)?;
        let signature = self.sign(&body)?;
        http::Request::put(uri)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(MDM_SIGNATURE, signature)
            .header(http::header::USER_AGENT, "MDM/1.0")
            .body(Bytes::from(body))
            .map_err(|_| DeviceError::Command("request URI is not valid"))
    }

    fn checkin(&self, message_type: &str) -> Dictionary {
        let mut message = Dictionary::new();
        insert(&mut message, "MessageType", message_type);
        insert(&mut message, "UDID", &self.udid);
        insert(&mut message, "Topic", &self.topic);
        message
    }
}

/// `dict[key] = value` for a string value.
fn insert(dict: &mut Dictionary, key: &str, value: &str) {
    dict.insert(key.to_owned(), Value::String(value.to_owned()));
}

/// A dictionary as an XML plist.
///
/// # Errors
///
/// If the dictionary holds a value XML cannot express.
pub fn to_xml(message: &Dictionary) -> Result<Vec<u8>, DeviceError> {
    let mut xml = Vec::new();
    Value::Dictionary(message.clone()).to_writer_xml(&mut xml)?;
    Ok(xml)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    cryptoutil::algorithm::fill_random(&mut bytes)
        .expect("the system random number generator works");
    bytes
}

/// A random UUID in Apple's upper-case form.
fn random_uuid() -> String {
    // aws-lc-rs' generator does not fail once the library is initialised.
    cryptoutil::algorithm::random_uuid().expect("the system random number generator works")
}

/// A random 12-character serial number of Apple's alphabet.
fn random_serial() -> String {
    const ALPHABET: &[u8] = b"0123456789CDFGHJKLMNPQRTVWXY";
    random_bytes::<12>()
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}
