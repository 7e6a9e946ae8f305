#![doc = include_str!("../README.md")]

mod error;
mod hex;
pub mod identity;
pub mod profile;
pub mod protocol;
pub mod push;
pub mod store;

pub use error::{DecodeError, IdentityError};
