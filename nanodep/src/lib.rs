#![doc = include_str!("../README.md")]

pub mod api;
mod error;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;
pub mod token_pki;

pub use api::ErrorCode;
pub use error::{AppleError, BoxError, Error, Result, StoreError, TokenError, TransportError};
pub use store::{FileStore, MemoryStore, Store};
pub use token_pki::{KeyPair, OAuth1Tokens};
