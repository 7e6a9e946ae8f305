//! Apple credentials from the environment: the SCEP CA certificate and key
//! and the APNs push certificate and key, each as a file path
//! (`FLEET_MDM_APPLE_SCEP_CERT`) or as PEM contents (`..._BYTES`), or by
//! the earlier PoC names (`FLEET_MDM_APPLE_SCEP_CA_CERT_PEM`, ...). They
//! are checked at start and never stored in the database.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, Certificate};
use nanomdm::push::{PushCertError, PushCertificate};

use super::{ConfigError, Secret};

/// The credential flags; see the module documentation.
#[derive(Debug, Clone, Default, Args)]
pub struct CredentialArgs {
    /// PEM file of the SCEP CA certificate.
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_CERT")]
    pub mdm_apple_scep_cert: Option<PathBuf>,
    /// PEM of the SCEP CA certificate.
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_CERT_BYTES", hide_env_values = true)]
    pub mdm_apple_scep_cert_bytes: Option<Secret>,
    /// PEM of the SCEP CA certificate (earlier name).
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_CA_CERT_PEM", hide_env_values = true)]
    pub mdm_apple_scep_ca_cert_pem: Option<Secret>,
    /// PEM file of the SCEP CA private key.
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_KEY")]
    pub mdm_apple_scep_key: Option<PathBuf>,
    /// PEM of the SCEP CA private key.
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_KEY_BYTES", hide_env_values = true)]
    pub mdm_apple_scep_key_bytes: Option<Secret>,
    /// PEM of the SCEP CA private key (earlier name).
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_CA_KEY_PEM", hide_env_values = true)]
    pub mdm_apple_scep_ca_key_pem: Option<Secret>,
    /// PEM file of the APNs push certificate.
    #[arg(long, env = "FLEET_MDM_APPLE_APNS_CERT")]
    pub mdm_apple_apns_cert: Option<PathBuf>,
    /// PEM of the APNs push certificate.
    #[arg(long, env = "FLEET_MDM_APPLE_APNS_CERT_BYTES", hide_env_values = true)]
    pub mdm_apple_apns_cert_bytes: Option<Secret>,
    /// PEM of the APNs push certificate (earlier name).
    #[arg(
        long,
        env = "FLEET_MDM_APPLE_MDM_PUSH_CERT_PEM",
        hide_env_values = true
    )]
    pub mdm_apple_mdm_push_cert_pem: Option<Secret>,
    /// PEM file of the APNs push private key.
    #[arg(long, env = "FLEET_MDM_APPLE_APNS_KEY")]
    pub mdm_apple_apns_key: Option<PathBuf>,
    /// PEM of the APNs push private key.
    #[arg(long, env = "FLEET_MDM_APPLE_APNS_KEY_BYTES", hide_env_values = true)]
    pub mdm_apple_apns_key_bytes: Option<Secret>,
    /// PEM of the APNs push private key (earlier name).
    #[arg(long, env = "FLEET_MDM_APPLE_MDM_PUSH_KEY_PEM", hide_env_values = true)]
    pub mdm_apple_mdm_push_key_pem: Option<Secret>,
}

/// One PEM value: which variable it came from and its text.
struct Pem {
    variable: &'static str,
    text: String,
}

/// The value of whichever of a path variable, a bytes variable and an
/// earlier-name variable is set; more than one is an error naming two.
fn pem(
    (path_var, path): (&'static str, &Option<PathBuf>),
    (bytes_var, bytes): (&'static str, &Option<Secret>),
    (legacy_var, legacy): (&'static str, &Option<Secret>),
) -> Result<Option<Pem>, ConfigError> {
    match (path, bytes, legacy) {
        (Some(_), Some(_), _) => Err(ConfigError::Conflict(path_var, bytes_var)),
        (Some(_), None, Some(_)) => Err(ConfigError::Conflict(path_var, legacy_var)),
        (None, Some(_), Some(_)) => Err(ConfigError::Conflict(bytes_var, legacy_var)),
        (Some(path), None, None) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                variable: path_var,
                path: path.clone(),
                source,
            })?;
            Ok(Some(Pem {
                variable: path_var,
                text,
            }))
        }
        (None, Some(value), None) => Ok(Some(Pem {
            variable: bytes_var,
            text: value.expose().to_owned(),
        })),
        (None, None, Some(value)) => Ok(Some(Pem {
            variable: legacy_var,
            text: value.expose().to_owned(),
        })),
        (None, None, None) => Ok(None),
    }
}

/// The SCEP CA that issues device identities.
#[derive(Clone)]
pub struct ScepCa {
    /// The CA certificate.
    pub certificate: Certificate,
    /// Its private key.
    pub key: Arc<RsaPrivateKey>,
}

impl std::fmt::Debug for ScepCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScepCa")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl CredentialArgs {
    /// The SCEP CA, if configured: a CA certificate, valid at `now`, with
    /// the RSA key that matches it.
    pub fn scep_ca(&self, now: SystemTime) -> Result<Option<ScepCa>, ConfigError> {
        let cert_pem = pem(
            ("FLEET_MDM_APPLE_SCEP_CERT", &self.mdm_apple_scep_cert),
            (
                "FLEET_MDM_APPLE_SCEP_CERT_BYTES",
                &self.mdm_apple_scep_cert_bytes,
            ),
            (
                "FLEET_MDM_APPLE_SCEP_CA_CERT_PEM",
                &self.mdm_apple_scep_ca_cert_pem,
            ),
        )?;
        let key_pem = pem(
            ("FLEET_MDM_APPLE_SCEP_KEY", &self.mdm_apple_scep_key),
            (
                "FLEET_MDM_APPLE_SCEP_KEY_BYTES",
                &self.mdm_apple_scep_key_bytes,
            ),
            (
                "FLEET_MDM_APPLE_SCEP_CA_KEY_PEM",
                &self.mdm_apple_scep_ca_key_pem,
            ),
        )?;
        let (cert_pem, key_pem) = match (cert_pem, key_pem) {
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(missing("FLEET_MDM_APPLE_SCEP_KEY", "with the cert")),
            (None, Some(_)) => return Err(missing("FLEET_MDM_APPLE_SCEP_CERT", "with the key")),
            (Some(c), Some(k)) => (c, k),
        };
        let certificate = first_certificate(&cert_pem)?;
        if !cert::is_ca(&certificate) {
            return Err(ConfigError::invalid(
                cert_pem.variable,
                "the certificate is not a CA (basicConstraints cA is not set)",
            ));
        }
        check_validity(cert_pem.variable, &certificate, now)?;
        let key = RsaPrivateKey::from_pem(&key_pem.text).map_err(|e| {
            ConfigError::invalid(key_pem.variable, format!("not an RSA private key: {e}"))
        })?;
        let public = cert::public_key(&certificate)
            .map_err(|e| ConfigError::invalid(cert_pem.variable, e))?;
        use cryptoutil::PrivateKey as _;
        if public.pkcs1_der() != key.public_key().pkcs1_der() {
            return Err(ConfigError::invalid(
                key_pem.variable,
                format!(
                    "the key does not match the certificate of {}",
                    cert_pem.variable
                ),
            ));
        }
        Ok(Some(ScepCa {
            certificate,
            key: Arc::new(key),
        }))
    }

    /// The APNs push certificate, if configured: with an MDM topic, valid
    /// at `now`, with the key that matches it.
    pub fn apns(&self, now: SystemTime) -> Result<Option<PushCertificate>, ConfigError> {
        let cert_pem = pem(
            ("FLEET_MDM_APPLE_APNS_CERT", &self.mdm_apple_apns_cert),
            (
                "FLEET_MDM_APPLE_APNS_CERT_BYTES",
                &self.mdm_apple_apns_cert_bytes,
            ),
            (
                "FLEET_MDM_APPLE_MDM_PUSH_CERT_PEM",
                &self.mdm_apple_mdm_push_cert_pem,
            ),
        )?;
        let key_pem = pem(
            ("FLEET_MDM_APPLE_APNS_KEY", &self.mdm_apple_apns_key),
            (
                "FLEET_MDM_APPLE_APNS_KEY_BYTES",
                &self.mdm_apple_apns_key_bytes,
            ),
            (
                "FLEET_MDM_APPLE_MDM_PUSH_KEY_PEM",
                &self.mdm_apple_mdm_push_key_pem,
            ),
        )?;
        let (cert_pem, key_pem) = match (cert_pem, key_pem) {
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(missing("FLEET_MDM_APPLE_APNS_KEY", "with the cert")),
            (None, Some(_)) => return Err(missing("FLEET_MDM_APPLE_APNS_CERT", "with the key")),
            (Some(c), Some(k)) => (c, k),
        };
        // Checked separately first so that an error names the right variable.
        first_certificate(&cert_pem)?;
        if !key_pem.text.contains("PRIVATE KEY-----") || key_pem.text.contains("CERTIFICATE-----") {
            return Err(ConfigError::invalid(
                key_pem.variable,
                "expected one PEM private key",
            ));
        }
        let combined = format!("{}\n{}", cert_pem.text, key_pem.text);
        let push = PushCertificate::from_pem(combined.as_bytes()).map_err(|e| {
            let variable = match e {
                PushCertError::KeyMismatch
                | PushCertError::EncryptedKey
                | PushCertError::InvalidKey(_)
                | PushCertError::UnsupportedKey(_) => key_pem.variable,
                _ => cert_pem.variable,
            };
            ConfigError::invalid(variable, e)
        })?;
        check_validity(cert_pem.variable, push.certificate(), now)?;
        Ok(Some(push))
    }
}

fn missing(variable: &'static str, why: &'static str) -> ConfigError {
    ConfigError::Missing { variable, why }
}

/// The first certificate of a PEM value.
fn first_certificate(pem: &Pem) -> Result<Certificate, ConfigError> {
    let certificates = cert::from_pem(&pem.text)
        .map_err(|e| ConfigError::invalid(pem.variable, format!("not a PEM certificate: {e}")))?;
    certificates
        .into_iter()
        .next()
        .ok_or_else(|| ConfigError::invalid(pem.variable, "holds no certificate"))
}

fn check_validity(
    variable: &'static str,
    certificate: &Certificate,
    now: SystemTime,
) -> Result<(), ConfigError> {
    if cert::is_valid_at(certificate, now) {
        return Ok(());
    }
    let validity = &certificate.tbs_certificate.validity;
    let reason = if validity.not_after.to_system_time() <= now {
        format!("the certificate expired on {}", validity.not_after)
    } else {
        format!(
            "the certificate is not valid before {}",
            validity.not_before
        )
    };
    Err(ConfigError::invalid(variable, reason))
}
