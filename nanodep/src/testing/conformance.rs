//! One function per sentence of the storage contracts in [`crate::store`].
//! Each panics when the store breaks the sentence it is named after.
//! [`store_conformance!`](crate::store_conformance) runs them all.

use std::time::{Duration, SystemTime};

use crate::store::{Config, DeviceAssignment, Store, StoreError};
use crate::token_pki::{KeyPair, OAuth1Tokens};

const NAME: &str = "conformance-dep";
const OTHER: &str = "conformance-dep-2";

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn tokens(n: u8) -> OAuth1Tokens {
    OAuth1Tokens {
        consumer_key: format!("CK_{n}"),
        consumer_secret: format!("CS_{n}"),
        access_token: format!("AT_{n}"),
        access_secret: format!("AS_{n}"),
        access_token_expiry: Some(at(u64::from(n) * 1000)),
    }
}

fn pair(n: u8) -> KeyPair {
    KeyPair {
        certificate_pem: format!(
            "-----BEGIN CERTIFICATE-----\ncert {n}\n-----END CERTIFICATE-----\n"
        ),
        key_pem: format!(
            "-----BEGIN RSA PRIVATE KEY-----\nkey {n}\n-----END RSA PRIVATE KEY-----\n"
        ),
    }
}

fn assignment(serial: &str, status: &str, retry_after: Option<SystemTime>) -> DeviceAssignment {
    DeviceAssignment {
        serial_number: serial.into(),
        profile_uuid: "0123456789ABCDEF0123456789ABCDEF".into(),
        status: status.into(),
        at: at(10),
        retry_after,
    }
}

fn is_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::NotFound))
}

/// `retrieve_auth_tokens` of a name never stored is `NotFound`.
pub async fn auth_tokens_of_an_unknown_name_are_not_found(store: &dyn Store) {
    assert!(is_not_found(store.retrieve_auth_tokens(NAME).await));
}

/// Stored tokens come back with all five fields as stored.
pub async fn stored_auth_tokens_are_returned_with_every_field(store: &dyn Store) {
    store
        .store_auth_tokens(NAME, &tokens(1))
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_auth_tokens(NAME)
            .await
            .expect("the store call succeeds"),
        tokens(1)
    );
}

/// A second store replaces every field.
pub async fn storing_auth_tokens_again_replaces_every_field(store: &dyn Store) {
    store
        .store_auth_tokens(NAME, &tokens(1))
        .await
        .expect("the store call succeeds");
    let mut second = tokens(2);
    second.access_token_expiry = None;
    store
        .store_auth_tokens(NAME, &second)
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_auth_tokens(NAME)
            .await
            .expect("the store call succeeds"),
        second
    );
}

/// Nothing stored for one name is visible under another.
pub async fn names_never_see_each_others_data(store: &dyn Store) {
    store
        .store_auth_tokens(NAME, &tokens(1))
        .await
        .expect("the store call succeeds");
    store
        .store_config(NAME, &Config::default())
        .await
        .expect("the store call succeeds");
    store
        .store_cursor(NAME, "c", at(0))
        .await
        .expect("the store call succeeds");
    store
        .store_assigner_profile(NAME, "P", at(0))
        .await
        .expect("a stored value");
    store
        .store_token_pki(NAME, &pair(1))
        .await
        .expect("the store call succeeds");
    store
        .upstage_token_pki(NAME)
        .await
        .expect("the store call succeeds");
    let result = [assignment("S1", "SUCCESS", Some(at(0)))];
    store
        .store_assignments(NAME, &result)
        .await
        .expect("the store call succeeds");
    assert!(is_not_found(store.retrieve_auth_tokens(OTHER).await));
    assert_eq!(
        store
            .retrieve_config(OTHER)
            .await
            .expect("the store call succeeds"),
        None
    );
    assert_eq!(
        store
            .retrieve_cursor(OTHER)
            .await
            .expect("the store call succeeds"),
        None
    );
    assert_eq!(
        store
            .retrieve_assigner_profile(OTHER)
            .await
            .expect("the store call succeeds"),
        None
    );
    assert!(is_not_found(store.retrieve_staging_token_pki(OTHER).await));
    assert!(is_not_found(store.retrieve_current_token_pki(OTHER).await));
    assert_eq!(
        store
            .retrieve_assignment(OTHER, "S1")
            .await
            .expect("the store call succeeds"),
        None
    );
    assert!(
        store
            .assignments_due(OTHER, at(99))
            .await
            .expect("a stored value")
            .is_empty()
    );
}

/// `retrieve_config` of a name never stored is `None`, not an error.
pub async fn config_of_an_unknown_name_is_none(store: &dyn Store) {
    assert_eq!(
        store
            .retrieve_config(NAME)
            .await
            .expect("the store call succeeds"),
        None
    );
}

/// A stored config comes back; the next store replaces it whole.
pub async fn a_stored_config_is_returned_and_replaced_whole_by_the_next(store: &dyn Store) {
    let first = Config {
        base_url: Some("http://127.0.0.1:8080/".into()),
        server_protocol_version: Some(7),
    };
    store
        .store_config(NAME, &first)
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_config(NAME)
            .await
            .expect("the store call succeeds"),
        Some(first)
    );
    let second = Config {
        base_url: None,
        server_protocol_version: Some(10),
    };
    store
        .store_config(NAME, &second)
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_config(NAME)
            .await
            .expect("the store call succeeds"),
        Some(second)
    );
}

/// `retrieve_assigner_profile` of a name never stored is `None`.
pub async fn assigner_profile_of_an_unknown_name_is_none(store: &dyn Store) {
    assert_eq!(
        store
            .retrieve_assigner_profile(NAME)
            .await
            .expect("the store call succeeds"),
        None
    );
}

/// The profile comes back with the `at` it was stored with; a later store
/// replaces both.
pub async fn a_stored_assigner_profile_is_returned_with_the_time_it_was_stored(store: &dyn Store) {
    store
        .store_assigner_profile(NAME, "P1", at(1))
        .await
        .expect("a stored value");
    let got = store
        .retrieve_assigner_profile(NAME)
        .await
        .expect("a stored value")
        .expect("a stored value");
    assert_eq!((got.value.as_str(), got.modified), ("P1", at(1)));
    store
        .store_assigner_profile(NAME, "P2", at(5))
        .await
        .expect("a stored value");
    let got = store
        .retrieve_assigner_profile(NAME)
        .await
        .expect("a stored value")
        .expect("a stored value");
    assert_eq!((got.value.as_str(), got.modified), ("P2", at(5)));
}

/// An empty profile UUID removes the stored one.
pub async fn storing_an_empty_assigner_profile_removes_it(store: &dyn Store) {
    store
        .store_assigner_profile(NAME, "P1", at(1))
        .await
        .expect("a stored value");
    store
        .store_assigner_profile(NAME, "", at(2))
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_assigner_profile(NAME)
            .await
            .expect("the store call succeeds"),
        None
    );
}

/// `retrieve_cursor` of a name never stored is `None`.
pub async fn cursor_of_an_unknown_name_is_none(store: &dyn Store) {
    assert_eq!(
        store
            .retrieve_cursor(NAME)
            .await
            .expect("the store call succeeds"),
        None
    );
}

/// The cursor comes back with the `at` it was stored with; a later store
/// replaces both.
pub async fn a_stored_cursor_is_returned_with_its_time_and_replaced_by_the_next(store: &dyn Store) {
    store
        .store_cursor(NAME, "MDowOjE1", at(1))
        .await
        .expect("the store call succeeds");
    let got = store
        .retrieve_cursor(NAME)
        .await
        .expect("the store call succeeds")
        .expect("a stored value");
    assert_eq!((got.value.as_str(), got.modified), ("MDowOjE1", at(1)));
    store
        .store_cursor(NAME, "MDowOjE2", at(7))
        .await
        .expect("the store call succeeds");
    let got = store
        .retrieve_cursor(NAME)
        .await
        .expect("the store call succeeds")
        .expect("a stored value");
    assert_eq!((got.value.as_str(), got.modified), ("MDowOjE2", at(7)));
}

/// An empty cursor removes the stored one.
pub async fn storing_an_empty_cursor_removes_it(store: &dyn Store) {
    store
        .store_cursor(NAME, "c", at(1))
        .await
        .expect("the store call succeeds");
    store
        .store_cursor(NAME, "", at(2))
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_cursor(NAME)
            .await
            .expect("the store call succeeds"),
        None
    );
}

/// Staging and current key pairs of a name never stored are `NotFound`.
pub async fn token_pki_of_an_unknown_name_is_not_found(store: &dyn Store) {
    assert!(is_not_found(store.retrieve_staging_token_pki(NAME).await));
    assert!(is_not_found(store.retrieve_current_token_pki(NAME).await));
}

/// A stored key pair is the staging pair, byte for byte; current stays
/// `NotFound` until upstaged.
pub async fn stored_token_pki_is_staging_only_until_upstaged(store: &dyn Store) {
    store
        .store_token_pki(NAME, &pair(1))
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_staging_token_pki(NAME)
            .await
            .expect("the store call succeeds"),
        pair(1)
    );
    assert!(is_not_found(store.retrieve_current_token_pki(NAME).await));
}

/// Upstaging copies staging to current and keeps staging.
pub async fn upstaging_copies_staging_to_current_and_keeps_staging(store: &dyn Store) {
    store
        .store_token_pki(NAME, &pair(1))
        .await
        .expect("the store call succeeds");
    store
        .upstage_token_pki(NAME)
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_current_token_pki(NAME)
            .await
            .expect("the store call succeeds"),
        pair(1)
    );
    assert_eq!(
        store
            .retrieve_staging_token_pki(NAME)
            .await
            .expect("the store call succeeds"),
        pair(1)
    );
}

/// Storing a new pair replaces staging and leaves current untouched.
pub async fn storing_new_token_pki_leaves_current_untouched(store: &dyn Store) {
    store
        .store_token_pki(NAME, &pair(1))
        .await
        .expect("the store call succeeds");
    store
        .upstage_token_pki(NAME)
        .await
        .expect("the store call succeeds");
    store
        .store_token_pki(NAME, &pair(2))
        .await
        .expect("the store call succeeds");
    assert_eq!(
        store
            .retrieve_staging_token_pki(NAME)
            .await
            .expect("the store call succeeds"),
        pair(2)
    );
    assert_eq!(
        store
            .retrieve_current_token_pki(NAME)
            .await
            .expect("the store call succeeds"),
        pair(1)
    );
}

/// Upstaging without a staging pair is `NotFound` and creates no current.
pub async fn upstaging_without_staging_is_not_found(store: &dyn Store) {
    assert!(is_not_found(store.upstage_token_pki(NAME).await));
    assert!(is_not_found(store.retrieve_current_token_pki(NAME).await));
}

/// `retrieve_assignment` of a device never stored is `None`.
pub async fn assignment_of_an_unknown_device_is_none(store: &dyn Store) {
    assert_eq!(
        store
            .retrieve_assignment(NAME, "S1")
            .await
            .expect("the store call succeeds"),
        None
    );
}

/// A stored result replaces the earlier result for the same serial and
/// leaves other devices alone.
pub async fn a_stored_assignment_replaces_the_earlier_result_for_the_device(store: &dyn Store) {
    let first = [
        assignment("S1", "THROTTLED", Some(at(100))),
        assignment("S2", "SUCCESS", None),
    ];
    store
        .store_assignments(NAME, &first)
        .await
        .expect("the store call succeeds");
    let second = assignment("S1", "SUCCESS", None);
    store
        .store_assignments(NAME, std::slice::from_ref(&second))
        .await
        .expect("a stored value");
    assert_eq!(
        store
            .retrieve_assignment(NAME, "S1")
            .await
            .expect("the store call succeeds"),
        Some(second)
    );
    assert_eq!(
        store
            .retrieve_assignment(NAME, "S2")
            .await
            .expect("the store call succeeds"),
        Some(first[1].clone())
    );
}

/// `assignments_due` returns the results with `retry_after` at or before
/// `now`, ordered by serial; results without `retry_after` never.
pub async fn assignments_due_are_the_results_whose_retry_time_has_passed_by_serial(
    store: &dyn Store,
) {
    let results = [
        assignment("S3", "THROTTLED", Some(at(50))),
        assignment("S1", "THROTTLED", Some(at(100))),
        assignment("S2", "THROTTLED", Some(at(101))),
        assignment("S0", "FAILED", None),
    ];
    store
        .store_assignments(NAME, &results)
        .await
        .expect("the store call succeeds");
    let due = store
        .assignments_due(NAME, at(100))
        .await
        .expect("the store call succeeds");
    let serials: Vec<_> = due.iter().map(|a| a.serial_number.as_str()).collect();
    assert_eq!(serials, ["S1", "S3"]);
    assert_eq!(due[0], results[1]);
}
