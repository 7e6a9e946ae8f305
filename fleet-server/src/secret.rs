//! Secrets at rest: AES-256-GCM encryption of the secrets fleet-server
//! keeps in the database (APNs and DEP private keys, DEP OAuth tokens),
//! with a key derived from `FLEET_SERVER_PRIVATE_KEY`.
//!
//! A sealed value is self-describing text, so it fits the TEXT columns the
//! upstream schemas use:
//!
//! ```text
//! fleet-secret:v1:<base64 of 12-byte nonce || ciphertext || 16-byte tag>
//! ```
//!
//! The key is HKDF-SHA256 of the whole private key (Fleet requires at
//! least 32 bytes), so every byte of it matters. Each value gets a fresh
//! random 96-bit nonce. A context string (say, the column's name) is bound
//! to the value as associated data, so a value copied into another column
//! does not decrypt there.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// How a sealed value starts (the format's name and version).
const PREFIX: &str = "fleet-secret:v1:";
/// Fleet's minimum length of `server.private_key`.
pub const MIN_PRIVATE_KEY_LEN: usize = 32;
/// HKDF salt: fixed, so the same private key always derives the same key.
const SALT: &[u8] = b"fleet-server secret-at-rest";
/// HKDF info naming what the derived key is for (and the format version).
const INFO: &[u8] = b"AES-256-GCM v1";

/// Why a secret could not be sealed or opened. Never carries the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// `FLEET_SERVER_PRIVATE_KEY` is shorter than Fleet allows.
    #[error("the server private key must be at least {MIN_PRIVATE_KEY_LEN} bytes, got {0}")]
    KeyTooShort(usize),
    /// The stored value is not a `fleet-secret:v1:` value (plain text, or
    /// written by something else).
    #[error("the stored secret is not in the fleet-secret:v1 format")]
    Malformed,
    /// The value does not decrypt: another private key encrypted it, or it
    /// was changed.
    #[error(
        "the stored secret cannot be decrypted: wrong FLEET_SERVER_PRIVATE_KEY, or the value was altered"
    )]
    WrongKeyOrAltered,
    /// The stored value is encrypted, and no key was configured to read
    /// it.
    #[error("the stored secret is encrypted and no FLEET_SERVER_PRIVATE_KEY was given")]
    NoKey,
    /// The cryptographic library failed (no randomness, ...).
    #[error("cannot encrypt the secret")]
    Crypto,
}

/// The AES-256-GCM key secrets are sealed with. Debug shows nothing of it.
pub struct SecretCipher {
    key: LessSafeKey,
}

impl fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCipher(..)")
    }
}

/// HKDF output length marker for a 256-bit key.
struct Aes256;

impl KeyType for Aes256 {
    fn len(&self) -> usize {
        32
    }
}

impl SecretCipher {
    /// The cipher of `private_key` (the bytes of
    /// `FLEET_SERVER_PRIVATE_KEY`), which must be at least 32 bytes.
    pub fn from_private_key(private_key: &[u8]) -> Result<Self, SecretError> {
        if private_key.len() < MIN_PRIVATE_KEY_LEN {
            return Err(SecretError::KeyTooShort(private_key.len()));
        }
        let prk = Salt::new(HKDF_SHA256, SALT).extract(private_key);
        let okm = prk
            .expand(&[INFO], Aes256)
            .map_err(|_| SecretError::Crypto)?;
        let mut bytes = [0u8; 32];
        okm.fill(&mut bytes).map_err(|_| SecretError::Crypto)?;
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SecretError::Crypto);
        // Do not leave the key on the stack longer than needed.
        bytes.fill(0);
        Ok(Self {
            key: LessSafeKey::new(unbound?),
        })
    }

    /// Encrypts `plaintext` for storage, bound to `context`.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SecretError::Crypto)?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SecretError::Crypto)?;
        let mut blob = nonce.to_vec();
        blob.append(&mut sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(blob)))
    }

    /// Decrypts a value [`seal`](Self::seal) made with the same `context`.
    pub fn open(&self, context: &str, stored: &str) -> Result<Vec<u8>, SecretError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?;
        let blob = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::Malformed)?;
        if blob.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SecretError::Malformed);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Malformed)?;
        let mut sealed = sealed.to_vec();
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut sealed)
            .map_err(|_| SecretError::WrongKeyOrAltered)?;
        Ok(plaintext.to_vec())
    }

    /// [`open`](Self::open) for a secret that is UTF-8 text (a PEM, a
    /// token).
    pub fn open_text(&self, context: &str, stored: &str) -> Result<String, SecretError> {
        String::from_utf8(self.open(context, stored)?).map_err(|_| SecretError::WrongKeyOrAltered)
    }
}

/// Whether `stored` is a sealed value (as opposed to plain text).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::{SecretCipher, SecretError, is_sealed};

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_sealed_value_opens_with_the_same_key_and_context() {
        let cipher = SecretCipher::from_private_key(KEY).unwrap();
        let sealed = cipher.seal("nano_push_certs.key_pem", b"the key").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("the key"));
        let opened = cipher.open("nano_push_certs.key_pem", &sealed).unwrap();
        assert_eq!(opened, b"the key");
    }

    #[test]
    fn sealing_twice_gives_different_values() {
        let cipher = SecretCipher::from_private_key(KEY).unwrap();
        assert_ne!(
            cipher.seal("c", b"x").unwrap(),
            cipher.seal("c", b"x").unwrap()
        );
    }

    #[test]
    fn another_key_another_context_or_an_altered_value_is_a_typed_error() {
        let cipher = SecretCipher::from_private_key(KEY).unwrap();
        let sealed = cipher.seal("a", b"secret").unwrap();
        let other = SecretCipher::from_private_key(b"another key of at least 32 bytes!!").unwrap();
        assert!(matches!(
            other.open("a", &sealed),
            Err(SecretError::WrongKeyOrAltered)
        ));
        assert!(matches!(
            cipher.open("b", &sealed),
            Err(SecretError::WrongKeyOrAltered)
        ));
        let mut altered = sealed.into_bytes();
        // A character inside the ciphertext (not the base64 padding).
        let last = super::PREFIX.len() + 20;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(matches!(
            cipher.open("a", &altered),
            Err(SecretError::WrongKeyOrAltered)
        ));
    }

    #[test]
    fn plain_text_and_truncated_values_are_malformed() {
        let cipher = SecretCipher::from_private_key(KEY).unwrap();
        for stored in [
            "-----BEGIN PRIVATE KEY-----",
            "fleet-secret:v1:",
            "fleet-secret:v1:!!",
            "fleet-secret:v1:AAAA",
        ] {
            assert!(
                matches!(cipher.open("a", stored), Err(SecretError::Malformed)),
                "{stored}"
            );
        }
    }

    #[test]
    fn a_short_private_key_is_refused_and_debug_shows_no_key() {
        let short = SecretCipher::from_private_key(b"too short");
        assert!(matches!(short, Err(SecretError::KeyTooShort(9))));
        let cipher = SecretCipher::from_private_key(KEY).unwrap();
        assert_eq!(format!("{cipher:?}"), "SecretCipher(..)");
    }
}
