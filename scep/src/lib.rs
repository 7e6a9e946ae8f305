//! RFC 8894 SCEP, ported from micromdm/scep: the identity step of every MDM
//! enrollment.
//!
//! This crate will hold the pure message layer (pkiMessage parsing and
//! verification, CertRep construction), an async service over a CA `Depot`
//! trait with memory and file depots, one-time and static challenges, a thin
//! HTTP adapter over `http` types and a client. It has no code yet; the work is
//! tracked in the project's issue "scep: RFC 8894 SCEP library".
