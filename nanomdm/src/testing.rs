//! Test support, behind the `testing` feature: the conformance suite every
//! storage backend must pass, real decoded messages to drive stores and
//! services with, and a simulated device ([`device::Device`]) for
//! end-to-end tests and `device-sim`.
//!
//! A store runs the whole suite with one line, in a crate that has
//! `tokio` (with `macros` and `rt`) as a dev-dependency:
//!
//! ```ignore
//! nanomdm::store_conformance!(std::sync::Arc::new(nanomdm::store::MemoryStore::new()));
//! ```
//!
//! A store that needs something kept alive during the test (a temporary
//! directory, a test database) is given as a pair of the store and that
//! guard:
//!
//! ```ignore
//! nanomdm::store_conformance!({
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = nanomdm::store::FileStore::open(dir.path()).unwrap();
//!     (std::sync::Arc::new(store), dir)
//! });
//! ```
//!
//! Persistence across restarts cannot be checked through one store value;
//! persistent stores also call
//! [`conformance::a_reopened_store_keeps_enrollments_results_and_queue_order`]
//! themselves.

use std::sync::Arc;

use crate::store::AllStorage;

pub mod conformance;
pub mod device;
mod messages;

pub use messages::{
    DecodedCheckin, TEST_TOPIC, authenticate, command, device_channel, report, token_update,
    user_authenticate, user_channel,
};

/// Emits one `#[tokio::test]` per sentence of the storage contracts (and
/// per storage-level step of nanomdm's e2e suite), each calling the
/// same-named function of [`conformance`] with a fresh store.
///
/// The argument is an expression evaluated once per test (it may `.await`)
/// that yields the store under test as an `Arc`, or a pair of that `Arc`
/// and a guard dropped when the test ends (see [`StoreFixture`]).
/// Attributes given before it (e.g. `#[ignore = "needs MySQL"]`) go on
/// every test.
#[macro_export]
macro_rules! store_conformance {
    ($(#[$attr:meta])* $make_store:expr) => {
        $crate::store_conformance!(@each [$(#[$attr])*] $make_store;
            store_authenticate_never_creates_an_enrollment,
            store_authenticate_removes_the_device_bootstrap_token,
            store_token_update_creates_an_enabled_enrollment_with_tally_1_and_the_push_info,
            store_token_update_on_an_existing_enrollment_replaces_push_info_enables_it_and_increments_its_tally,
            store_token_update_of_a_user_channel_creates_an_enrollment_whose_parent_is_the_device_channel,
            disable_of_a_device_channel_disables_it_and_its_user_channels_and_resets_their_tallies,
            disable_of_a_user_channel_disables_only_that_channel,
            disable_of_an_unknown_channel_succeeds_and_changes_nothing,
            token_update_tally_is_0_for_an_unknown_enrollment,
            enrollment_is_none_for_an_unknown_enrollment,
            store_user_authenticate_succeeds_for_a_user_channel_without_an_enrollment,
            bootstrap_token_is_none_before_any_token_is_stored,
            bootstrap_token_returns_the_stored_token,
            storing_an_empty_or_absent_bootstrap_token_removes_the_stored_one,
            a_user_channel_reads_and_writes_its_device_bootstrap_token,
            push_info_returns_topic_push_magic_and_token_of_the_latest_token_update,
            push_info_silently_omits_unknown_ids,
            push_info_marks_disabled_enrollments_as_not_enabled,
            push_cert_is_none_for_an_unknown_topic,
            push_cert_returns_what_store_push_cert_stored_with_its_stale_token,
            store_push_cert_of_a_known_topic_replaces_it_and_changes_its_stale_token,
            is_push_cert_stale_is_false_for_the_current_token_and_true_after_replacement,
            has_cert_hash_is_true_once_the_hash_is_associated_with_any_id,
            enrollment_has_cert_hash_is_true_once_the_id_has_any_association,
            is_cert_hash_associated_is_true_only_for_an_associated_pair,
            an_id_keeps_its_earlier_cert_hash_associations_when_a_new_one_is_added,
            cert_hashes_compare_case_insensitively,
            enrollment_from_hash_returns_the_associated_id_or_none,
            next_command_is_none_for_a_channel_with_an_empty_queue,
            next_command_serves_commands_of_equal_priority_in_enqueue_order,
            next_command_serves_a_higher_priority_command_first,
            next_command_returns_the_command_bytes_exactly_as_enqueued,
            next_command_never_returns_a_command_the_channel_acknowledged_or_answered_with_an_error,
            next_command_with_skip_not_now_skips_not_now_commands_and_without_serves_them_in_queue_order,
            next_command_is_none_for_a_disabled_or_unknown_enrollment,
            enqueue_command_queues_one_command_to_several_channels_each_served_independently,
            enqueue_command_to_an_id_that_is_not_an_enrollment_fails_with_not_found_and_queues_nothing,
            enqueue_command_of_a_stored_command_uuid_fails_with_conflict_and_changes_nothing,
            store_command_report_of_a_completing_status_stores_the_result_with_the_raw_report,
            store_command_report_of_not_now_stores_the_result_and_counts_not_now_reports,
            store_command_report_of_idle_stores_nothing,
            store_command_report_for_a_command_not_queued_to_the_channel_fails_with_not_found,
            clear_queue_of_a_device_channel_drops_pending_and_not_now_commands_of_the_device_and_its_user_channels,
            clear_queue_keeps_stored_results_readable,
            queue_lists_pending_commands_in_serve_order_marking_not_now_ones,
            enrollment_flow_counts_token_updates_escrows_the_bootstrap_token_and_re_enrollment_resets_both,
            queue_flow_serves_in_order_defers_not_now_until_idle_and_clears,
        );
    };
    (@each [$($attr:tt)*] $make_store:expr; $name:ident, $($rest:ident,)*) => {
        #[tokio::test]
        $($attr)*
        async fn $name() {
            let fixture = $make_store;
            let store = $crate::testing::StoreFixture::store(&fixture);
            $crate::testing::conformance::$name(store).await;
        }
        $crate::store_conformance!(@each [$($attr)*] $make_store; $($rest,)*);
    };
    (@each [$($attr:tt)*] $make_store:expr;) => {};
}

/// What [`store_conformance!`](crate::store_conformance) accepts: a store,
/// or a store with a guard that lives as long as the test.
pub trait StoreFixture {
    /// The store under test.
    fn store(&self) -> Arc<dyn AllStorage>;
}

impl<S: AllStorage + 'static> StoreFixture for Arc<S> {
    fn store(&self) -> Arc<dyn AllStorage> {
        self.clone()
    }
}

impl StoreFixture for Arc<dyn AllStorage> {
    fn store(&self) -> Arc<dyn AllStorage> {
        self.clone()
    }
}

impl<F: StoreFixture, G> StoreFixture for (F, G) {
    fn store(&self) -> Arc<dyn AllStorage> {
        self.0.store()
    }
}
