#![doc = include_str!("../README.md")]

pub mod api;
pub mod client;
mod error;
pub mod oauth;
pub mod proxy;
pub mod store;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
mod timestamp;
pub mod token_pki;

pub use api::ErrorCode;
pub use client::{Client, RetryPolicy, Sleeper, Transport};
pub use error::{AppleError, BoxError, Error, Result, StoreError, TokenError, TransportError};
pub use store::{FileStore, MemoryStore, Store};
pub use sync::{Assigner, Syncer};
pub use token_pki::{KeyPair, OAuth1Tokens};
