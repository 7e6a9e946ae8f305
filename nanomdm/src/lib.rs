#![doc = include_str!("../README.md")]

mod error;
pub mod identity;
pub mod profile;
pub mod protocol;

pub use error::{DecodeError, IdentityError};
