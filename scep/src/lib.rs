#![doc = include_str!("../README.md")]

pub mod ca;
pub mod challenge;
pub mod client;
pub mod depot;
mod error;
pub mod http;
pub mod message;
pub mod service;
pub mod signer;
#[cfg(feature = "testing")]
pub mod testing;

pub use challenge::{ChallengeVerifier, DynamicChallenges, StaticChallenge};
pub use depot::{Depot, FileDepot, Identity, MemoryDepot};
pub use error::{BoxError, Error, Result};
pub use message::PkiMessage;
pub use service::Service;
pub use signer::{CsrSigner, IssuancePolicy};
