//! Apple Device Enrollment Program (Apple Business Manager), ported from
//! micromdm/nanodep.
//!
//! This crate will hold the DEP token PKI (key pair generation and `.p7m`
//! decryption), the DEP API client over a `Transport` trait, the syncer and
//! assigner as single steps, the DEP proxy and a DEP simulator. It has no code
//! yet; the work is tracked in the project's issue "nanodep: Apple DEP library".
