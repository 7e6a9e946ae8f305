//! scep's integration tests: whole enrollments through the service and the
//! HTTP adapter, and interoperability with micromdm's scepserver 2.1.0.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod capture;
mod depot;
mod file_depot;
mod http;
mod policy;
mod service;
mod support;
