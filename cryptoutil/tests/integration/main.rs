//! cryptoutil's integration tests: every CMS operation against `openssl`
//! (vectors made at test time, and our output checked back with openssl),
//! device captures, the `PrivateKey` conformance suite and malformed input.

// Helpers outside `#[test]` functions panic on failure too; clippy's
// allow-unwrap-in-tests does not reach them.
#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod certificates;
mod crl;
mod enveloped;
mod fixtures;
mod keys;
mod legacy_pem;
mod malformed;
mod signed;
mod support;
