//! The MDM services: what happens when a check-in or a command report
//! arrives, as a chain of decorators over one [`Service`] trait.
//!
//! Port of nanomdm's `service` packages. The reference chain, outermost
//! first, is [`CertAuth`] → [`Hooked`] → [`Core`]: certauth refuses a
//! certificate that speaks for another enrollment before anything is
//! stored, the core service stores the message and serves the queue, and
//! hooks (the embedding application's side effects) run only after the
//! core succeeded.
//!
//! Unlike nanomdm, the enrollment is resolved once, before any service
//! runs ([`Checkin::channel`], [`Report::channel`]), so every layer sees
//! the same [`Channel`](crate::protocol::enrollment::Channel).

mod certauth;
mod core;
mod dump;
mod hook;

use std::collections::BTreeMap;
use std::fmt::Debug;

use async_trait::async_trait;
use bytes::Bytes;

use crate::identity::ClientIdentity;
use crate::protocol::checkin::Checkin;
use crate::protocol::command::Report;
use crate::store::{BoxError, QueuedCommand, StoreError};

pub use certauth::{CertAuth, CertAuthError, CertAuthOptions};
pub use core::{Core, DeclarativeManagementHandler, TokenHandler, UserAuthenticatePolicy};
pub use dump::Dump;
pub use hook::{Hook, Hooked};

/// What a request carries besides its message: the device identity and the
/// URL query parameters. Port of Go `mdm.Request` (minus the enrollment,
/// which is on the message).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The verified identity certificate, `None` where none is required
    /// (migration).
    pub identity: Option<ClientIdentity>,
    /// The query parameters of the request URL (first value of each).
    pub params: BTreeMap<String, String>,
}

impl Request {
    /// A request with the given verified identity and no parameters.
    pub fn with_identity(identity: ClientIdentity) -> Self {
        Self {
            identity: Some(identity),
            params: BTreeMap::new(),
        }
    }
}

/// The body of a check-in response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An empty 200 (most check-ins).
    Empty,
    /// A property list (GetBootstrapToken, GetToken, UserAuthenticate).
    Plist(Bytes),
    /// JSON (DeclarativeManagement).
    Json(Bytes),
}

/// Why a service refused or failed a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The server declines to manage this user (UserAuthenticate → 410).
    #[error("declining management of user")]
    UserDeclined,
    /// The device identity does not speak for this enrollment.
    #[error(transparent)]
    CertAuth(#[from] CertAuthError),
    /// The message is valid but not acceptable here (e.g. an Authenticate
    /// for a user channel).
    #[error("invalid request: {0}")]
    Invalid(&'static str),
    /// No handler is configured for this check-in (DeclarativeManagement,
    /// GetToken of an unknown service type, ReturnToService).
    #[error("no handler for {0}")]
    Unsupported(String),
    /// Storage failed.
    #[error("storage failed")]
    Store(#[from] StoreError),
    /// A configured handler (DDM, GetToken) failed.
    #[error("handler failed")]
    Handler(#[source] BoxError),
}

/// A check-in and command service. Port of Go
/// `service.CheckinAndCommandService`, with one method per request kind
/// instead of one per message type: decorators match on the message.
#[async_trait]
pub trait Service: Send + Sync + Debug {
    /// Handles a check-in and returns the response body.
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<Reply, ServiceError>;

    /// Handles a command report and returns the next command for the
    /// channel, if any. Port of Go `CommandAndReportResults`.
    async fn report(
        &self,
        request: &Request,
        report: &Report,
    ) -> Result<Option<QueuedCommand>, ServiceError>;
}
