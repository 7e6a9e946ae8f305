//! Every `nanomdm` storage trait on the database, in nanomdm's `nano_*`
//! tables.
//!
//! Semantics follow nanomdm's contracts as its `MemoryStore` implements
//! them (the conformance suite is the judge). Where they differ from
//! nanomdm's MySQL store, on purpose:
//! - a command that completes (Acknowledged, Error, CommandFormatError) is
//!   marked inactive in the queue, as the memory store unlinks it, so a late
//!   NotNow for it never requeues it;
//! - commands of equal priority are served in enqueue order
//!   (`nano_commands.seq`, copied to each queue row);
//! - a TokenUpdate or UserAuthenticate for a device that never sent
//!   Authenticate fails with `NotFound` instead of a foreign-key error.

mod checkin;
mod queue;
mod registry;
mod token_update;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use nanomdm::protocol::checkin::{Authenticate, TokenUpdate, UserAuthenticate};
use nanomdm::protocol::command::Report;
use nanomdm::protocol::enrollment::{Channel, EnrollmentId};
use nanomdm::store::{
    BootstrapTokenStore, CertAuthStore, CheckinStore, CommandQueue, CommandResult, Enrollment,
    PushCert, PushCertStore, PushInfo, PushStore, QueueItem, QueuedCommand, Result,
};

use crate::db::Db;
use crate::secret::SecretCipher;

/// Every `nanomdm` storage role ([`nanomdm::store::AllStorage`]) on MySQL or
/// SQLite. Port of nanomdm's `storage/mysql`.
///
/// Each call is one query or one transaction; enqueueing and storing a
/// report are all or nothing. Push certificate keys are stored as given,
/// unless the store has a cipher ([`with_cipher`](Self::with_cipher)):
/// then `nano_push_certs.key_pem` holds them sealed with it.
#[derive(Debug, Clone)]
pub struct NanomdmStore {
    db: Db,
    cipher: Option<Arc<SecretCipher>>,
}

impl NanomdmStore {
    /// A store on `db`, which must be migrated ([`crate::db::prepare_db`]).
    pub fn new(db: Db) -> Self {
        Self { db, cipher: None }
    }

    /// The same store sealing push certificate keys with `cipher`
    /// (AES-256-GCM, [`crate::secret`]). Keys stored by a store with
    /// another cipher, or stored in plain text, then fail to load with an
    /// error naming the reason.
    #[must_use]
    pub fn with_cipher(mut self, cipher: Arc<SecretCipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }
}

#[async_trait]
impl CheckinStore for NanomdmStore {
    async fn store_authenticate(
        &self,
        channel: &Channel,
        message: &Authenticate,
        raw: &[u8],
        identity: Option<&[u8]>,
    ) -> Result<()> {
        Ok(self.authenticate(channel, message, raw, identity).await?)
    }

    async fn store_token_update(
        &self,
        channel: &Channel,
        message: &TokenUpdate,
        raw: &[u8],
    ) -> Result<()> {
        Ok(self.token_update(channel, message, raw).await?)
    }

    async fn store_user_authenticate(
        &self,
        channel: &Channel,
        message: &UserAuthenticate,
        raw: &[u8],
    ) -> Result<()> {
        Ok(self.user_authenticate(channel, message, raw).await?)
    }

    async fn disable(&self, channel: &Channel) -> Result<()> {
        Ok(self.disable_channel(channel).await?)
    }

    async fn token_update_tally(&self, id: &EnrollmentId) -> Result<u32> {
        Ok(self.tally(id).await?)
    }

    async fn enrollment(&self, id: &EnrollmentId) -> Result<Option<Enrollment>> {
        Ok(self.load_enrollment(id).await?)
    }
}

#[async_trait]
impl BootstrapTokenStore for NanomdmStore {
    async fn store_bootstrap_token(&self, channel: &Channel, token: Option<&[u8]>) -> Result<()> {
        Ok(self.set_bootstrap_token(channel, token).await?)
    }

    async fn bootstrap_token(&self, channel: &Channel) -> Result<Option<Vec<u8>>> {
        Ok(self.load_bootstrap_token(channel).await?)
    }
}

#[async_trait]
impl CommandQueue for NanomdmStore {
    async fn enqueue_command(&self, ids: &[EnrollmentId], command: &QueuedCommand) -> Result<()> {
        Ok(self.enqueue(ids, command).await?)
    }

    async fn store_command_report(&self, channel: &Channel, report: &Report) -> Result<()> {
        Ok(self.store_report(channel, report).await?)
    }

    async fn next_command(
        &self,
        channel: &Channel,
        skip_not_now: bool,
    ) -> Result<Option<QueuedCommand>> {
        Ok(self.next(channel, skip_not_now).await?)
    }

    async fn clear_queue(&self, channel: &Channel) -> Result<()> {
        Ok(self.clear(channel).await?)
    }

    async fn command_result(
        &self,
        id: &EnrollmentId,
        command_uuid: &str,
    ) -> Result<Option<CommandResult>> {
        Ok(self.load_result(id, command_uuid).await?)
    }

    async fn queue(&self, id: &EnrollmentId) -> Result<Vec<QueueItem>> {
        Ok(self.pending(id).await?)
    }
}

#[async_trait]
impl PushStore for NanomdmStore {
    async fn push_info(&self, ids: &[EnrollmentId]) -> Result<HashMap<EnrollmentId, PushInfo>> {
        Ok(self.load_push_info(ids).await?)
    }
}

#[async_trait]
impl PushCertStore for NanomdmStore {
    async fn store_push_cert(&self, cert: &PushCert) -> Result<u64> {
        Ok(self.save_push_cert(cert).await?)
    }

    async fn push_cert(&self, topic: &str) -> Result<Option<(PushCert, u64)>> {
        Ok(self.load_push_cert(topic).await?)
    }

    async fn is_push_cert_stale(&self, topic: &str, stale_token: u64) -> Result<bool> {
        Ok(self.push_cert_stale(topic, stale_token).await?)
    }
}

#[async_trait]
impl CertAuthStore for NanomdmStore {
    async fn has_cert_hash(&self, hash: &str) -> Result<bool> {
        Ok(self.hash_known(hash).await?)
    }

    async fn enrollment_has_cert_hash(&self, id: &EnrollmentId) -> Result<bool> {
        Ok(self.id_has_hash(id).await?)
    }

    async fn is_cert_hash_associated(&self, id: &EnrollmentId, hash: &str) -> Result<bool> {
        Ok(self.pair_known(id, hash).await?)
    }

    async fn associate_cert_hash(&self, id: &EnrollmentId, hash: &str) -> Result<()> {
        Ok(self.associate(id, hash).await?)
    }

    async fn enrollment_from_hash(&self, hash: &str) -> Result<Option<EnrollmentId>> {
        Ok(self.id_of_hash(hash).await?)
    }
}
