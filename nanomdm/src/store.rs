//! Storage: the role-sized traits the services run over, and their
//! contracts.
//!
//! Port of nanomdm's `storage` package. Each trait documents its contract
//! as sentences; `nanomdm::testing::conformance` (behind the `testing`
//! feature) has one test per sentence, and every backend runs it:
//! [`MemoryStore`], [`FileStore`], and fleet-server's SQL stores.
//!
//! Differences from nanomdm, on purpose:
//! - the queue serves commands in strict enqueue order within a priority
//!   (nanomdm's SQL ordering within one second is undefined);
//! - disabled enrollments are served no commands and are reported as
//!   disabled to the push service (nanomdm's `enabled` is informational);
//! - enqueueing is all-or-nothing on every backend, and a report for a
//!   command that was never queued to the channel is refused;
//! - `disable` and `clear_queue` accept user channels (nanomdm's SQL
//!   backends fail a user-channel CheckOut with a 500).

mod file;
mod kv;
mod memory;

use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use bytes::Bytes;

use crate::protocol::checkin::{Authenticate, TokenUpdate, UserAuthenticate};
use crate::protocol::command::{Report, Status};
use crate::protocol::enrollment::{Channel, EnrollmentId};

pub use file::{FileStore, FileStoreError};
pub use memory::MemoryStore;

/// A boxed backend error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a storage call failed. Services branch on the first two.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The call names something the store does not hold (an enrollment,
    /// a command queued to a channel).
    #[error("not found: {0}")]
    NotFound(String),
    /// The call would overwrite something that must stay unique (a
    /// command UUID).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend failed (I/O, database); the source says how.
    #[error("storage backend failed")]
    Backend(#[source] BoxError),
}

/// Results of storage calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A command as the queue holds it: the raw plist the API client submitted,
/// served to the device byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedCommand {
    /// `CommandUUID`, unique across the store.
    pub command_uuid: String,
    /// `Command.RequestType`, e.g. `DeviceInformation`.
    pub request_type: String,
    /// The command plist exactly as submitted.
    pub raw: Bytes,
    /// Higher is served first; commands of equal priority are served in
    /// enqueue order. nanomdm's API always uses 0.
    pub priority: i8,
}

/// The latest report of one channel for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandResult {
    /// The report's `Status` (never Idle).
    pub status: Status,
    /// The report plist exactly as received.
    pub raw: Bytes,
    /// How many NotNow reports the channel sent for this command.
    pub not_now_tally: u32,
}

/// One command in a channel's queue, in serve order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    /// The command.
    pub command: QueuedCommand,
    /// Whether the channel answered NotNow to it (it is then skipped until
    /// the channel's next Idle).
    pub not_now: bool,
}

/// What APNs needs to wake one channel (from its latest TokenUpdate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushInfo {
    /// The APNs topic of the channel's push certificate.
    pub topic: String,
    /// `PushMagic`, the payload of the push.
    pub push_magic: String,
    /// The device token.
    pub token: Vec<u8>,
    /// Whether the enrollment is enabled (disabled ones are not pushed).
    pub enabled: bool,
}

impl PushInfo {
    /// The device token as lowercase hex, as APNs URLs and nanomdm's
    /// `token_hex` column want it.
    pub fn token_hex(&self) -> String {
        crate::hex::encode(&self.token)
    }
}

/// An enrollment (a channel that has sent at least one TokenUpdate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The channel.
    pub channel: Channel,
    /// Enabled since its latest TokenUpdate, until Authenticate or
    /// CheckOut disables it.
    pub enabled: bool,
    /// TokenUpdates since the enrollment was last enabled; 1 means it has
    /// just enrolled.
    pub token_update_tally: u32,
    /// Push details from the latest TokenUpdate.
    pub push: PushInfo,
}

/// An APNs push certificate and its private key, as PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCert {
    /// The topic (the certificate subject's UID).
    pub topic: String,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The unencrypted private key, PEM. Backends that persist outside the
    /// process should encrypt it at rest (fleet-server does).
    pub key_pem: String,
}

/// Check-in persistence. Port of Go `storage.CheckinStore` plus
/// `TokenUpdateTallyStore`.
///
/// Contract:
/// - `store_authenticate` never creates an enrollment: a channel is an
///   enrollment only after its first TokenUpdate.
/// - `store_authenticate` removes the device's bootstrap token.
/// - `store_token_update` creates an enabled enrollment with tally 1 and the
///   message's push info.
/// - `store_token_update` on an existing enrollment replaces its push info,
///   enables it and increments its tally.
/// - `store_token_update` of a user channel creates an enrollment whose
///   parent is the device channel.
/// - `disable` of a device channel disables it and all its user channels
///   and resets their tallies to 0.
/// - `disable` of a user channel disables only that channel.
/// - `disable` of an unknown channel succeeds and changes nothing.
/// - `token_update_tally` is 0 for an unknown enrollment.
/// - `enrollment` is `None` for an unknown enrollment.
/// - `store_user_authenticate` succeeds for a user channel that has no
///   enrollment yet (UserAuthenticate precedes the user's TokenUpdate).
#[async_trait]
pub trait CheckinStore: Send + Sync + Debug {
    /// Saves a device channel's Authenticate (raw message, serial, identity
    /// certificate DER when known), replacing any earlier one, and removes
    /// the device's bootstrap token. Port of Go `StoreAuthenticate`.
    async fn store_authenticate(
        &self,
        channel: &Channel,
        message: &Authenticate,
        raw: &[u8],
        identity: Option<&[u8]>,
    ) -> Result<()>;

    /// Saves a TokenUpdate: creates or updates the channel's enrollment with
    /// its push info, enables it and increments its tally. A non-empty
    /// `UnlockToken` of a device channel is kept until replaced. Port of Go
    /// `StoreTokenUpdate`.
    async fn store_token_update(
        &self,
        channel: &Channel,
        message: &TokenUpdate,
        raw: &[u8],
    ) -> Result<()>;

    /// Saves a UserAuthenticate (initial or digest response). Port of Go
    /// `StoreUserAuthenticate`.
    async fn store_user_authenticate(
        &self,
        channel: &Channel,
        message: &UserAuthenticate,
        raw: &[u8],
    ) -> Result<()>;

    /// Disables the channel's enrollment and, for a device channel, those
    /// of its user channels, resetting their tallies. Port of Go `Disable`.
    async fn disable(&self, channel: &Channel) -> Result<()>;

    /// TokenUpdates since the enrollment was last enabled (0 when unknown).
    /// Port of Go `RetrieveTokenUpdateTally`.
    async fn token_update_tally(&self, id: &EnrollmentId) -> Result<u32>;

    /// The enrollment with this ID, if any.
    async fn enrollment(&self, id: &EnrollmentId) -> Result<Option<Enrollment>>;
}

/// Bootstrap token escrow, keyed by the device channel. Port of Go
/// `storage.BootstrapTokenStore`.
///
/// Contract:
/// - `bootstrap_token` is `None` before any token is stored.
/// - `bootstrap_token` returns the stored token.
/// - storing an empty or absent token removes the stored one.
/// - a user channel reads and writes its device's token.
#[async_trait]
pub trait BootstrapTokenStore: Send + Sync + Debug {
    /// Stores the device's bootstrap token; `None` or empty removes it.
    /// Port of Go `StoreBootstrapToken`.
    async fn store_bootstrap_token(&self, channel: &Channel, token: Option<&[u8]>) -> Result<()>;

    /// The device's escrowed bootstrap token. Port of Go
    /// `RetrieveBootstrapToken`.
    async fn bootstrap_token(&self, channel: &Channel) -> Result<Option<Vec<u8>>>;
}

/// The command queue and command results. Port of Go
/// `storage.CommandAndReportResultsStore` and `CommandEnqueuer`.
///
/// Contract:
/// - `next_command` is `None` for a channel with an empty queue.
/// - `next_command` serves commands of equal priority in enqueue order.
/// - `next_command` serves a higher-priority command first.
/// - `next_command` returns the command bytes exactly as enqueued.
/// - `next_command` never returns a command the channel acknowledged, or
///   answered with Error or CommandFormatError.
/// - `next_command` with `skip_not_now` skips commands answered NotNow;
///   without it, serves them again in queue order.
/// - `next_command` is `None` for a disabled or unknown enrollment.
/// - `enqueue_command` queues one command to several channels, each served
///   it independently.
/// - `enqueue_command` fails with `NotFound` and queues nothing when an ID
///   is not an enrollment.
/// - `enqueue_command` fails with `Conflict` and changes nothing when the
///   command UUID is already stored.
/// - `store_command_report` of a completing status stores the result with
///   the raw report.
/// - `store_command_report` of NotNow stores the result and counts NotNow
///   reports.
/// - `store_command_report` of Idle stores nothing.
/// - `store_command_report` for a command not queued to the channel fails
///   with `NotFound`.
/// - `clear_queue` of a device channel drops the pending and NotNow'd
///   commands of the device and all its user channels.
/// - `clear_queue` keeps stored results readable.
/// - `queue` lists a channel's pending commands in serve order, marking
///   NotNow'd ones.
#[async_trait]
pub trait CommandQueue: Send + Sync + Debug {
    /// Queues `command` to every ID, all or nothing. Port of Go
    /// `EnqueueCommand`.
    async fn enqueue_command(&self, ids: &[EnrollmentId], command: &QueuedCommand) -> Result<()>;

    /// Records a command report (Idle records nothing). Port of Go
    /// `StoreCommandReport`.
    async fn store_command_report(&self, channel: &Channel, report: &Report) -> Result<()>;

    /// The next command to send the channel. Port of Go
    /// `RetrieveNextCommand`.
    async fn next_command(
        &self,
        channel: &Channel,
        skip_not_now: bool,
    ) -> Result<Option<QueuedCommand>>;

    /// Drops the channel's pending commands (and, for a device channel,
    /// those of its user channels). Port of Go `ClearQueue`.
    async fn clear_queue(&self, channel: &Channel) -> Result<()>;

    /// The latest result of `command_uuid` on the enrollment, if any.
    async fn command_result(
        &self,
        id: &EnrollmentId,
        command_uuid: &str,
    ) -> Result<Option<CommandResult>>;

    /// The channel's pending commands in serve order (NotNow'd included,
    /// as if served without skipping).
    async fn queue(&self, id: &EnrollmentId) -> Result<Vec<QueueItem>>;
}

/// Push info lookup. Port of Go `storage.PushStore`.
///
/// Contract:
/// - `push_info` returns the topic, push magic and token of the latest
///   TokenUpdate of each known ID.
/// - `push_info` silently omits unknown IDs.
/// - `push_info` marks disabled enrollments as not enabled.
#[async_trait]
pub trait PushStore: Send + Sync + Debug {
    /// Push info of every known ID among `ids`. Port of Go
    /// `RetrievePushInfo`.
    async fn push_info(&self, ids: &[EnrollmentId]) -> Result<HashMap<EnrollmentId, PushInfo>>;
}

/// APNs push certificates, one per topic. Port of Go
/// `storage.PushCertStore` and `PushCertStorer`.
///
/// Contract:
/// - `push_cert` is `None` for an unknown topic.
/// - `push_cert` returns what `store_push_cert` stored, with its stale
///   token.
/// - `store_push_cert` of a known topic replaces it and changes its stale
///   token.
/// - `is_push_cert_stale` is false for the current stale token and true
///   after the certificate was replaced.
#[async_trait]
pub trait PushCertStore: Send + Sync + Debug {
    /// Stores (or replaces) the push certificate of `cert.topic`, returning
    /// its new stale token. Port of Go `StorePushCert`.
    async fn store_push_cert(&self, cert: &PushCert) -> Result<u64>;

    /// The push certificate of `topic` and its stale token. Port of Go
    /// `RetrievePushCert`.
    async fn push_cert(&self, topic: &str) -> Result<Option<(PushCert, u64)>>;

    /// Whether the certificate of `topic` changed since `stale_token` was
    /// handed out. Port of Go `IsPushCertStale`.
    async fn is_push_cert_stale(&self, topic: &str, stale_token: u64) -> Result<bool>;
}

/// Associations between device channels and the SHA-256 of their identity
/// certificates (lowercase hex). Port of Go `storage.CertAuthStore` and
/// `CertAuthRetriever`.
///
/// Contract:
/// - `has_cert_hash` is true once the hash is associated with any ID.
/// - `enrollment_has_cert_hash` is true once the ID has any association.
/// - `is_cert_hash_associated` is true only for an associated pair.
/// - an ID keeps its earlier associations when a new one is added.
/// - hashes compare case-insensitively.
/// - `enrollment_from_hash` returns the ID a hash is associated with, or
///   `None`.
#[async_trait]
pub trait CertAuthStore: Send + Sync + Debug {
    /// Whether `hash` is associated with any ID. Port of Go `HasCertHash`.
    async fn has_cert_hash(&self, hash: &str) -> Result<bool>;

    /// Whether `id` has any association. Port of Go
    /// `EnrollmentHasCertHash`.
    async fn enrollment_has_cert_hash(&self, id: &EnrollmentId) -> Result<bool>;

    /// Whether `(id, hash)` is associated. Port of Go
    /// `IsCertHashAssociated`.
    async fn is_cert_hash_associated(&self, id: &EnrollmentId, hash: &str) -> Result<bool>;

    /// Associates `hash` with `id`. Port of Go `AssociateCertHash`.
    async fn associate_cert_hash(&self, id: &EnrollmentId, hash: &str) -> Result<()>;

    /// The ID `hash` is associated with. Port of Go `EnrollmentFromHash`.
    async fn enrollment_from_hash(&self, hash: &str) -> Result<Option<EnrollmentId>>;
}

/// What the core service needs. Port of Go `storage.ServiceStore`.
pub trait ServiceStore: CheckinStore + BootstrapTokenStore + CommandQueue {}

impl<T: CheckinStore + BootstrapTokenStore + CommandQueue + ?Sized> ServiceStore for T {}

/// Every role at once, as a backend provides them. Port of Go
/// `storage.AllStorage`.
pub trait AllStorage: ServiceStore + PushStore + PushCertStore + CertAuthStore {}

impl<T: ServiceStore + PushStore + PushCertStore + CertAuthStore + ?Sized> AllStorage for T {}
