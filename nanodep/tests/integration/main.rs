//! nanodep's integration tests: token files made by OpenSSL, Apple's
//! response shapes, the client, syncer and assigner against the DEP
//! simulator, and the storage conformance suite on every store.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod client;
mod examples;
#[cfg(feature = "client")]
mod https;
mod proxy;
mod responses;
mod store;
mod support;
mod sync;
mod token_files;
