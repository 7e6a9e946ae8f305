//! `fleetctl apple-mdm ...`: the command-line client for fleet-server's Apple
//! MDM API.
//!
//! It will manage enrollments, DEP token set-up (the key pair stays on the
//! admin's machine), MDM commands and profiles over the REST API. It has no
//! code yet.
