//! From flags and environment to checked settings: every rule that can
//! fail does so here, before anything listens, with the variable named.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::SystemTime;

use http::{HeaderName, Uri};
use scep::IssuancePolicy;

use super::ServeArgs;
use std::sync::Arc;

use crate::config::{ConfigError, public_base_url};
use crate::db::DbConfig;
use crate::dev;
use crate::mdm::{MdmSettings, PushSink, PushTarget};
use crate::secret::SecretCipher;

/// The checked settings of `serve`.
#[derive(Debug)]
pub struct Settings {
    /// The database.
    pub db: DbConfig,
    /// TLS certificate and key files, when the server speaks TLS itself.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Apple MDM, when enabled.
    pub mdm: Option<MdmSettings>,
    /// Encrypts secrets stored in the database (from
    /// `FLEET_SERVER_PRIVATE_KEY`).
    pub cipher: Option<Arc<SecretCipher>>,
    /// Dev mode: its data directory and push sink.
    pub dev: Option<DevMode>,
}

/// What dev mode adds.
#[derive(Debug, Clone)]
pub struct DevMode {
    /// Where the generated materials live.
    pub data_dir: PathBuf,
    /// Where pushes go instead of APNs.
    pub push_sink: Arc<PushSink>,
}

impl Settings {
    /// Whether devices identify by a TLS client certificate this server
    /// verifies itself (then enrollment profiles need not sign messages).
    pub fn verifies_client_certificates(&self) -> bool {
        self.tls.is_some() && self.mdm.is_some()
    }
}

/// Checks `args` at `now`; `bound` is the address the listener got (dev
/// mode's URL uses its port, which may have been chosen by the system).
pub fn resolve(
    args: &ServeArgs,
    bound: SocketAddr,
    now: SystemTime,
) -> Result<Settings, ConfigError> {
    let dev = args.dev.then(|| DevMode {
        data_dir: args.dev_data_dir.clone().unwrap_or_else(dev::default_dir),
        push_sink: PushSink::new(),
    });
    let materials = match &dev {
        Some(dev) => Some(dev::prepare(&dev.data_dir, now)?),
        None => None,
    };
    let mut database = args.database.clone();
    if database.sqlite_path.is_none()
        && let Some(dev) = &dev
    {
        database.sqlite_path = Some(dev.data_dir.join("fleet.sqlite3"));
    }
    let tls = tls_files(args, dev.is_some())?;
    let private_key = args
        .server
        .server_private_key
        .clone()
        .or_else(|| materials.as_ref().map(|m| m.private_key.clone()));
    // Derived once here, so a short key fails at start naming the variable.
    let cipher = private_key
        .as_ref()
        .map(|key| SecretCipher::from_private_key(key.expose().as_bytes()))
        .transpose()
        .map_err(|e| ConfigError::invalid("FLEET_SERVER_PRIVATE_KEY", e))?
        .map(Arc::new);
    let mdm = if args.mdm.mdm_apple_enable || dev.is_some() {
        if cipher.is_none() {
            return Err(ConfigError::Missing {
                variable: "FLEET_SERVER_PRIVATE_KEY",
                why: "when Apple MDM is enabled (it encrypts MDM secrets in the database)",
            });
        }
        Some(mdm_settings(
            args,
            dev.as_ref(),
            materials,
            bound,
            tls.is_some(),
            now,
        )?)
    } else {
        None
    };
    Ok(Settings {
        db: database.db_config()?,
        tls,
        mdm,
        cipher,
        dev,
    })
}

fn tls_files(args: &ServeArgs, dev: bool) -> Result<Option<(PathBuf, PathBuf)>, ConfigError> {
    if !args.server.server_tls.unwrap_or(!dev) {
        return Ok(None);
    }
    let why =
        "when FLEET_SERVER_TLS is on (set FLEET_SERVER_TLS=false behind a TLS-terminating proxy)";
    let cert = args
        .server
        .server_cert
        .clone()
        .ok_or(ConfigError::Missing {
            variable: "FLEET_SERVER_CERT",
            why,
        })?;
    let key = args.server.server_key.clone().ok_or(ConfigError::Missing {
        variable: "FLEET_SERVER_KEY",
        why,
    })?;
    Ok(Some((cert, key)))
}

fn mdm_settings(
    args: &ServeArgs,
    dev: Option<&DevMode>,
    materials: Option<dev::DevMaterials>,
    bound: SocketAddr,
    tls: bool,
    now: SystemTime,
) -> Result<MdmSettings, ConfigError> {
    let mdm = &args.mdm;
    let server_url = match (&mdm.mdm_apple_server_url, dev) {
        (Some(url), _) => public_base_url("FLEET_MDM_APPLE_SERVER_URL", url)?,
        (None, Some(_)) => local_url(bound, tls),
        (None, None) => {
            return Err(ConfigError::Missing {
                variable: "FLEET_MDM_APPLE_SERVER_URL",
                why: "when FLEET_MDM_APPLE_ENABLE is on",
            });
        }
    };
    let (dev_ca, dev_push, dev_challenge) = match materials {
        Some(m) => (Some(m.ca), Some(m.push), Some(m.challenge)),
        None => (None, None, None),
    };
    // Environment credentials win over generated dev ones.
    let ca = mdm
        .credentials
        .scep_ca(now)?
        .or(dev_ca)
        .ok_or(ConfigError::Missing {
            variable: "FLEET_MDM_APPLE_SCEP_CERT",
            why: "(or FLEET_MDM_APPLE_SCEP_CERT_BYTES) when FLEET_MDM_APPLE_ENABLE is on",
        })?;
    let push = mdm
        .credentials
        .apns(now)?
        .or(dev_push)
        .ok_or(ConfigError::Missing {
            variable: "FLEET_MDM_APPLE_APNS_CERT",
            why: "(or FLEET_MDM_APPLE_APNS_CERT_BYTES) when FLEET_MDM_APPLE_ENABLE is on",
        })?;
    let scep_challenge = mdm
        .mdm_apple_scep_challenge
        .clone()
        .or(dev_challenge)
        .ok_or(ConfigError::Missing {
            variable: "FLEET_MDM_APPLE_SCEP_CHALLENGE",
            why: "when FLEET_MDM_APPLE_ENABLE is on",
        })?;
    if scep_challenge.expose().is_empty() {
        return Err(ConfigError::invalid(
            "FLEET_MDM_APPLE_SCEP_CHALLENGE",
            "must not be empty",
        ));
    }
    let push_target = push_target(args, dev)?;
    let client_cert_header = mdm
        .mdm_apple_client_cert_header
        .as_deref()
        .map(|name| {
            HeaderName::try_from(name)
                .map_err(|e| ConfigError::invalid("FLEET_MDM_APPLE_CLIENT_CERT_HEADER", e))
        })
        .transpose()?;
    Ok(MdmSettings {
        server_url,
        scep_challenge,
        ca,
        push,
        push_target,
        client_cert_header,
        issuance: IssuancePolicy {
            validity_days: mdm.mdm_apple_scep_signer_validity_days,
            allow_renew_days: mdm.mdm_apple_scep_signer_allow_renewal_days,
            ..IssuancePolicy::default()
        },
    })
}

fn push_target(args: &ServeArgs, dev: Option<&DevMode>) -> Result<PushTarget, ConfigError> {
    if let Some(url) = &args.mdm.dev_mdm_apple_push_server_url {
        let variable = "FLEET_DEV_MDM_APPLE_PUSH_SERVER_URL";
        let base = public_base_url(variable, url)?;
        let uri: Uri = base
            .parse()
            .map_err(|e| ConfigError::invalid(variable, e))?;
        return Ok(PushTarget::Apns(uri));
    }
    if let Some(dev) = dev {
        return Ok(PushTarget::Sink(dev.push_sink.clone()));
    }
    Ok(PushTarget::Apns(Uri::from_static(
        nanomdm::push::apns::PRODUCTION_URL,
    )))
}

/// The URL of this server on the loopback interface, for dev mode.
fn local_url(address: SocketAddr, tls: bool) -> String {
    let host = if address.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else if address.is_ipv6() {
        format!("[{}]", address.ip())
    } else {
        address.ip().to_string()
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{host}:{}", address.port())
}
