//! Munki repository model and package server, and what an MDM needs to
//! bootstrap Munki.
//!
//! This crate will hold manifest, catalog and pkginfo types, a `Repo` trait
//! with filesystem and memory backends, `makecatalogs`, the repository's HTTP
//! semantics (conditional GET, byte ranges) as a thin adapter, and the
//! InstallApplication manifest and ManagedInstalls profile used to install and
//! configure Munki after enrollment. It has no code yet; the work is tracked in
//! the project's issue "munki: Munki repository and package server library".
