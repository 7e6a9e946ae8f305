//! The state file: every device's identity and state, so a later run
//! reconnects the same devices instead of enrolling new ones.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, bail};
use cryptoutil::RsaPrivateKey;
use cryptoutil::cert;
use nanomdm::testing::device::Device;
use serde::{Deserialize, Serialize};

/// The file's layout version; a file of another version is refused.
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    devices: Vec<DeviceState>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DeviceState {
    udid: String,
    serial_number: String,
    topic: String,
    push_magic: String,
    /// The push token, lower-case hex.
    token: String,
    /// The identity certificate the CA issued, PEM.
    certificate_pem: String,
    /// The identity key, PKCS#8 PEM.
    key_pem: String,
    profiles: Vec<String>,
}

/// The devices in the state file at `path`, or `None` when there is no
/// such file.
///
/// # Errors
///
/// If the file cannot be read or is not a state file of this version.
pub fn load_state(path: &Path) -> anyhow::Result<Option<Vec<Device>>> {
    let json = match std::fs::read(path) {
        Ok(json) => json,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let file: StateFile = serde_json::from_slice(&json)
        .with_context(|| format!("{} is not a device-sim state file", path.display()))?;
    if file.version != VERSION {
        bail!(
            "{} has state version {}, this program reads {VERSION}",
            path.display(),
            file.version
        );
    }
    let devices = file
        .devices
        .into_iter()
        .map(DeviceState::into_device)
        .collect::<anyhow::Result<_>>()
        .with_context(|| format!("state file {}", path.display()))?;
    Ok(Some(devices))
}

/// Writes `devices` to `path` (replacing it whole, readable by the owner
/// only: it holds private keys).
///
/// # Errors
///
/// If a certificate cannot be encoded or the file cannot be written.
pub fn save_state(path: &Path, devices: &[&Device]) -> anyhow::Result<()> {
    let file = StateFile {
        version: VERSION,
        devices: devices
            .iter()
            .map(|device| DeviceState::of(device))
            .collect::<anyhow::Result<_>>()?,
    };
    let json = serde_json::to_vec_pretty(&file).context("encoding the state")?;
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    write_private(&temporary, &json)
        .and_then(|()| std::fs::rename(&temporary, path))
        .with_context(|| format!("writing {}", path.display()))
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

impl DeviceState {
    fn of(device: &Device) -> anyhow::Result<Self> {
        Ok(Self {
            udid: device.udid.clone(),
            serial_number: device.serial_number.clone(),
            topic: device.topic.clone(),
            push_magic: device.push_magic.clone(),
            token: device.token.iter().map(|b| format!("{b:02x}")).collect(),
            certificate_pem: cert::to_pem(device.certificate())
                .with_context(|| format!("encoding the certificate of {}", device.udid))?,
            key_pem: device.key().to_pkcs8_pem(),
            profiles: device.profiles.clone(),
        })
    }

    fn into_device(self) -> anyhow::Result<Device> {
        let what = |item: &str| format!("device {}: {item}", self.udid);
        let certificate = cert::from_pem(&self.certificate_pem)
            .ok()
            .and_then(|certificates| certificates.into_iter().next())
            .with_context(|| what("certificate_pem holds no certificate"))?;
        let key = RsaPrivateKey::from_pem(&self.key_pem).with_context(|| what("key_pem"))?;
        let token = hex_decode(&self.token).with_context(|| what("token is not hex"))?;
        let mut device = Device::with_identity(self.topic, certificate, key);
        device.udid = self.udid;
        device.serial_number = self.serial_number;
        device.push_magic = self.push_magic;
        device.token = token;
        device.profiles = self.profiles;
        Ok(device)
    }
}

fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_device_loads_with_the_same_identity_and_state() {
        let mut device = Device::new("com.apple.mgmt.External.test").unwrap();
        device.profiles.push("com.example.profile".to_owned());
        let dir = std::env::temp_dir().join(format!("device-sim-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        save_state(&path, &[&device]).unwrap();
        let loaded = load_state(&path).unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let [again] = loaded.as_slice() else {
            panic!("one device expected, got {}", loaded.len());
        };
        assert_eq!(again.udid, device.udid);
        assert_eq!(again.serial_number, device.serial_number);
        assert_eq!(again.push_magic, device.push_magic);
        assert_eq!(again.token, device.token);
        assert_eq!(again.profiles, device.profiles);
        assert_eq!(again.certificate(), device.certificate());
        assert_eq!(again.key().to_pkcs8_der(), device.key().to_pkcs8_der());
    }

    #[test]
    fn a_missing_file_is_no_state_and_a_foreign_one_is_an_error() {
        let missing = Path::new("/nonexistent/device-sim/state.json");
        assert!(load_state(missing).unwrap().is_none());
        let dir = std::env::temp_dir().join(format!("device-sim-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        std::fs::write(&path, b"{\"version\": 9, \"devices\": []}").unwrap();
        let error = load_state(&path).unwrap_err().to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(error.contains("state version 9"), "{error}");
    }

    #[test]
    fn odd_or_non_hex_tokens_are_refused() {
        assert_eq!(hex_decode("0aff"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_decode("0af"), None);
        assert_eq!(hex_decode("zz"), None);
    }
}
