//! The authorization hook of the repository server, and two ready hooks.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::RwLock;

use async_trait::async_trait;
use base64::Engine;
use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::{ResourcePath, StoreError};

/// The credentials a request carries in `Authorization`. The Munki client
/// sends them from its `AdditionalHttpHeaders` preference.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// No `Authorization` header, or one this crate does not read.
    None,
    /// `Basic` user and password.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// A `Bearer` token.
    Bearer(String),
}

impl Debug for Credentials {
    // Secrets never reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => write!(f, "Basic({user:?}, <redacted>)"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl Credentials {
    /// Reads the `Authorization` header.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return Self::None;
        };
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            return Self::Bearer(rest.to_owned());
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok();
            let text = decoded.and_then(|d| String::from_utf8(d).ok());
            if let Some((user, password)) = text.as_deref().and_then(|t| t.split_once(':')) {
                return Self::Basic {
                    user: user.to_owned(),
                    password: password.to_owned(),
                };
            }
        }
        Self::None
    }

    /// The `Authorization` header value for these credentials, as it goes
    /// into `AdditionalHttpHeaders` (without the `Authorization: ` name).
    pub fn header_value(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Basic { user, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Self::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }
}

/// Decides whether a request may read a resource: the embedding server's
/// hook (static passwords, per-host secrets, a database of tokens).
///
/// Contract: `authorize` returns `Ok(true)` only for credentials it
/// accepts for that resource; a backend failure is an error, never a yes.
#[async_trait]
pub trait Authorizer: Send + Sync + Debug {
    /// Whether `credentials` may read `resource`.
    async fn authorize(
        &self,
        credentials: &Credentials,
        resource: &ResourcePath,
    ) -> Result<bool, StoreError>;

    /// The `WWW-Authenticate` challenge sent with 401.
    fn challenge(&self) -> &str {
        "Basic realm=\"Munki\""
    }
}

/// Lets every request through: a repository behind another guard.
#[derive(Debug, Default, Clone, Copy)]
pub struct Open;

#[async_trait]
impl Authorizer for Open {
    async fn authorize(&self, _: &Credentials, _: &ResourcePath) -> Result<bool, StoreError> {
        Ok(true)
    }
}

/// One user name and password for everyone (the classic `.htpasswd`
/// repository).
#[derive(Clone)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// Accepts exactly this user and password.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }
}

#[async_trait]
impl Authorizer for BasicAuth {
    async fn authorize(
        &self,
        credentials: &Credentials,
        _: &ResourcePath,
    ) -> Result<bool, StoreError> {
        Ok(match credentials {
            Credentials::Basic { user, password } => {
                // Both compared, always, so timing says nothing about which failed.
                let user_ok = constant_time_eq(user.as_bytes(), self.user.as_bytes());
                let password_ok = constant_time_eq(password.as_bytes(), self.password.as_bytes());
                user_ok & password_ok
            }
            _ => false,
        })
    }
}

/// Per-host secrets: host `h` with secret `s` is accepted as `Basic h:s`
/// or as `Bearer s`. The usual way to give each enrolled Mac its own
/// credential in its ManagedInstalls profile.
#[derive(Default)]
pub struct HostSecrets {
    secrets: RwLock<HashMap<String, String>>,
}

impl Debug for HostSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostSecrets").finish_non_exhaustive()
    }
}

impl HostSecrets {
    /// No hosts yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) the secret of `host`.
    pub fn insert(&self, host: impl Into<String>, secret: impl Into<String>) {
        let mut secrets = self
            .secrets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        secrets.insert(host.into(), secret.into());
    }

    /// Forgets `host` (e.g. when it unenrolls).
    pub fn remove(&self, host: &str) {
        let mut secrets = self
            .secrets
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        secrets.remove(host);
    }
}

#[async_trait]
impl Authorizer for HostSecrets {
    async fn authorize(
        &self,
        credentials: &Credentials,
        _: &ResourcePath,
    ) -> Result<bool, StoreError> {
        let secrets = self
            .secrets
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(match credentials {
            Credentials::Basic { user, password } => secrets
                .get(user)
                .is_some_and(|s| constant_time_eq(s.as_bytes(), password.as_bytes())),
            // Every secret is compared so the time does not depend on which matched.
            Credentials::Bearer(token) => secrets.values().fold(false, |found, s| {
                found | constant_time_eq(s.as_bytes(), token.as_bytes())
            }),
            Credentials::None => false,
        })
    }
}

/// Equality whose time depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;
    use crate::ResourceKind;

    fn creds(value: &str) -> Credentials {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        Credentials::from_headers(&headers)
    }

    #[test]
    fn basic_and_bearer_headers_parse_and_print_back() {
        let basic = creds("Basic bXVua2k6czNjcmV0"); // munki:s3cret
        assert_eq!(
            basic,
            Credentials::Basic {
                user: "munki".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(
            basic.header_value().as_deref(),
            Some("Basic bXVua2k6czNjcmV0")
        );
        assert_eq!(creds("bearer tok"), Credentials::Bearer("tok".into()));
        assert_eq!(creds("Basic !!!"), Credentials::None);
        assert_eq!(creds("Digest x"), Credentials::None);
        assert!(!format!("{basic:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn host_secrets_accept_each_host_only_with_its_own_secret() {
        let hosts = HostSecrets::new();
        hosts.insert("C02X", "one");
        hosts.insert("C02Y", "two");
        let any = ResourcePath::new(ResourceKind::Catalogs, "all").unwrap();
        let basic = |u: &str, p: &str| Credentials::Basic {
            user: u.into(),
            password: p.into(),
        };
        assert!(hosts.authorize(&basic("C02X", "one"), &any).await.unwrap());
        assert!(!hosts.authorize(&basic("C02X", "two"), &any).await.unwrap());
        assert!(
            hosts
                .authorize(&Credentials::Bearer("two".into()), &any)
                .await
                .unwrap()
        );
        hosts.remove("C02Y");
        assert!(
            !hosts
                .authorize(&Credentials::Bearer("two".into()), &any)
                .await
                .unwrap()
        );
        assert!(!hosts.authorize(&Credentials::None, &any).await.unwrap());
        let fixed = BasicAuth::new("munki", "pw");
        assert!(fixed.authorize(&basic("munki", "pw"), &any).await.unwrap());
        assert!(!fixed.authorize(&basic("munki", "pw2"), &any).await.unwrap());
    }
}
