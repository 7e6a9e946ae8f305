#![doc = include_str!("../README.md")]

mod error;
mod hex;
pub mod identity;
pub mod profile;
pub mod protocol;
pub mod push;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{DecodeError, IdentityError};
