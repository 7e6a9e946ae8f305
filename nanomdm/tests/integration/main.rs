//! nanomdm's integration tests: golden plists from real devices and Apple's
//! schemas, the real `Mdm-Signature` vectors, and malformed input.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod api;
mod checkin;
mod command;
mod harness;
mod identity;
mod malformed;
mod mdm;
mod profile;
#[cfg(feature = "apns")]
mod push;
mod store;
