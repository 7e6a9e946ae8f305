//! Apple MDM check-in and command protocol, ported from micromdm/nanomdm.
//!
//! This crate will hold the typed check-in messages and command reports, the
//! core service with its command queue, the certauth decorator binding device
//! identities to enrollments, APNs push over a `Pusher` trait, role-sized
//! storage traits with memory and file stores, enrollment profiles and a
//! device simulator. It has no code yet; the work is tracked in the project's
//! issue "nanomdm: Apple MDM check-in and command protocol library".
