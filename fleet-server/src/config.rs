//! `fleet-server serve` configuration: flags and `FLEET_*` environment
//! variables in Fleet's naming, checked at start with errors that name the
//! variable.
//!
//! Every option is a flag whose environment twin is shown in `--help`
//! (values of secret ones are hidden). Apple credentials are read and
//! checked by [`credentials`].

pub mod credentials;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args};

use crate::db::{DbConfig, DbError};

/// A configuration value that must never be printed: `Debug` shows
/// `"[redacted]"`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

/// Why the configuration cannot be used. Every message names the flag's
/// environment variable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Two mutually exclusive variables are both set.
    #[error("only one of {0} and {1} may be set")]
    Conflict(&'static str, &'static str),
    /// A required variable is missing.
    #[error("{variable} must be set {why}")]
    Missing {
        /// The variable.
        variable: &'static str,
        /// When or why it is required.
        why: &'static str,
    },
    /// A file named by a variable cannot be read.
    #[error("{variable}: cannot read {path}")]
    Read {
        /// The variable.
        variable: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A variable's value is unusable.
    #[error("{variable}: {reason}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// What is wrong with it (never the value of a secret).
        reason: String,
    },
    /// The dev-mode data directory cannot be prepared.
    #[error("dev data directory {path}: {reason}")]
    DevData {
        /// The directory or file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The database configuration is unusable.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ConfigError {
    pub(crate) fn invalid(variable: &'static str, reason: impl fmt::Display) -> Self {
        Self::Invalid {
            variable,
            reason: reason.to_string(),
        }
    }
}

/// Where the HTTP server listens and how it speaks TLS.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "FLEET_SERVER_ADDRESS", default_value = "0.0.0.0:8080")]
    pub server_address: SocketAddr,
    /// Serve HTTPS with --server-cert and --server-key (default: on, as
    /// Fleet; off with --dev). Turn it off behind a TLS-terminating proxy.
    #[arg(long, env = "FLEET_SERVER_TLS", num_args = 0..=1, default_missing_value = "true",
        value_parser = parse_bool)]
    pub server_tls: Option<bool>,
    /// PEM file of the TLS certificate chain.
    #[arg(long, env = "FLEET_SERVER_CERT")]
    pub server_cert: Option<PathBuf>,
    /// PEM file of the TLS private key.
    #[arg(long, env = "FLEET_SERVER_KEY")]
    pub server_key: Option<PathBuf>,
    /// Key (at least 32 bytes) that encrypts secrets stored in the database.
    #[arg(long, env = "FLEET_SERVER_PRIVATE_KEY", hide_env_values = true)]
    pub server_private_key: Option<Secret>,
    /// Log JSON lines instead of text.
    #[arg(long, env = "FLEET_LOGGING_JSON", action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true",
        value_parser = parse_bool, default_value = "false")]
    pub logging_json: bool,
    /// Log at debug level.
    #[arg(long, env = "FLEET_LOGGING_DEBUG", action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true",
        value_parser = parse_bool, default_value = "false")]
    pub logging_debug: bool,
}

/// The database: MySQL when `FLEET_MYSQL_ADDRESS` is set, else SQLite.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// MySQL `host:port`; when set, MySQL is used instead of SQLite.
    #[arg(long, env = "FLEET_MYSQL_ADDRESS")]
    pub mysql_address: Option<String>,
    /// MySQL user.
    #[arg(long, env = "FLEET_MYSQL_USERNAME", default_value = "fleet")]
    pub mysql_username: String,
    /// MySQL password.
    #[arg(long, env = "FLEET_MYSQL_PASSWORD", hide_env_values = true)]
    pub mysql_password: Option<Secret>,
    /// MySQL database.
    #[arg(long, env = "FLEET_MYSQL_DATABASE", default_value = "fleet")]
    pub mysql_database: String,
    /// Most database connections open at once.
    #[arg(long, env = "FLEET_MYSQL_MAX_OPEN_CONNS", default_value_t = 50)]
    pub mysql_max_open_conns: usize,
    /// SQLite database file, used when no MySQL address is set (default
    /// `fleet.sqlite3` in the working directory; with --dev, in the dev
    /// data directory).
    #[arg(long, env = "FLEET_SQLITE_PATH")]
    pub sqlite_path: Option<PathBuf>,
}

impl DatabaseArgs {
    /// Whether MySQL is configured.
    pub fn is_mysql(&self) -> bool {
        self.mysql_address.is_some()
    }

    /// The database to open. SQLite pools are kept small: SQLite has one
    /// writer at a time.
    pub fn db_config(&self) -> Result<DbConfig, ConfigError> {
        let Some(address) = &self.mysql_address else {
            let path = self
                .sqlite_path
                .clone()
                .unwrap_or_else(|| PathBuf::from("fleet.sqlite3"));
            return Ok(DbConfig::sqlite(path).with_pool_size(self.mysql_max_open_conns.clamp(1, 8)));
        };
        if address.is_empty() || address.contains('/') || address.contains('@') {
            return Err(ConfigError::invalid(
                "FLEET_MYSQL_ADDRESS",
                "expected host:port",
            ));
        }
        let encode = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let password = self
            .mysql_password
            .as_ref()
            .map(|p| format!(":{}", encode(p.expose())))
            .unwrap_or_default();
        let url = format!(
            "mysql://{}{password}@{address}/{}",
            encode(&self.mysql_username),
            encode(&self.mysql_database),
        );
        if self.mysql_max_open_conns == 0 {
            return Err(ConfigError::invalid(
                "FLEET_MYSQL_MAX_OPEN_CONNS",
                "must be at least 1",
            ));
        }
        Ok(DbConfig::mysql(url).with_pool_size(self.mysql_max_open_conns))
    }
}

/// Apple MDM settings.
#[derive(Debug, Clone, Args)]
pub struct MdmArgs {
    /// Serve Apple MDM (SCEP, check-ins, enrollment profiles).
    #[arg(long, env = "FLEET_MDM_APPLE_ENABLE", action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true",
        value_parser = parse_bool, default_value = "false")]
    pub mdm_apple_enable: bool,
    /// Public base URL devices reach this server at (`https://host[:port]`).
    #[arg(long, env = "FLEET_MDM_APPLE_SERVER_URL")]
    pub mdm_apple_server_url: Option<String>,
    /// SCEP challenge the enrollment profiles carry.
    #[arg(long, env = "FLEET_MDM_APPLE_SCEP_CHALLENGE", hide_env_values = true)]
    pub mdm_apple_scep_challenge: Option<Secret>,
    /// Validity of issued device identity certificates, in days.
    #[arg(
        long,
        env = "FLEET_MDM_APPLE_SCEP_SIGNER_VALIDITY_DAYS",
        default_value_t = 365
    )]
    pub mdm_apple_scep_signer_validity_days: u32,
    /// Renewal is allowed this many days before a device certificate expires.
    #[arg(
        long,
        env = "FLEET_MDM_APPLE_SCEP_SIGNER_ALLOW_RENEWAL_DAYS",
        default_value_t = 14
    )]
    pub mdm_apple_scep_signer_allow_renewal_days: u32,
    /// Header a TLS-terminating proxy puts the device's client certificate
    /// in (URL-escaped PEM or RFC 9440 `Client-Cert`).
    #[arg(long, env = "FLEET_MDM_APPLE_CLIENT_CERT_HEADER")]
    pub mdm_apple_client_cert_header: Option<String>,
    /// APNs base URL override (tests, mock APNs).
    #[arg(long, env = "FLEET_DEV_MDM_APPLE_PUSH_SERVER_URL")]
    pub dev_mdm_apple_push_server_url: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs, reason = "flattened: the fields carry the docs")]
    pub credentials: credentials::CredentialArgs,
}

/// Parses Fleet's booleans: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected true or false, not {other:?}")),
    }
}

/// The public base URL without a trailing slash, checked to be an absolute
/// http(s) URL without query or fragment.
pub fn public_base_url(variable: &'static str, url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| ConfigError::invalid(variable, format!("not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("https" | "http") => {}
        _ => return Err(ConfigError::invalid(variable, "must start with https://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ConfigError::invalid(variable, "has no host"));
    }
    if uri.query().is_some() || trimmed.contains('#') {
        return Err(ConfigError::invalid(
            variable,
            "must not have a query or fragment",
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests;
