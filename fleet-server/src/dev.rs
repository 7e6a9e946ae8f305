//! `serve --dev`: everything a newcomer needs, generated on first start in
//! a data directory and reused afterwards, so enrolled devices keep
//! working across restarts:
//!
//! - `scep-ca.pem`, `scep-ca.key`: a dev SCEP CA (RSA 2048, 10 years);
//! - `apns.pem`, `apns.key`: a self-signed dev push certificate whose
//!   subject UID is an MDM topic (`com.apple.mgmt.External.<uuid>`); Apple
//!   would refuse it, which is why dev mode pushes to a built-in sink;
//! - `scep-challenge`, `server-private-key`: random secrets;
//! - `fleet.sqlite3`: the database (unless MySQL is configured).
//!
//! Private files are created with mode 0600 and the directory 0700.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, CertificateProfile};
use nanomdm::push::PushCertificate;
use scep::ca::CaOptions;

use crate::config::credentials::{CredentialArgs, ScepCa};
use crate::config::{ConfigError, Secret};

/// The dev-mode credentials and secrets.
#[derive(Debug)]
pub struct DevMaterials {
    /// The dev SCEP CA.
    pub ca: ScepCa,
    /// The dev push certificate.
    pub push: PushCertificate,
    /// The SCEP challenge.
    pub challenge: Secret,
    /// The key that encrypts secrets in the database.
    pub private_key: Secret,
}

/// Loads the dev materials from `dir`, generating what is missing.
pub fn prepare(dir: &Path, now: SystemTime) -> Result<DevMaterials, ConfigError> {
    create_private_dir(dir)?;
    let ca_cert = dir.join("scep-ca.pem");
    let ca_key = dir.join("scep-ca.key");
    if !ca_cert.exists() || !ca_key.exists() {
        let (certificate, key) = scep::ca::init(&CaOptions {
            key_bits: 2048,
            common_name: "fleet-server dev SCEP CA".into(),
            organization: "fleet-server dev".into(),
            ..CaOptions::default()
        })
        .map_err(|e| dev_error(&ca_cert, e))?;
        write_pair(&ca_cert, &ca_key, &certificate, &key)?;
    }
    let push_cert = dir.join("apns.pem");
    let push_key = dir.join("apns.key");
    if !push_cert.exists() || !push_key.exists() {
        let uuid = cryptoutil::algorithm::random_uuid().map_err(|e| dev_error(&push_cert, e))?;
        let key = RsaPrivateKey::generate(2048).map_err(|e| dev_error(&push_key, e))?;
        let subject =
            format!("UID=com.apple.mgmt.External.{uuid},CN=APSP:{uuid},O=fleet-server dev")
                .parse()
                .map_err(|e| dev_error(&push_cert, e))?;
        let profile = CertificateProfile::new(365).map_err(|e| dev_error(&push_cert, e))?;
        let certificate =
            cert::self_signed(subject, &key, &profile).map_err(|e| dev_error(&push_cert, e))?;
        write_pair(&push_cert, &push_key, &certificate, &key)?;
    }
    // Read back through the production checks, so a damaged or expired
    // file is reported like a bad environment variable.
    let files = CredentialArgs {
        mdm_apple_scep_cert: Some(ca_cert),
        mdm_apple_scep_key: Some(ca_key),
        mdm_apple_apns_cert: Some(push_cert),
        mdm_apple_apns_key: Some(push_key),
        ..CredentialArgs::default()
    };
    let hint = |e: ConfigError| ConfigError::DevData {
        path: dir.to_owned(),
        reason: format!("{e} (delete the directory to start afresh)"),
    };
    let ca = files.scep_ca(now).map_err(hint)?;
    let push = files.apns(now).map_err(hint)?;
    let (Some(ca), Some(push)) = (ca, push) else {
        return Err(dev_error(dir, "credentials missing after generation"));
    };
    Ok(DevMaterials {
        ca,
        push,
        challenge: secret_file(&dir.join("scep-challenge"))?,
        private_key: secret_file(&dir.join("server-private-key"))?,
    })
}

/// The default data directory: `fleet-dev` in the working directory.
pub fn default_dir() -> PathBuf {
    PathBuf::from("fleet-dev")
}

fn dev_error(path: &Path, e: impl std::fmt::Display) -> ConfigError {
    ConfigError::DevData {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), ConfigError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| dev_error(dir, e))
}

/// Writes `contents` to a new file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> Result<(), ConfigError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| dev_error(path, e))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| dev_error(path, e))
}

fn write_pair(
    cert_path: &Path,
    key_path: &Path,
    certificate: &cert::Certificate,
    key: &RsaPrivateKey,
) -> Result<(), ConfigError> {
    // The key first: a certificate without its key is never left behind.
    write_private(key_path, &key.to_pkcs8_pem())?;
    let pem = cert::to_pem(certificate).map_err(|e| dev_error(cert_path, e))?;
    write_private(cert_path, &pem)
}

/// The secret in `path`, generated (32 random bytes, base64) when missing.
fn secret_file(path: &Path) -> Result<Secret, ConfigError> {
    if let Ok(existing) = fs::read_to_string(path) {
        let trimmed = existing.trim();
        if !trimmed.is_empty() {
            return Ok(Secret::new(trimmed));
        }
    }
    let mut bytes = [0u8; 32];
    cryptoutil::algorithm::fill_random(&mut bytes).map_err(|e| dev_error(path, e))?;
    use base64::Engine as _;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    write_private(path, &format!("{value}\n"))?;
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_materials_are_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = prepare(dir.path(), now).unwrap();
        assert!(first.push.topic().starts_with("com.apple.mgmt.External."));
        assert!(cert::is_ca(&first.ca.certificate));
        let second = prepare(dir.path(), now).unwrap();
        assert_eq!(first.ca.certificate, second.ca.certificate);
        assert_eq!(first.push.topic(), second.push.topic());
        assert_eq!(first.challenge, second.challenge);
        assert_eq!(first.private_key, second.private_key);
    }

    #[cfg(unix)]
    #[test]
    fn dev_private_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        prepare(&data, SystemTime::now()).unwrap();
        for name in [
            "scep-ca.key",
            "apns.key",
            "scep-challenge",
            "server-private-key",
        ] {
            let mode = fs::metadata(data.join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        let mode = fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_damaged_dev_file_is_reported_with_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        prepare(dir.path(), SystemTime::now()).unwrap();
        fs::write(dir.path().join("apns.key"), "garbage").unwrap();
        let err = prepare(dir.path(), SystemTime::now()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("FLEET_MDM_APPLE_APNS_KEY"), "{message}");
        assert!(message.contains("delete the directory"), "{message}");
    }
}
