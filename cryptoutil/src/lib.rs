#![doc = include_str!("../README.md")]

pub mod algorithm;
pub mod attribute;
pub mod ber;
pub mod cert;
pub mod cms;
pub mod crl;
pub mod csr;
mod error;
pub mod key;
pub mod pem;
#[cfg(feature = "testing")]
pub mod testing;

pub use algorithm::{ContentEncryption, DigestAlgorithm, SignatureAlgorithm};
pub use error::{Error, Result};
pub use key::{PrivateKey, PublicKey, RsaPrivateKey};

/// Re-exported so callers name the same types this crate uses.
pub use {const_oid, der, x509_cert};
