//! The DEP token exchange: a key pair and self-signed certificate for the
//! admin to upload to Apple Business Manager, and decryption of the
//! `.p7m` token file Apple returns. Ported from Go `tokenpki`.
//!
//! A token file is three layers deep: S/MIME text (MIME headers, a blank
//! line, base64), a BER CMS EnvelopedData encrypted to the uploaded
//! certificate, and a MIME-like plaintext wrapping the token JSON between
//! `-----BEGIN MESSAGE-----` and `-----END MESSAGE-----`.

mod exchange;
mod message;

use std::fmt;
use std::time::{Duration, SystemTime};

use cryptoutil::cert::{self, CertificateProfile, KeyUsage};
use cryptoutil::cms::enveloped_data;
use cryptoutil::x509_cert::Certificate;
use cryptoutil::{ContentEncryption, PrivateKey, RsaPrivateKey};
use serde::{Deserialize, Serialize};

pub use self::exchange::{finalize_token, stage_key_pair};
pub use self::message::{unwrap_smime, unwrap_token_message, wrap_smime, wrap_token_message};
use crate::error::TokenError;
use crate::timestamp;

/// The common name of generated certificates when none is given (Go
/// `depserver`'s default).
pub const DEFAULT_COMMON_NAME: &str = "depserver";
/// The validity of generated certificates in days when none is given:
/// Apple only needs the certificate to encrypt one download.
pub const DEFAULT_VALIDITY_DAYS: u32 = 1;

/// A token key pair as PEM: the certificate the admin uploads to Apple and
/// its PKCS#1 private key. Ported from Go `tokenpki` keypair PEMs.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The self-signed certificate (`CERTIFICATE` PEM).
    pub certificate_pem: String,
    /// The private key (`RSA PRIVATE KEY` PEM, PKCS#1; PKCS#8 is accepted
    /// when loading). Secret.
    pub key_pem: String,
}

impl fmt::Debug for KeyPair {
    // Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("certificate_pem", &self.certificate_pem)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Parses the certificate and the key, and checks they belong together.
    pub fn load(&self) -> Result<(Certificate, RsaPrivateKey), TokenError> {
        let certificate = cert::from_pem(&self.certificate_pem)
            .map_err(|e| TokenError::KeyPair("unreadable certificate", e))?
            .into_iter()
            .next()
            .ok_or(TokenError::KeyPair(
                "no certificate",
                cryptoutil::Error::InvalidCertificate("empty PEM"),
            ))?;
        let key = RsaPrivateKey::from_pem(&self.key_pem)
            .map_err(|e| TokenError::KeyPair("unreadable private key", e))?;
        let public = cert::public_key(&certificate)
            .map_err(|e| TokenError::KeyPair("unusable certificate key", e))?;
        if public.pkcs1_der() != key.public_key().pkcs1_der() {
            return Err(TokenError::WrongKey);
        }
        Ok((certificate, key))
    }
}

/// Generates an RSA-2048 key and a self-signed certificate for `common_name`
/// valid from ten minutes before `now` for `days` days, serial 1,
/// digitalSignature and keyEncipherment. Ported from Go
/// `tokenpki.SelfSignedRSAKeypair`.
pub fn self_signed_key_pair(
    common_name: &str,
    days: u32,
    now: SystemTime,
) -> Result<KeyPair, TokenError> {
    let subject = subject_name(common_name)?;
    let key =
        RsaPrivateKey::generate(2048).map_err(|e| TokenError::KeyPair("key generation", e))?;
    let mut profile =
        CertificateProfile::new(days).map_err(|e| TokenError::KeyPair("certificate profile", e))?;
    profile.serial = vec![1];
    profile.not_before = now - Duration::from_secs(600);
    profile.not_after = now + Duration::from_secs(u64::from(days) * 86_400);
    profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment];
    let certificate = cert::self_signed(subject, &key, &profile)
        .map_err(|e| TokenError::KeyPair("certificate signing", e))?;
    let certificate_pem =
        cert::to_pem(&certificate).map_err(|e| TokenError::KeyPair("certificate encoding", e))?;
    Ok(KeyPair {
        certificate_pem,
        key_pem: pkcs1_pem(&key)?,
    })
}

fn subject_name(common_name: &str) -> Result<cryptoutil::x509_cert::name::Name, TokenError> {
    if common_name.is_empty() || common_name.len() > 64 {
        return Err(TokenError::KeyPair(
            "common name must have 1 to 64 characters",
            cryptoutil::Error::InvalidCertificate("bad common name"),
        ));
    }
    // RFC 4514 escaping, so any name the admin types is taken literally.
    let mut escaped = String::with_capacity(common_name.len() + 3);
    for (i, c) in common_name.chars().enumerate() {
        let edge = (i == 0 && (c == ' ' || c == '#')) || (i + 1 == common_name.len() && c == ' ');
        if edge || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("CN={escaped}").parse().map_err(|e| {
        TokenError::KeyPair(
            "invalid common name",
            cryptoutil::Error::Asn1 {
                what: "Name",
                source: e,
            },
        )
    })
}

/// The key as PKCS#1 PEM (`RSA PRIVATE KEY`), the form Go nanodep stores.
fn pkcs1_pem(key: &RsaPrivateKey) -> Result<String, TokenError> {
    use pkcs8::der::Decode;
    let info = pkcs8::PrivateKeyInfo::from_der(key.to_pkcs8_der()).map_err(|e| {
        TokenError::KeyPair(
            "key encoding",
            cryptoutil::Error::Asn1 {
                what: "PrivateKeyInfo",
                source: e,
            },
        )
    })?;
    Ok(cryptoutil::pem::encode("RSA PRIVATE KEY", info.private_key))
}

/// The OAuth 1.0a tokens of one DEP server, as Apple's token file carries
/// them. Ported from Go `client.OAuth1Tokens`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth1Tokens {
    /// `CK_…`.
    pub consumer_key: String,
    /// `CS_…` (secret).
    pub consumer_secret: String,
    /// `AT_…`.
    pub access_token: String,
    /// `AS_…` (secret).
    pub access_secret: String,
    /// When Apple stops accepting the access token (about a year out).
    #[serde(default, with = "timestamp::optional")]
    pub access_token_expiry: Option<SystemTime>,
}

impl fmt::Debug for OAuth1Tokens {
    // Never prints the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Tokens")
            .field("consumer_key", &self.consumer_key)
            .field("access_token", &self.access_token)
            .field("access_token_expiry", &self.access_token_expiry)
            .finish_non_exhaustive()
    }
}

impl OAuth1Tokens {
    /// Checks that all four strings are present. Ported from Go
    /// `OAuth1Tokens.Valid`.
    pub fn validate(&self) -> Result<(), TokenError> {
        for (name, value) in [
            ("consumer_key", &self.consumer_key),
            ("consumer_secret", &self.consumer_secret),
            ("access_token", &self.access_token),
            ("access_secret", &self.access_secret),
        ] {
            if value.is_empty() {
                return Err(TokenError::Incomplete(name));
            }
        }
        Ok(())
    }

    /// Whether the access token has expired at `now` (a token without an
    /// expiry never does).
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.access_token_expiry.is_some_and(|expiry| expiry <= now)
    }
}

/// Decrypts Apple's `.p7m` token file with `key_pair` and returns the
/// tokens, refusing incomplete or (at `now`) expired ones. Ported from Go
/// `tokenpki.DecryptTokenJSON` + `UnwrapTokenJSON`.
pub fn decrypt_token(
    p7m: &[u8],
    key_pair: &KeyPair,
    now: SystemTime,
) -> Result<OAuth1Tokens, TokenError> {
    let (certificate, key) = key_pair.load()?;
    decrypt_token_with(p7m, &certificate, &key, now)
}

/// [`decrypt_token`] with a loaded certificate and any private key (an HSM
/// key, say).
pub fn decrypt_token_with(
    p7m: &[u8],
    certificate: &Certificate,
    key: &dyn PrivateKey,
    now: SystemTime,
) -> Result<OAuth1Tokens, TokenError> {
    let envelope = unwrap_smime(p7m)?;
    let plaintext = enveloped_data::decrypt(&envelope, certificate, key).map_err(|e| match e {
        cryptoutil::Error::NoMatchingRecipient => TokenError::WrongCertificate,
        cryptoutil::Error::Decrypt => TokenError::WrongKey,
        other => TokenError::Truncated(Box::new(other)),
    })?;
    let tokens = unwrap_token_message(&plaintext)?;
    tokens.validate()?;
    if let Some(expiry) = tokens
        .access_token_expiry
        .filter(|_| tokens.is_expired(now))
    {
        return Err(TokenError::Expired {
            expiry: timestamp::format(expiry),
        });
    }
    Ok(tokens)
}

/// Encrypts `tokens` to `certificate` as Apple's portal does: the token
/// message, CMS EnvelopedData with `cipher`, S/MIME text. The DEP simulator
/// and tests use it to make token files.
pub fn encrypt_token(
    tokens: &OAuth1Tokens,
    certificate: &Certificate,
    cipher: ContentEncryption,
) -> Result<Vec<u8>, TokenError> {
    let message = wrap_token_message(tokens)?;
    let envelope = enveloped_data::encrypt(&message, std::slice::from_ref(certificate), cipher)
        .map_err(|e| TokenError::KeyPair("encryption to the certificate", e))?;
    Ok(wrap_smime(&envelope))
}

#[cfg(test)]
mod tests;
