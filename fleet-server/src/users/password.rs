//! Passwords: Fleet's rules, and Argon2id hashes in PHC string form.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Why a password cannot be used or hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fleet's rule: at least 12 characters, with a number and a symbol.
    #[error(
        "Password must be at least 12 characters long and contain at least 1 number and 1 symbol"
    )]
    Weak,
    /// Fleet's limit: at most 48 characters.
    #[error("Password is over the 48 characters limit")]
    TooLong,
    /// The system random generator or the hasher failed.
    #[error("cannot hash the password")]
    Hash,
}

/// Checks Fleet's password rules (`fleet.ValidatePasswordRequirements`):
/// 12 to 48 characters, at least one digit and one symbol (anything that
/// is neither a letter nor a digit).
pub fn check_password_rules(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars > 48 {
        return Err(PasswordError::TooLong);
    }
    let digit = password.chars().any(|c| c.is_numeric());
    let symbol = password.chars().any(|c| !c.is_alphanumeric());
    if chars < 12 || !digit || !symbol {
        return Err(PasswordError::Weak);
    }
    Ok(())
}

/// Hashes `password` with Argon2id (the crate's default parameters, OWASP's
/// minimum: 19 MiB, 2 passes) and a fresh 16-byte random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| PasswordError::Hash)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hash)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `password` matches the stored PHC string `hash`. An unreadable
/// hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A valid hash of a password nobody knows, verified against when the
/// email is unknown so that a wrong email costs as much time as a wrong
/// password.
pub(crate) fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$nJx3JPq6O1U2WUtZnD7vWl7xDFHm5h4o1J7W9iH7mSo"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_password_rules_need_twelve_characters_a_number_and_a_symbol() {
        assert_eq!(check_password_rules("short1!"), Err(PasswordError::Weak));
        assert_eq!(
            check_password_rules("longenoughbutplain"),
            Err(PasswordError::Weak)
        );
        assert_eq!(
            check_password_rules("longenough12345"),
            Err(PasswordError::Weak)
        );
        assert_eq!(
            check_password_rules("longenough!!!!!"),
            Err(PasswordError::Weak)
        );
        assert_eq!(
            check_password_rules(&"a1!".repeat(17)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(check_password_rules("correct horse 1"), Ok(()));
        assert_eq!(check_password_rules("p@ssw0rd-long"), Ok(()));
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("p@ssw0rd-long").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains("p@ssw0rd-long"));
        assert!(verify_password("p@ssw0rd-long", &hash));
        assert!(!verify_password("p@ssw0rd-lonG", &hash));
        assert!(!verify_password("p@ssw0rd-long", "not a hash"));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        assert_ne!(
            hash_password("p@ssw0rd-long").unwrap(),
            hash_password("p@ssw0rd-long").unwrap()
        );
    }

    #[test]
    fn the_decoy_hash_parses_and_matches_no_usual_password() {
        assert!(PasswordHash::new(decoy_hash()).is_ok());
        assert!(!verify_password("", decoy_hash()));
        assert!(!verify_password("p@ssw0rd-long", decoy_hash()));
    }
}
