//! munki's integration tests: the repository backends against their
//! contract, the file backend's refusal of paths out of the repository,
//! the HTTP adapter driven in the Munki client's request order, the
//! `munkiserver` example over real HTTP, and the MDM bootstrap builders.

#![allow(clippy::unwrap_used, reason = "tests fail by panicking")]

mod http;
mod munkiserver;
mod repo;
mod support;
