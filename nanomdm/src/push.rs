//! APNs push: waking enrolled devices so they check for commands.
//!
//! Port of nanomdm's `push` packages. [`Pusher`] is what the API and the
//! embedding server call; [`NoopPusher`] is the do-nothing seam for
//! deployments without push.
//!
//! - [`PushService`] is the real [`Pusher`]: it resolves enrollment IDs to
//!   push info, groups them by topic and hands each group to a
//!   [`PushProvider`] made by a [`PushProviderFactory`] from the topic's
//!   stored [`PushCertificate`] (cached until the certificate changes).
//! - [`Notification`] is one push as APNs wants it (headers, the exact
//!   `{"mdm":"<PushMagic>"}` body) and [`parse_response`] reads APNs'
//!   answer, with the refusal [`ApnsReason`] as a type.
//! - [`PushCertificate`] parses and checks an uploaded certificate and key
//!   (`PUT /v1/pushcert`).
//! - Behind the `apns` feature, `apns::ApnsFactory` is a ready provider:
//!   hyper HTTP/2 over rustls with the push certificate as client
//!   certificate.

#[cfg(feature = "apns")]
pub mod apns;
mod certificate;
mod notification;
mod reason;
mod service;

use std::collections::HashMap;
use std::fmt::Debug;
use std::time::SystemTime;

use async_trait::async_trait;

pub use certificate::{KeyFormat, PushCertError, PushCertificate};
pub use notification::{
    APNS_EXPIRATION, APNS_ID, APNS_PRIORITY, APNS_PUSH_TYPE, APNS_TOPIC, Notification,
    RequestError, parse_response,
};
pub use reason::ApnsReason;
pub use service::{Clock, DEFAULT_EXPIRATION, PushProvider, PushProviderFactory, PushService};

use crate::protocol::enrollment::EnrollmentId;
use crate::store::{BoxError, StoreError};

/// The outcome of one push: APNs' `apns-id` for the notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The `apns-id` APNs answered with (or that the client sent).
    pub apns_id: String,
}

/// Why a push to one enrollment failed, or why a whole push call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The enrollment has no push info (never sent a TokenUpdate, or
    /// unknown). nanomdm's message, kept for API compatibility.
    #[error("push data missing for id")]
    NotEnrolled,
    /// The enrollment is disabled (Authenticate or CheckOut since its last
    /// TokenUpdate): it is not pushed.
    #[error("enrollment is disabled")]
    Disabled,
    /// No push certificate is stored for the enrollment's topic.
    #[error("no push certificate for topic {0}")]
    NoPushCert(String),
    /// The stored push certificate or key is unusable.
    #[error("unusable push certificate for topic {topic}")]
    BadPushCert {
        /// The topic.
        topic: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// APNs refused the notification.
    #[error("APNs push error: HTTP {status}: {reason}")]
    Apns {
        /// The HTTP status APNs answered.
        status: u16,
        /// APNs' `reason`, e.g. `BadDeviceToken` or `Unregistered`.
        reason: ApnsReason,
        /// For `Unregistered` (410): when APNs learnt that the token is no
        /// longer valid.
        timestamp: Option<SystemTime>,
    },
    /// The connection to APNs failed.
    #[error("APNs connection failed")]
    Transport(#[source] BoxError),
    /// Reading push info or the push certificate failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PushError {
    /// APNs' reason when APNs refused the push, so callers can react (e.g.
    /// stop pushing an [`ApnsReason::Unregistered`] device).
    pub fn apns_reason(&self) -> Option<&ApnsReason> {
        match self {
            Self::Apns { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// One result per requested enrollment.
pub type PushResults = HashMap<EnrollmentId, Result<Pushed, PushError>>;

/// Sends MDM pushes to enrollments. Port of Go `push.Pusher`.
///
/// Contract: the returned map has exactly one entry per distinct requested
/// ID; an error of the whole call (`Err`) means nothing was attempted.
#[async_trait]
pub trait Pusher: Send + Sync + Debug {
    /// Pushes to every ID.
    async fn push(&self, ids: &[EnrollmentId]) -> Result<PushResults, PushError>;
}

/// A [`Pusher`] that sends nothing and reports every ID as not enrolled for
/// push; for servers that run without APNs (tests, migration).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopPusher;

#[async_trait]
impl Pusher for NoopPusher {
    async fn push(&self, ids: &[EnrollmentId]) -> Result<PushResults, PushError> {
        Ok(ids
            .iter()
            .map(|id| (id.clone(), Err(PushError::NotEnrolled)))
            .collect())
    }
}
