//! The programs of this package, run as a user would: the `scep-server`
//! example with micromdm's scepclient 2.1.0 (Debian's `scep` package)
//! enrolling against it, and its usage errors; `device-sim` enrolling
//! simulated Macs into nanomdm's example server with scep's `scepserver`
//! example as the CA. The micromdm drop-ins `scepserver` and `scepclient`
//! are the `scep` crate's examples, tested there.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod device_sim;
mod micromdm_scepclient;
mod programs;
mod support;
