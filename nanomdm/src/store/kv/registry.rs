//! Push certificates and certauth associations over the key-value layout.

use crate::protocol::enrollment::EnrollmentId;
use crate::store::{PushCert, Result};

use super::records::PushCertRecord;
use super::{Kv, children, key, read, write};

/// A certificate hash as stored: lowercase, so lookups ignore case.
fn normalise(hash: &str) -> String {
    hash.to_ascii_lowercase()
}

impl Kv {
    pub(crate) fn store_push_cert(&self, cert: &PushCert) -> Result<u64> {
        let mut guard = self.lock();
        let b = guard.as_mut();
        let key = key(["push_cert", &cert.topic]);
        let earlier = read::<PushCertRecord>(b, &key)?.map_or(0, |r| r.stale_token);
        let record = PushCertRecord {
            cert_pem: cert.cert_pem.clone(),
            key_pem: cert.key_pem.clone(),
            stale_token: earlier.wrapping_add(1),
        };
        write(b, &key, &record)?;
        Ok(record.stale_token)
    }

    pub(crate) fn push_cert(&self, topic: &str) -> Result<Option<(PushCert, u64)>> {
        let record = read::<PushCertRecord>(self.lock().as_ref(), &key(["push_cert", topic]))?;
        Ok(record.map(|r| {
            let cert = PushCert {
                topic: topic.to_owned(),
                cert_pem: r.cert_pem,
                key_pem: r.key_pem,
            };
            (cert, r.stale_token)
        }))
    }

    pub(crate) fn is_push_cert_stale(&self, topic: &str, stale_token: u64) -> Result<bool> {
        let record = read::<PushCertRecord>(self.lock().as_ref(), &key(["push_cert", topic]))?;
        // No certificate at all: whatever the caller holds is outdated.
        Ok(record.is_none_or(|r| r.stale_token != stale_token))
    }

    pub(crate) fn has_cert_hash(&self, hash: &str) -> Result<bool> {
        let ids = children(self.lock().as_ref(), &key(["cert_hash", &normalise(hash)]))?;
        Ok(!ids.is_empty())
    }

    pub(crate) fn enrollment_has_cert_hash(&self, id: &EnrollmentId) -> Result<bool> {
        let hashes = children(self.lock().as_ref(), &key(["cert_id", id.as_str()]))?;
        Ok(!hashes.is_empty())
    }

    pub(crate) fn is_cert_hash_associated(&self, id: &EnrollmentId, hash: &str) -> Result<bool> {
        let pair = key(["cert_id", id.as_str(), &normalise(hash)]);
        Ok(self.lock().get(&pair)?.is_some())
    }

    pub(crate) fn associate_cert_hash(&self, id: &EnrollmentId, hash: &str) -> Result<()> {
        let hash = normalise(hash);
        let mut b = self.lock();
        b.put(&key(["cert_id", id.as_str(), &hash]), b"")?;
        b.put(&key(["cert_hash", &hash, id.as_str()]), b"")
    }

    pub(crate) fn enrollment_from_hash(&self, hash: &str) -> Result<Option<EnrollmentId>> {
        let ids = children(self.lock().as_ref(), &key(["cert_hash", &normalise(hash)]))?;
        // Several IDs share a hash only if certauth allowed reuse; any one
        // of them answers, as in nanomdm's SQL store.
        Ok(ids.into_iter().next().map(EnrollmentId::new))
    }
}
