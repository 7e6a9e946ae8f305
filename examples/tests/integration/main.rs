//! The example programs, run as a user would: `scep-server` and
//! `scepserver` enrolling micromdm's scepclient 2.1.0 (Debian's `scep`
//! package), and our `scepclient` enrolling against `scep-server` and
//! against Debian's scepserver (in a private network namespace).

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod debian_scepserver;
mod micromdm_scepclient;
mod our_scepclient;
mod our_scepserver;
mod support;
