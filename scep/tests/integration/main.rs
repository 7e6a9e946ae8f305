//! scep's integration tests: whole enrollments through the service and the
//! HTTP adapter, interoperability with micromdm's scepserver 2.1.0, and the
//! `scepserver` and `scepclient` examples (the micromdm drop-ins) run as a
//! user would, against Debian's `scep` package (in a private network
//! namespace for its scepserver) and each other.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod capture;
mod debian_scepserver;
mod depot;
mod drop_in_scepclient;
mod drop_in_scepserver;
mod file_depot;
mod http;
mod policy;
mod programs;
mod service;
mod support;
