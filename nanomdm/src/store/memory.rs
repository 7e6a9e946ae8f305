//! [`MemoryStore`]: every storage trait in process memory.

use std::collections::BTreeMap;

use super::Result;
use super::kv::{Backend, Key, Kv, forward_all_storage};

/// Every storage role ([`AllStorage`](super::AllStorage)) in process
/// memory, for tests, examples and single-process trials. Port of
/// nanomdm's `storage/inmem`.
///
/// Nothing survives the process. Calls are serialised by one mutex and
/// never fail; each call is atomic.
#[derive(Debug)]
pub struct MemoryStore {
    kv: Kv,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            kv: Kv::new(MemoryBackend::default()),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

forward_all_storage!(MemoryStore, kv);

/// A sorted map from keys to values.
#[derive(Debug, Default)]
struct MemoryBackend {
    map: BTreeMap<Key, Vec<u8>>,
}

impl Backend for MemoryBackend {
    fn get(&self, key: &[String]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.get(key).cloned())
    }

    fn put(&mut self, key: &[String], value: &[u8]) -> Result<()> {
        self.map.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn delete(&mut self, key: &[String]) -> Result<()> {
        self.map.remove(key);
        Ok(())
    }

    fn list(&self, prefix: &[String]) -> Result<Vec<Key>> {
        // Keys under a prefix sort right after it, together.
        Ok(self
            .map
            .range(prefix.to_vec()..)
            .map(|(key, _)| key)
            .skip_while(|key| key.as_slice() == prefix)
            .take_while(|key| key.starts_with(prefix))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::kv::key;

    #[test]
    fn list_returns_only_keys_strictly_under_the_prefix_in_order() {
        let mut b = MemoryBackend::default();
        for k in [
            ["a", "x", "2"],
            ["a", "x", "1"],
            ["a", "xy", "1"],
            ["b", "x", "1"],
        ] {
            b.put(&key(k), b"").unwrap();
        }
        b.put(&key(["a", "x"]), b"").unwrap();
        assert_eq!(
            b.list(&key(["a", "x"])).unwrap(),
            [key(["a", "x", "1"]), key(["a", "x", "2"])]
        );
    }
}
