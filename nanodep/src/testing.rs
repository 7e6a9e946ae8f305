//! Test support, behind the `testing` feature: the conformance suite every
//! [`Store`] implementation must pass, and [`depsim`], an in-process fake of
//! Apple's DEP service.
//!
//! A store runs the whole suite with one line, in a crate that has `tokio`
//! (with `macros` and `rt`) as a dev-dependency:
//!
//! ```ignore
//! nanodep::store_conformance!(std::sync::Arc::new(nanodep::MemoryStore::new()));
//! ```
//!
//! A store that needs something kept alive during the test (a temporary
//! directory, a test database) is given as a pair of the store and that
//! guard:
//!
//! ```ignore
//! nanodep::store_conformance!({
//!     let dir = tempfile::tempdir().unwrap();
//!     (std::sync::Arc::new(nanodep::FileStore::open(dir.path()).unwrap()), dir)
//! });
//! ```

use std::sync::Arc;

use crate::store::Store;

pub mod conformance;
pub mod depsim;

/// Emits one `#[tokio::test]` per sentence of the storage contracts (see
/// [`crate::store`]), each calling the same-named function of
/// [`conformance`] with a fresh store.
///
/// The argument is an expression evaluated once per test (it may `.await`)
/// that yields the store as an `Arc`, or a pair of that `Arc` and a guard
/// dropped when the test ends (see [`StoreFixture`]). Attributes given
/// before it (e.g. `#[ignore = "needs MySQL"]`) go on every test.
#[macro_export]
macro_rules! store_conformance {
    ($(#[$attr:meta])* $make_store:expr) => {
        $crate::store_conformance!(@each [$(#[$attr])*] $make_store;
            auth_tokens_of_an_unknown_name_are_not_found,
            stored_auth_tokens_are_returned_with_every_field,
            storing_auth_tokens_again_replaces_every_field,
            names_never_see_each_others_data,
            config_of_an_unknown_name_is_none,
            a_stored_config_is_returned_and_replaced_whole_by_the_next,
            assigner_profile_of_an_unknown_name_is_none,
            a_stored_assigner_profile_is_returned_with_the_time_it_was_stored,
            storing_an_empty_assigner_profile_removes_it,
            cursor_of_an_unknown_name_is_none,
            a_stored_cursor_is_returned_with_its_time_and_replaced_by_the_next,
            storing_an_empty_cursor_removes_it,
            token_pki_of_an_unknown_name_is_not_found,
            stored_token_pki_is_staging_only_until_upstaged,
            upstaging_copies_staging_to_current_and_keeps_staging,
            storing_new_token_pki_leaves_current_untouched,
            upstaging_without_staging_is_not_found,
            assignment_of_an_unknown_device_is_none,
            a_stored_assignment_replaces_the_earlier_result_for_the_device,
            assignments_due_are_the_results_whose_retry_time_has_passed_by_serial,
        );
    };
    (@each [$($attr:tt)*] $make_store:expr; $name:ident, $($rest:ident,)*) => {
        #[tokio::test]
        $($attr)*
        async fn $name() {
            let fixture = $make_store;
            let store = $crate::testing::StoreFixture::store(&fixture);
            $crate::testing::conformance::$name(&*store).await;
        }
        $crate::store_conformance!(@each [$($attr)*] $make_store; $($rest,)*);
    };
    (@each [$($attr:tt)*] $make_store:expr;) => {};
}

/// What [`store_conformance!`](crate::store_conformance) accepts: a store,
/// or a store with a guard that lives as long as the test.
pub trait StoreFixture {
    /// The store under test.
    fn store(&self) -> Arc<dyn Store>;
}

impl<S: Store + 'static> StoreFixture for Arc<S> {
    fn store(&self) -> Arc<dyn Store> {
        self.clone()
    }
}

impl StoreFixture for Arc<dyn Store> {
    fn store(&self) -> Arc<dyn Store> {
        self.clone()
    }
}

impl<F: StoreFixture, G> StoreFixture for (F, G) {
    fn store(&self) -> Arc<dyn Store> {
        self.0.store()
    }
}
