//! [`PushService`]: enrollment IDs in, one APNs push per enrollment out,
//! through a [`PushProvider`] per topic.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::certificate::{PushCertError, PushCertificate};
use super::notification::Notification;
use super::{PushError, PushResults, Pushed, Pusher};
use crate::protocol::enrollment::EnrollmentId;
use crate::store::{BoxError, PushCertStore, PushStore, StoreError};

/// How long APNs keeps retrying a push by default: 7 days, as Fleet does.
pub const DEFAULT_EXPIRATION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Sends raw MDM pushes for one push certificate (one topic). Port of Go
/// `push.PushProvider`.
///
/// Contract: `push` returns exactly one result per notification, in the
/// same order; a failure of one notification does not fail the others.
#[async_trait]
pub trait PushProvider: Send + Sync + fmt::Debug {
    /// Sends every notification.
    async fn push(&self, notifications: &[Notification]) -> Vec<Result<Pushed, PushError>>;
}

/// Makes a [`PushProvider`] for a push certificate. Port of Go
/// `push.PushProviderFactory`.
pub trait PushProviderFactory: Send + Sync + fmt::Debug {
    /// A provider pushing with `certificate` (as TLS client certificate).
    /// Fails when the certificate or key is unusable for it.
    fn new_push_provider(
        &self,
        certificate: &PushCertificate,
    ) -> Result<Arc<dyn PushProvider>, BoxError>;
}

/// The time source of [`PushService`], for `apns-expiration`.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A provider and the stale token of the certificate it was made from.
#[derive(Debug, Clone)]
struct Cached {
    stale_token: u64,
    provider: Arc<dyn PushProvider>,
}

/// The [`Pusher`] over the push-info and push-certificate stores. Port of
/// Go `push/service.PushService`.
///
/// Looks up each ID's push info; unknown IDs get [`PushError::NotEnrolled`]
/// and disabled ones [`PushError::Disabled`] and are not pushed (nanomdm
/// pushes them anyway). The rest are grouped by topic and each group goes
/// to that topic's provider; the groups are pushed concurrently.
///
/// Providers are cached per topic with the certificate's stale token. Each
/// call asks the store whether the token is stale, so when one replica
/// stores a renewed certificate, every replica switches to it on its next
/// push (one staleness query per topic per call).
pub struct PushService {
    push_store: Arc<dyn PushStore>,
    cert_store: Arc<dyn PushCertStore>,
    factory: Arc<dyn PushProviderFactory>,
    expiration: Option<Duration>,
    clock: Clock,
    providers: Mutex<HashMap<String, Cached>>,
}

impl fmt::Debug for PushService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushService")
            .field("factory", &self.factory)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl PushService {
    /// A service pushing with providers from `factory`, with pushes that
    /// expire after [`DEFAULT_EXPIRATION`] by the system clock.
    pub fn new(
        push_store: Arc<dyn PushStore>,
        cert_store: Arc<dyn PushCertStore>,
        factory: Arc<dyn PushProviderFactory>,
    ) -> Self {
        Self {
            push_store,
            cert_store,
            factory,
            expiration: Some(DEFAULT_EXPIRATION),
            clock: Arc::new(SystemTime::now),
            providers: Mutex::new(HashMap::new()),
        }
    }

    /// Sets how long APNs keeps retrying a push; `None` sends no
    /// `apns-expiration`.
    #[must_use]
    pub fn with_expiration(mut self, expiration: Option<Duration>) -> Self {
        self.expiration = expiration;
        self
    }

    /// Sets the clock the expiration is counted from (tests use a fixed one).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The provider of `topic`: the cached one while its certificate is not
    /// stale, else a new one from the stored certificate. Port of Go
    /// `PushService.getProvider`.
    async fn provider(
        &self,
        topic: &str,
        now: SystemTime,
    ) -> Result<Arc<dyn PushProvider>, TopicFailure> {
        let cached = self.cache().get(topic).cloned();
        if let Some(cached) = cached
            && !self
                .cert_store
                .is_push_cert_stale(topic, cached.stale_token)
                .await?
        {
            return Ok(cached.provider);
        }
        let Some((stored, stale_token)) = self.cert_store.push_cert(topic).await? else {
            self.cache().remove(topic);
            return Err(TopicFailure::NoCert);
        };
        let certificate = PushCertificate::from_push_cert(&stored).map_err(shared)?;
        if certificate.topic() != topic {
            return Err(shared(PushCertError::NotMdmTopic(format!(
                "{} (stored for {topic})",
                certificate.topic()
            ))));
        }
        if certificate.not_after() < now {
            return Err(shared(PushCertError::Expired));
        }
        let provider = self
            .factory
            .new_push_provider(&certificate)
            .map_err(|e| TopicFailure::BadCert(Arc::from(e)))?;
        self.cache().insert(
            topic.to_owned(),
            Cached {
                stale_token,
                provider: Arc::clone(&provider),
            },
        );
        Ok(provider)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        // The map stays consistent even if a holder panicked: every update
        // is a single insert or remove.
        self.providers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Pushes one topic's group, one result per ID.
    async fn push_topic(
        &self,
        topic: &str,
        group: Vec<(EnrollmentId, Notification)>,
        now: SystemTime,
    ) -> Vec<(EnrollmentId, Result<Pushed, PushError>)> {
        let provider = match self.provider(topic, now).await {
            Ok(provider) => provider,
            Err(failure) => {
                return group
                    .into_iter()
                    .map(|(id, _)| (id, Err(failure.to_error(topic))))
                    .collect();
            }
        };
        let (ids, notifications): (Vec<_>, Vec<_>) = group.into_iter().unzip();
        let mut results = provider.push(&notifications).await.into_iter();
        ids.into_iter()
            .map(|id| {
                // A provider breaking its contract must not lose IDs.
                let result = results.next().unwrap_or_else(|| {
                    Err(PushError::Transport(
                        "push provider returned no result".into(),
                    ))
                });
                (id, result)
            })
            .collect()
    }
}

#[async_trait]
impl Pusher for PushService {
    async fn push(&self, ids: &[EnrollmentId]) -> Result<PushResults, PushError> {
        let mut unique: Vec<EnrollmentId> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        let infos = self.push_store.push_info(&unique).await?;
        let now = (self.clock)();
        let expiration = self.expiration.map(|e| now + e);
        let mut results = PushResults::with_capacity(unique.len());
        let mut groups: HashMap<&str, Vec<(EnrollmentId, Notification)>> = HashMap::new();
        for id in unique {
            match infos.get(&id) {
                None => {
                    results.insert(id, Err(PushError::NotEnrolled));
                }
                Some(info) if !info.enabled => {
                    results.insert(id, Err(PushError::Disabled));
                }
                Some(info) => groups
                    .entry(info.topic.as_str())
                    .or_default()
                    .push((id, Notification::new(info, expiration))),
            }
        }
        let pushes = groups
            .into_iter()
            .map(|(topic, group)| self.push_topic(topic, group, now));
        for group in futures_util::future::join_all(pushes).await {
            results.extend(group);
        }
        Ok(results)
    }
}

/// Why a whole topic could not be pushed; turned into one error per ID.
#[derive(Debug, Clone)]
enum TopicFailure {
    NoCert,
    BadCert(Arc<dyn StdError + Send + Sync>),
    Store(Arc<StoreError>),
}

impl From<StoreError> for TopicFailure {
    fn from(e: StoreError) -> Self {
        Self::Store(Arc::new(e))
    }
}

fn shared(e: PushCertError) -> TopicFailure {
    TopicFailure::BadCert(Arc::new(e))
}

impl TopicFailure {
    fn to_error(&self, topic: &str) -> PushError {
        match self {
            Self::NoCert => PushError::NoPushCert(topic.to_owned()),
            Self::BadCert(e) => PushError::BadPushCert {
                topic: topic.to_owned(),
                source: Box::new(Shared(Arc::clone(e))),
            },
            Self::Store(e) => {
                PushError::Store(StoreError::Backend(Box::new(Shared(Arc::clone(e) as _))))
            }
        }
    }
}

/// One error reported for several IDs.
#[derive(Debug)]
struct Shared(Arc<dyn StdError + Send + Sync>);

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for Shared {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.source()
    }
}

#[cfg(test)]
mod tests;
