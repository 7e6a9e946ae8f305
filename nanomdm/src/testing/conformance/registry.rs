//! The contracts of [`PushCertStore`](crate::store::PushCertStore) and
//! [`CertAuthStore`](crate::store::CertAuthStore).

use std::sync::Arc;

use super::{device, other_device};
use crate::store::{AllStorage, PushCert};
use crate::testing::TEST_TOPIC;

/// Two SHA-256 hashes, lowercase hex.
const HASH_1: &str = "3f1a9c0e5b7d2468ace13579bdf02468ace13579bdf02468ace13579bdf0a1b2";
const HASH_2: &str = "c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3";

/// A push certificate of [`TEST_TOPIC`], version `n` (PEM-shaped text;
/// stores keep it as given).
fn push_cert(n: u8) -> PushCert {
    PushCert {
        topic: TEST_TOPIC.to_owned(),
        cert_pem: format!("-----BEGIN CERTIFICATE-----\nMIIC{n}\n-----END CERTIFICATE-----\n"),
        key_pem: format!("-----BEGIN PRIVATE KEY-----\nMIIE{n}\n-----END PRIVATE KEY-----\n"),
    }
}

/// Stores `cert`, returning its stale token.
async fn store_cert(store: &dyn AllStorage, cert: &PushCert) -> u64 {
    store
        .store_push_cert(cert)
        .await
        .expect("store_push_cert succeeds")
}

/// `push_cert` is `None` for an unknown topic.
pub async fn push_cert_is_none_for_an_unknown_topic(store: Arc<dyn AllStorage>) {
    store_cert(store.as_ref(), &push_cert(1)).await;
    let found = store.push_cert("com.apple.mgmt.External.unknown").await;
    assert_eq!(found.expect("push_cert succeeds"), None);
}

/// `push_cert` returns what `store_push_cert` stored, with its stale token.
pub async fn push_cert_returns_what_store_push_cert_stored_with_its_stale_token(
    store: Arc<dyn AllStorage>,
) {
    let cert = push_cert(1);
    let token = store_cert(store.as_ref(), &cert).await;
    let found = store
        .push_cert(TEST_TOPIC)
        .await
        .expect("push_cert succeeds");
    assert_eq!(found, Some((cert, token)));
}

/// `store_push_cert` of a known topic replaces it and changes its stale
/// token.
pub async fn store_push_cert_of_a_known_topic_replaces_it_and_changes_its_stale_token(
    store: Arc<dyn AllStorage>,
) {
    let first = store_cert(store.as_ref(), &push_cert(1)).await;
    let second = store_cert(store.as_ref(), &push_cert(2)).await;
    assert_ne!(first, second, "replacing changes the stale token");
    let found = store
        .push_cert(TEST_TOPIC)
        .await
        .expect("push_cert succeeds");
    assert_eq!(found, Some((push_cert(2), second)));
    let third = store_cert(store.as_ref(), &push_cert(1)).await;
    assert!(
        third != first && third != second,
        "each replacement gives a new token"
    );
}

/// `is_push_cert_stale` is false for the current stale token and true after
/// the certificate was replaced.
pub async fn is_push_cert_stale_is_false_for_the_current_token_and_true_after_replacement(
    store: Arc<dyn AllStorage>,
) {
    let stale = |token| {
        let store = store.clone();
        async move {
            store
                .is_push_cert_stale(TEST_TOPIC, token)
                .await
                .expect("is_push_cert_stale succeeds")
        }
    };
    let first = store_cert(store.as_ref(), &push_cert(1)).await;
    assert!(!stale(first).await, "the current token is not stale");
    let second = store_cert(store.as_ref(), &push_cert(2)).await;
    assert!(
        stale(first).await,
        "the replaced certificate's token is stale"
    );
    assert!(!stale(second).await, "the new token is not stale");
}

/// `has_cert_hash` is true once the hash is associated with any ID.
pub async fn has_cert_hash_is_true_once_the_hash_is_associated_with_any_id(
    store: Arc<dyn AllStorage>,
) {
    assert!(!store.has_cert_hash(HASH_1).await.expect("has_cert_hash"));
    store
        .associate_cert_hash(&device().id, HASH_1)
        .await
        .expect("associate_cert_hash succeeds");
    assert!(store.has_cert_hash(HASH_1).await.expect("has_cert_hash"));
    assert!(!store.has_cert_hash(HASH_2).await.expect("has_cert_hash"));
}

/// `enrollment_has_cert_hash` is true once the ID has any association.
pub async fn enrollment_has_cert_hash_is_true_once_the_id_has_any_association(
    store: Arc<dyn AllStorage>,
) {
    let (device, other) = (device(), other_device());
    assert!(
        !store
            .enrollment_has_cert_hash(&device.id)
            .await
            .expect("query")
    );
    store
        .associate_cert_hash(&device.id, HASH_1)
        .await
        .expect("associate_cert_hash succeeds");
    assert!(
        store
            .enrollment_has_cert_hash(&device.id)
            .await
            .expect("query")
    );
    assert!(
        !store
            .enrollment_has_cert_hash(&other.id)
            .await
            .expect("query")
    );
}

/// `is_cert_hash_associated` is true only for an associated pair.
pub async fn is_cert_hash_associated_is_true_only_for_an_associated_pair(
    store: Arc<dyn AllStorage>,
) {
    let (device, other) = (device(), other_device());
    for (id, hash) in [(&device.id, HASH_1), (&other.id, HASH_2)] {
        store
            .associate_cert_hash(id, hash)
            .await
            .expect("associate_cert_hash succeeds");
    }
    for (id, hash, associated) in [
        (&device.id, HASH_1, true),
        (&other.id, HASH_2, true),
        (&device.id, HASH_2, false),
        (&other.id, HASH_1, false),
    ] {
        let found = store
            .is_cert_hash_associated(id, hash)
            .await
            .expect("query");
        assert_eq!(found, associated, "{id} with {hash}");
    }
}

/// An ID keeps its earlier associations when a new one is added.
pub async fn an_id_keeps_its_earlier_cert_hash_associations_when_a_new_one_is_added(
    store: Arc<dyn AllStorage>,
) {
    let id = device().id;
    for hash in [HASH_1, HASH_2] {
        store
            .associate_cert_hash(&id, hash)
            .await
            .expect("associate_cert_hash succeeds");
    }
    for hash in [HASH_1, HASH_2] {
        assert!(
            store
                .is_cert_hash_associated(&id, hash)
                .await
                .expect("query"),
            "{hash}"
        );
        let found = store
            .enrollment_from_hash(hash)
            .await
            .expect("enrollment_from_hash");
        assert_eq!(found.as_ref(), Some(&id), "{hash}");
    }
}

/// Hashes compare case-insensitively.
pub async fn cert_hashes_compare_case_insensitively(store: Arc<dyn AllStorage>) {
    let (device, other) = (device(), other_device());
    let upper = HASH_1.to_ascii_uppercase();
    store
        .associate_cert_hash(&device.id, &upper)
        .await
        .expect("associate_cert_hash succeeds");
    store
        .associate_cert_hash(&other.id, HASH_2)
        .await
        .expect("associate_cert_hash succeeds");
    let queries = [
        (&device.id, HASH_1.to_owned()),
        (&other.id, HASH_2.to_ascii_uppercase()),
    ];
    for (id, hash) in queries {
        assert!(
            store.has_cert_hash(&hash).await.expect("has_cert_hash"),
            "{hash}"
        );
        assert!(
            store
                .is_cert_hash_associated(id, &hash)
                .await
                .expect("query"),
            "{hash}"
        );
        let found = store
            .enrollment_from_hash(&hash)
            .await
            .expect("enrollment_from_hash");
        assert_eq!(found.as_ref(), Some(id), "{hash}");
    }
}

/// `enrollment_from_hash` returns the ID a hash is associated with, or
/// `None`.
pub async fn enrollment_from_hash_returns_the_associated_id_or_none(store: Arc<dyn AllStorage>) {
    let (device, other) = (device(), other_device());
    store
        .associate_cert_hash(&device.id, HASH_1)
        .await
        .expect("associate_cert_hash succeeds");
    store
        .associate_cert_hash(&other.id, HASH_2)
        .await
        .expect("associate_cert_hash succeeds");
    let found = store
        .enrollment_from_hash(HASH_1)
        .await
        .expect("enrollment_from_hash");
    assert_eq!(found, Some(device.id));
    let found = store
        .enrollment_from_hash(HASH_2)
        .await
        .expect("enrollment_from_hash");
    assert_eq!(found, Some(other.id));
    let none = "0".repeat(64);
    let found = store
        .enrollment_from_hash(&none)
        .await
        .expect("enrollment_from_hash");
    assert_eq!(found, None);
}
