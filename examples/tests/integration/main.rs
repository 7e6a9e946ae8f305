//! The `scep-server` example, run as a user would: micromdm's scepclient
//! 2.1.0 (Debian's `scep` package) enrolling against it, and its usage
//! errors. The micromdm drop-ins `scepserver` and `scepclient` are the
//! `scep` crate's examples, tested there.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod micromdm_scepclient;
mod support;
