//! nanomdm's integration tests: golden plists from real devices and Apple's
//! schemas, the real `Mdm-Signature` vectors, and malformed input.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod checkin;
mod command;
mod identity;
mod profile;
#[cfg(feature = "apns")]
mod push;
mod store;
