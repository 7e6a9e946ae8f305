#![doc = include_str!("../README.md")]

mod error;
mod hex;
pub mod http;
pub mod identity;
pub mod profile;
pub mod protocol;
pub mod push;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{DecodeError, IdentityError};
