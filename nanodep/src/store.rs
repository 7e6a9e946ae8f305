//! Storage per DEP name: OAuth tokens, config, assigner profile, sync
//! cursor, token key pairs (staging and current) and per-device assignment
//! results. Ported from Go `storage` (the union is `AllStorage`).
//!
//! Every method takes the DEP name first; names are independent (nothing
//! stored for one name is visible under another). [`MemoryStore`] keeps
//! everything in memory, [`FileStore`] in a directory. The conformance suite
//! behind the `testing` feature (`nanodep::store_conformance!`) checks
//! each contract sentence below on any backend.

mod file;
mod memory;

use std::fmt::Debug;
use std::time::SystemTime;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use self::file::{FileStore, FileStoreError};
pub use self::memory::MemoryStore;
use crate::client::ClientStore;
pub use crate::error::StoreError;
use crate::sync::AssignerStore;
use crate::timestamp;
use crate::token_pki::{KeyPair, OAuth1Tokens};

/// OAuth tokens per DEP name. Ported from Go `AuthTokensRetriever` and
/// `AuthTokensStorer`.
#[async_trait]
pub trait AuthTokensStore: Send + Sync + Debug {
    /// Returns the tokens last stored for `name`, all five fields as stored;
    /// [`StoreError::NotFound`] when none were stored.
    async fn retrieve_auth_tokens(&self, name: &str) -> Result<OAuth1Tokens, StoreError>;

    /// Stores `tokens` for `name`, replacing every field of earlier tokens.
    async fn store_auth_tokens(&self, name: &str, tokens: &OAuth1Tokens) -> Result<(), StoreError>;
}

/// Per-name settings of the DEP client. Ported from Go `client.Config`,
/// plus the protocol version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The DEP service's base URL; `None` means Apple's production
    /// service. A simulator's URL goes here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The `X-Server-Protocol-Version` to send; `None` means the client's
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_protocol_version: Option<u32>,
}

/// Client config per DEP name. Ported from Go `ConfigRetriever` and
/// `ConfigStorer`.
#[async_trait]
pub trait ConfigStore: Send + Sync + Debug {
    /// Returns the config last stored for `name`, or `None` (not an error)
    /// when none was stored.
    async fn retrieve_config(&self, name: &str) -> Result<Option<Config>, StoreError>;

    /// Stores `config` for `name`, replacing the whole earlier config.
    async fn store_config(&self, name: &str, config: &Config) -> Result<(), StoreError>;
}

/// A stored value and when it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped {
    /// The value.
    pub value: String,
    /// When it was stored (the `at` given to the store call).
    pub modified: SystemTime,
}

/// The profile UUID the assigner assigns. Ported from Go
/// `AssignerProfileRetriever` and `AssignerProfileStorer`.
#[async_trait]
pub trait AssignerProfileStore: Send + Sync + Debug {
    /// Returns the profile UUID last stored for `name` with the `at` it was
    /// stored with (to the second), or `None` when none was stored.
    async fn retrieve_assigner_profile(&self, name: &str) -> Result<Option<Stamped>, StoreError>;

    /// Stores `profile_uuid` for `name` at `at`, replacing the earlier one;
    /// an empty UUID removes it.
    async fn store_assigner_profile(
        &self,
        name: &str,
        profile_uuid: &str,
        at: SystemTime,
    ) -> Result<(), StoreError>;
}

/// The syncer's cursor. Ported from Go `sync.CursorStorage` (with Fleet's
/// modification time, so a caller can tell a cursor older than Apple's
/// 7 days).
#[async_trait]
pub trait CursorStore: Send + Sync + Debug {
    /// Returns the cursor last stored for `name` with the `at` it was
    /// stored with (to the second), or `None` when none was stored.
    async fn retrieve_cursor(&self, name: &str) -> Result<Option<Stamped>, StoreError>;

    /// Stores `cursor` for `name` at `at`, replacing the earlier one; an
    /// empty cursor removes it.
    async fn store_cursor(
        &self,
        name: &str,
        cursor: &str,
        at: SystemTime,
    ) -> Result<(), StoreError>;
}

/// The token exchange key pairs. Ported from Go `TokenPKIStorer`,
/// `TokenPKIStagingRetriever`, `TokenPKICurrentRetriever` and
/// `TokenPKIUpstager`.
#[async_trait]
pub trait TokenPkiStore: Send + Sync + Debug {
    /// Stores `pair` as the staging key pair of `name`, replacing the
    /// earlier staging pair; the current pair is left untouched.
    async fn store_token_pki(&self, name: &str, pair: &KeyPair) -> Result<(), StoreError>;

    /// Returns the staging key pair of `name`; [`StoreError::NotFound`]
    /// when none was stored.
    async fn retrieve_staging_token_pki(&self, name: &str) -> Result<KeyPair, StoreError>;

    /// Returns the current key pair of `name`; [`StoreError::NotFound`]
    /// when none was upstaged.
    async fn retrieve_current_token_pki(&self, name: &str) -> Result<KeyPair, StoreError>;

    /// Copies the staging key pair of `name` to current (staging stays);
    /// [`StoreError::NotFound`] when there is no staging pair.
    async fn upstage_token_pki(&self, name: &str) -> Result<(), StoreError>;
}

/// The outcome of assigning a profile to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAssignment {
    /// The device's serial number.
    pub serial_number: String,
    /// The profile assigned.
    pub profile_uuid: String,
    /// Apple's per-device answer: `SUCCESS`, `NOT_ACCESSIBLE`, `FAILED`,
    /// `THROTTLED`, ...
    pub status: String,
    /// When the assignment was attempted.
    #[serde(with = "timestamp::required")]
    pub at: SystemTime,
    /// For `THROTTLED` devices: when to try again.
    #[serde(default, with = "timestamp::optional")]
    pub retry_after: Option<SystemTime>,
}

/// Per-device assignment results of the assigner (not in Go nanodep,
/// which stores none).
#[async_trait]
pub trait AssignmentStore: Send + Sync + Debug {
    /// Stores each result, replacing an earlier result for the same serial
    /// number.
    async fn store_assignments(
        &self,
        name: &str,
        results: &[DeviceAssignment],
    ) -> Result<(), StoreError>;

    /// Returns the result last stored for `serial_number`, or `None`.
    async fn retrieve_assignment(
        &self,
        name: &str,
        serial_number: &str,
    ) -> Result<Option<DeviceAssignment>, StoreError>;

    /// Returns the stored results whose `retry_after` is at or before
    /// `now`, ordered by serial number; results without `retry_after` are
    /// never returned.
    async fn assignments_due(
        &self,
        name: &str,
        now: SystemTime,
    ) -> Result<Vec<DeviceAssignment>, StoreError>;
}

/// Everything nanodep stores. Ported from Go `storage.AllStorage`.
///
/// Its supertraits include the role traits the [`Client`](crate::Client)
/// and the [`Assigner`](crate::Assigner) take, so an `Arc<dyn Store>`
/// upcasts to either.
pub trait Store: ClientStore + AssignerStore + CursorStore + TokenPkiStore {}

impl<T> Store for T where T: ClientStore + AssignerStore + CursorStore + TokenPkiStore + ?Sized {}

/// The results of `assignments` due at `now`, in the iteration order
/// (backends iterate by serial number).
fn due<'a>(
    assignments: impl Iterator<Item = &'a DeviceAssignment>,
    now: SystemTime,
) -> Vec<DeviceAssignment> {
    assignments
        .filter(|a| a.retry_after.is_some_and(|retry| retry <= now))
        .cloned()
        .collect()
}
