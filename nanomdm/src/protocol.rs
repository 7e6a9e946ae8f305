//! The MDM protocol, pure: typed check-in messages ([`checkin`]), command
//! plists and command reports ([`command`]), and enrollment identifiers
//! ([`enrollment`]). No I/O; time is passed in where it matters.

pub mod checkin;
pub mod command;
pub mod enrollment;
