//! Test support, behind the `testing` feature: the conformance suite that
//! every [`Depot`] implementation must pass, and a test CA.
//!
//! A depot runs the whole suite with one line, in a crate that has `tokio`
//! (with `macros` and `rt`) as a dev-dependency:
//!
//! ```ignore
//! scep::depot_conformance!(std::sync::Arc::new(scep::MemoryDepot::new(scep::testing::test_ca())));
//! ```
//!
//! A depot that needs something kept alive during the test (a temporary
//! directory, a test database) is given as a pair of the depot and that
//! guard:
//!
//! ```ignore
//! scep::depot_conformance!({
//!     let dir = tempfile::tempdir().unwrap();
//!     let (certificate, key) = scep::testing::test_ca_certificate_and_key();
//!     let depot = scep::depot::FileDepot::create(dir.path(), &certificate, &key, b"").unwrap();
//!     (std::sync::Arc::new(depot), dir)
//! });
//! ```
//!
//! Persistence across restarts cannot be checked through one depot value;
//! persistent backends also call
//! [`conformance::a_reopened_depot_never_repeats_a_serial_and_keeps_its_certificates`]
//! themselves.

use std::sync::{Arc, OnceLock};

use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::Certificate;

use crate::ca::{self, CaOptions};
use crate::depot::{Depot, Identity};

pub mod conformance;

/// Emits one `#[tokio::test]` per sentence of the [`Depot`] contract, each
/// calling the same-named function of [`conformance`] with a fresh depot.
///
/// The argument is an expression evaluated once per test (it may `.await`)
/// that yields the depot under test as an `Arc`, or a pair of that `Arc`
/// and a guard dropped when the test ends (see [`DepotFixture`]).
/// Attributes given before it (e.g. `#[ignore = "needs MySQL"]`) go on
/// every test.
#[macro_export]
macro_rules! depot_conformance {
    ($(#[$attr:meta])* $make_depot:expr) => {
        $crate::depot_conformance!(@each [$(#[$attr])*] $make_depot;
            ca_returns_the_same_identity_on_every_call,
            next_serial_never_returns_the_same_serial_twice,
            next_serial_never_returns_the_same_serial_twice_under_concurrent_calls,
            next_serial_never_returns_the_ca_serial,
            next_serial_returns_positive_big_endian_bytes_without_superfluous_zeros,
            a_put_certificate_is_found_by_serial_by_subject_and_in_the_list_not_revoked,
            list_returns_certificates_in_the_order_they_were_put,
            find_by_subject_matches_the_whole_subject_never_a_suffix,
            revoke_marks_a_stored_certificate_revoked_at_the_given_time,
            revoke_returns_false_for_an_unknown_serial,
            revoking_twice_keeps_the_first_time,
            put_of_a_stored_serial_is_an_error_and_changes_nothing,
        );
    };
    (@each [$($attr:tt)*] $make_depot:expr; $name:ident, $($rest:ident,)*) => {
        #[tokio::test]
        $($attr)*
        async fn $name() {
            let fixture = $make_depot;
            let depot = $crate::testing::DepotFixture::depot(&fixture);
            $crate::testing::conformance::$name(depot).await;
        }
        $crate::depot_conformance!(@each [$($attr)*] $make_depot; $($rest,)*);
    };
    (@each [$($attr:tt)*] $make_depot:expr;) => {};
}

/// What [`depot_conformance!`](crate::depot_conformance) accepts: a depot,
/// or a depot with a guard that lives as long as the test.
pub trait DepotFixture {
    /// The depot under test.
    fn depot(&self) -> Arc<dyn Depot>;
}

impl<D: Depot + 'static> DepotFixture for Arc<D> {
    fn depot(&self) -> Arc<dyn Depot> {
        self.clone()
    }
}

impl DepotFixture for Arc<dyn Depot> {
    fn depot(&self) -> Arc<dyn Depot> {
        self.clone()
    }
}

impl<F: DepotFixture, G> DepotFixture for (F, G) {
    fn depot(&self) -> Arc<dyn Depot> {
        self.0.depot()
    }
}

/// A 2048-bit test CA made by [`ca::init`], the same one on every call in a
/// process (key generation is slow in debug builds).
///
/// # Panics
///
/// If the CA cannot be generated.
pub fn test_ca() -> Identity {
    let (certificate, key) = test_ca_certificate_and_key();
    Identity {
        certificate,
        key: Arc::new(key),
    }
}

/// [`test_ca`] as a certificate and an in-memory key, for depots that store
/// the key themselves (such as [`FileDepot`](crate::depot::FileDepot)).
///
/// # Panics
///
/// If the CA cannot be generated.
pub fn test_ca_certificate_and_key() -> (Certificate, RsaPrivateKey) {
    static CA: OnceLock<(Certificate, Vec<u8>)> = OnceLock::new();
    let (certificate, pkcs8) = CA.get_or_init(|| {
        let options = CaOptions {
            key_bits: 2048,
            common_name: "scep conformance CA".into(),
            ..CaOptions::default()
        };
        let (certificate, key) = ca::init(&options).expect("the test CA can be generated");
        (certificate, key.to_pkcs8_der().to_vec())
    });
    let key = RsaPrivateKey::from_pkcs8_der(pkcs8).expect("a key this process encoded loads");
    (certificate.clone(), key)
}
