//! The Fleet-style Apple MDM server.
//!
//! `fleet-server` will wire `scep`, `nanomdm`, `nanodep` and `munki` into one
//! binary (`serve`, `prepare db`, `version`) with Diesel storage on MySQL and an
//! embedded SQLite default, Fleet's REST API and authentication, periodic jobs
//! under database locks, and TLS. It has no code yet; the work is tracked in the
//! project's issue "fleet-server core".
