//! The core service: stores check-ins and serves the command queue.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use cryptoutil::der::Encode as _;
use plist::{Dictionary, Value};

use super::{Reply, Request, Service, ServiceError};
use crate::protocol::checkin::{
    Checkin, CheckinMessage, DeclarativeManagement, GetToken, UserAuthenticate,
};
use crate::protocol::command::{Report, Status};
use crate::protocol::enrollment::Channel;
use crate::store::{BoxError, QueuedCommand, ServiceStore, StoreError};

/// What the core service answers a UserAuthenticate with. Port of Go
/// `UAService`'s two modes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserAuthenticatePolicy {
    /// Decline management of every additional user with 410 Gone (nanomdm's
    /// default); nothing is stored.
    #[default]
    Decline,
    /// Answer the first message with an empty `DigestChallenge` (no password
    /// needed) and the digest response with an empty body, storing both
    /// (nanomdm's `-ua-zl-dc`).
    ZeroLengthChallenge,
}

/// Answers DeclarativeManagement check-ins (e.g. a DDM server). Port of Go
/// `service.DeclarativeManagement`.
#[async_trait]
pub trait DeclarativeManagementHandler: Send + Sync + fmt::Debug {
    /// The JSON body for the device's `Endpoint` request.
    async fn declarative_management(
        &self,
        channel: &Channel,
        message: &DeclarativeManagement,
    ) -> Result<Bytes, BoxError>;
}

/// Answers GetToken check-ins of one `TokenServiceType`. Port of Go
/// `service.GetToken`.
#[async_trait]
pub trait TokenHandler: Send + Sync + fmt::Debug {
    /// The `TokenData` for the device.
    async fn token(&self, channel: &Channel, message: &GetToken) -> Result<Vec<u8>, BoxError>;
}

/// The core service. Port of Go `service/nanomdm.Service`.
///
/// Per check-in (storage calls in order):
/// - Authenticate: store it, clear the device's queue (and its user
///   channels'), disable its enrollments: the device gets nothing until its
///   TokenUpdate;
/// - TokenUpdate: store it (enables the enrollment);
/// - CheckOut: disable;
/// - SetBootstrapToken / GetBootstrapToken: escrow / return the token;
/// - UserAuthenticate: per [`UserAuthenticatePolicy`];
/// - DeclarativeManagement, GetToken: the configured handlers.
///
/// Per report: store it, then serve the next command. Commands the channel
/// answered NotNow are served again only in answer to an Idle.
#[derive(Clone)]
pub struct Core {
    store: Arc<dyn ServiceStore>,
    user_authenticate: UserAuthenticatePolicy,
    declarative_management: Option<Arc<dyn DeclarativeManagementHandler>>,
    tokens: BTreeMap<String, Arc<dyn TokenHandler>>,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("store", &self.store)
            .field("user_authenticate", &self.user_authenticate)
            .field("declarative_management", &self.declarative_management)
            .field("token_service_types", &self.tokens.keys())
            .finish()
    }
}

impl Core {
    /// A core service over `store`, declining additional users, with no
    /// DDM or GetToken handlers.
    pub fn new(store: Arc<dyn ServiceStore>) -> Self {
        Self {
            store,
            user_authenticate: UserAuthenticatePolicy::default(),
            declarative_management: None,
            tokens: BTreeMap::new(),
        }
    }

    /// Sets the UserAuthenticate policy.
    #[must_use]
    pub fn with_user_authenticate(mut self, policy: UserAuthenticatePolicy) -> Self {
        self.user_authenticate = policy;
        self
    }

    /// Sets the DeclarativeManagement handler.
    #[must_use]
    pub fn with_declarative_management(
        mut self,
        handler: Arc<dyn DeclarativeManagementHandler>,
    ) -> Self {
        self.declarative_management = Some(handler);
        self
    }

    /// Sets the GetToken handler of `service_type` (e.g. `com.apple.maid`),
    /// replacing an earlier one for the same type.
    #[must_use]
    pub fn with_token_handler(
        mut self,
        service_type: impl Into<String>,
        handler: Arc<dyn TokenHandler>,
    ) -> Self {
        self.tokens.insert(service_type.into(), handler);
        self
    }

    async fn user_authenticate(
        &self,
        channel: &Channel,
        message: &UserAuthenticate,
        raw: &[u8],
    ) -> Result<Reply, ServiceError> {
        match self.user_authenticate {
            UserAuthenticatePolicy::Decline => Err(ServiceError::UserDeclined),
            UserAuthenticatePolicy::ZeroLengthChallenge => {
                self.store
                    .store_user_authenticate(channel, message, raw)
                    .await?;
                if message.is_digest_response() {
                    return Ok(Reply::Empty);
                }
                plist_reply("DigestChallenge", Value::String(String::new()))
            }
        }
    }

    async fn bootstrap_token(&self, channel: &Channel) -> Result<Reply, ServiceError> {
        match self.store.bootstrap_token(channel).await? {
            Some(token) => plist_reply("BootstrapToken", Value::Data(token)),
            None => Ok(Reply::Empty),
        }
    }

    async fn get_token(
        &self,
        channel: &Channel,
        message: &GetToken,
    ) -> Result<Reply, ServiceError> {
        let handler = self
            .tokens
            .get(&message.token_service_type)
            .ok_or_else(|| {
                ServiceError::Unsupported(format!("GetToken {:?}", message.token_service_type))
            })?;
        let token = handler
            .token(channel, message)
            .await
            .map_err(ServiceError::Handler)?;
        plist_reply("TokenData", Value::Data(token))
    }

    async fn declarative_management(
        &self,
        channel: &Channel,
        message: &DeclarativeManagement,
    ) -> Result<Reply, ServiceError> {
        let handler = self
            .declarative_management
            .as_ref()
            .ok_or_else(|| ServiceError::Unsupported("DeclarativeManagement".to_owned()))?;
        let body = handler
            .declarative_management(channel, message)
            .await
            .map_err(ServiceError::Handler)?;
        Ok(Reply::Json(body))
    }
}

#[async_trait]
impl Service for Core {
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<Reply, ServiceError> {
        let channel = &checkin.channel;
        let store = &self.store;
        match &checkin.message {
            CheckinMessage::Authenticate(message) => {
                if channel.is_user_channel() {
                    return Err(ServiceError::Invalid("Authenticate for a user channel"));
                }
                let identity = request
                    .identity
                    .as_ref()
                    .map(|identity| identity.certificate().to_der())
                    .transpose()
                    .map_err(|e| ServiceError::Handler(Box::new(e)))?;
                store
                    .store_authenticate(channel, message, &checkin.raw, identity.as_deref())
                    .await?;
                store.clear_queue(channel).await?;
                store.disable(channel).await?;
            }
            CheckinMessage::TokenUpdate(message) => {
                store
                    .store_token_update(channel, message, &checkin.raw)
                    .await?;
            }
            CheckinMessage::CheckOut(_) => store.disable(channel).await?,
            CheckinMessage::SetBootstrapToken(message) => {
                store
                    .store_bootstrap_token(channel, message.bootstrap_token.as_deref())
                    .await?;
            }
            CheckinMessage::GetBootstrapToken(_) => return self.bootstrap_token(channel).await,
            CheckinMessage::UserAuthenticate(message) => {
                return self.user_authenticate(channel, message, &checkin.raw).await;
            }
            CheckinMessage::DeclarativeManagement(message) => {
                return self.declarative_management(channel, message).await;
            }
            CheckinMessage::GetToken(message) => return self.get_token(channel, message).await,
            other => return Err(ServiceError::Unsupported(other.message_type().to_owned())),
        }
        Ok(Reply::Empty)
    }

    async fn report(
        &self,
        _request: &Request,
        report: &Report,
    ) -> Result<Option<QueuedCommand>, ServiceError> {
        let channel = &report.channel;
        match self.store.store_command_report(channel, report).await {
            Ok(()) => {}
            // A result for a command this channel was never queued (or one
            // a re-enrollment cleared and forgot): nothing to record, but the
            // device still deserves its next command rather than a 500 it
            // would retry forever.
            Err(StoreError::NotFound(what)) => tracing::warn!(
                enrollment = %channel.id,
                status = %report.status,
                "command report ignored: {what}"
            ),
            Err(e) => return Err(e.into()),
        }
        // NotNow'd commands wait for the device's next Idle, which is how it
        // says conditions changed. nanomdm skips them only right after the
        // NotNow, so a device working through other commands is served the
        // deferred one again after each, and defers it again each time.
        let skip_not_now = report.status != Status::Idle;
        Ok(self.store.next_command(channel, skip_not_now).await?)
    }
}

/// A plist reply holding one key.
fn plist_reply(key: &str, value: Value) -> Result<Reply, ServiceError> {
    let mut dict = Dictionary::new();
    dict.insert(key.to_owned(), value);
    let mut xml = Vec::new();
    Value::Dictionary(dict)
        .to_writer_xml(&mut xml)
        .map_err(|e| ServiceError::Handler(Box::new(e)))?;
    Ok(Reply::Plist(Bytes::from(xml)))
}
