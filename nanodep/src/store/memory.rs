//! Everything in memory, for tests and single-process use. Ported from Go
//! `storage/inmem`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;

use super::{
    AssignerProfileStore, AssignmentStore, AuthTokensStore, Config, ConfigStore, CursorStore,
    DeviceAssignment, Stamped, StoreError, TokenPkiStore,
};
use crate::token_pki::{KeyPair, OAuth1Tokens};

#[derive(Debug, Default)]
struct Name {
    tokens: Option<OAuth1Tokens>,
    config: Option<Config>,
    assigner_profile: Option<Stamped>,
    cursor: Option<Stamped>,
    staging: Option<KeyPair>,
    current: Option<KeyPair>,
    assignments: BTreeMap<String, DeviceAssignment>,
}

/// A [`Store`](super::Store) in memory; cloning the data out on every read.
#[derive(Debug, Default)]
pub struct MemoryStore {
    names: Mutex<HashMap<String, Name>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn names(&self) -> MutexGuard<'_, HashMap<String, Name>> {
        // A panic elsewhere cannot leave a half-written entry: every write
        // is a single assignment.
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn read<T>(&self, name: &str, f: impl FnOnce(&Name) -> T) -> Option<T> {
        self.names().get(name).map(f)
    }

    fn write(&self, name: &str, f: impl FnOnce(&mut Name)) {
        f(self.names().entry(name.to_owned()).or_default());
    }
}

fn stamped(value: &str, at: SystemTime) -> Option<Stamped> {
    (!value.is_empty()).then(|| Stamped {
        value: value.to_owned(),
        modified: at,
    })
}

#[async_trait]
impl AuthTokensStore for MemoryStore {
    async fn retrieve_auth_tokens(&self, name: &str) -> Result<OAuth1Tokens, StoreError> {
        self.read(name, |n| n.tokens.clone())
            .flatten()
            .ok_or(StoreError::NotFound)
    }

    async fn store_auth_tokens(&self, name: &str, tokens: &OAuth1Tokens) -> Result<(), StoreError> {
        self.write(name, |n| n.tokens = Some(tokens.clone()));
        Ok(())
    }
}

#[async_trait]
impl ConfigStore for MemoryStore {
    async fn retrieve_config(&self, name: &str) -> Result<Option<Config>, StoreError> {
        Ok(self.read(name, |n| n.config.clone()).flatten())
    }

    async fn store_config(&self, name: &str, config: &Config) -> Result<(), StoreError> {
        self.write(name, |n| n.config = Some(config.clone()));
        Ok(())
    }
}

#[async_trait]
impl AssignerProfileStore for MemoryStore {
    async fn retrieve_assigner_profile(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        Ok(self.read(name, |n| n.assigner_profile.clone()).flatten())
    }

    async fn store_assigner_profile(
        &self,
        name: &str,
        profile_uuid: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.write(name, |n| n.assigner_profile = stamped(profile_uuid, at));
        Ok(())
    }
}

#[async_trait]
impl CursorStore for MemoryStore {
    async fn retrieve_cursor(&self, name: &str) -> Result<Option<Stamped>, StoreError> {
        Ok(self.read(name, |n| n.cursor.clone()).flatten())
    }

    async fn store_cursor(
        &self,
        name: &str,
        cursor: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.write(name, |n| n.cursor = stamped(cursor, at));
        Ok(())
    }
}

#[async_trait]
impl TokenPkiStore for MemoryStore {
    async fn store_token_pki(&self, name: &str, pair: &KeyPair) -> Result<(), StoreError> {
        self.write(name, |n| n.staging = Some(pair.clone()));
        Ok(())
    }

    async fn retrieve_staging_token_pki(&self, name: &str) -> Result<KeyPair, StoreError> {
        self.read(name, |n| n.staging.clone())
            .flatten()
            .ok_or(StoreError::NotFound)
    }

    async fn retrieve_current_token_pki(&self, name: &str) -> Result<KeyPair, StoreError> {
        self.read(name, |n| n.current.clone())
            .flatten()
            .ok_or(StoreError::NotFound)
    }

    async fn upstage_token_pki(&self, name: &str) -> Result<(), StoreError> {
        let mut names = self.names();
        let entry = names.get_mut(name).ok_or(StoreError::NotFound)?;
        let staging = entry.staging.clone().ok_or(StoreError::NotFound)?;
        entry.current = Some(staging);
        Ok(())
    }
}

#[async_trait]
impl AssignmentStore for MemoryStore {
    async fn store_assignments(
        &self,
        name: &str,
        results: &[DeviceAssignment],
    ) -> Result<(), StoreError> {
        self.write(name, |n| {
            for result in results {
                n.assignments
                    .insert(result.serial_number.clone(), result.clone());
            }
        });
        Ok(())
    }

    async fn retrieve_assignment(
        &self,
        name: &str,
        serial_number: &str,
    ) -> Result<Option<DeviceAssignment>, StoreError> {
        Ok(self
            .read(name, |n| n.assignments.get(serial_number).cloned())
            .flatten())
    }

    async fn assignments_due(
        &self,
        name: &str,
        now: SystemTime,
    ) -> Result<Vec<DeviceAssignment>, StoreError> {
        Ok(self
            .read(name, |n| super::due(n.assignments.values(), now))
            .unwrap_or_default())
    }
}
