//! The storage conformance suite on both shipped stores, and what only a
//! file store can show.

use std::sync::Arc;
use std::time::SystemTime;

use nanodep::store::{AuthTokensStore, CursorStore};
use nanodep::{FileStore, MemoryStore, StoreError};

mod memory {
    nanodep::store_conformance!(std::sync::Arc::new(nanodep::MemoryStore::new()));
}

mod file {
    nanodep::store_conformance!({
        let dir = tempfile::tempdir().unwrap();
        (
            std::sync::Arc::new(nanodep::FileStore::open(dir.path()).unwrap()),
            dir,
        )
    });
}

#[tokio::test]
async fn a_reopened_file_store_keeps_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    FileStore::open(dir.path())
        .unwrap()
        .store_cursor("dep1", "CURSOR", at)
        .await
        .unwrap();
    let reopened = FileStore::open(dir.path()).unwrap();
    let cursor = reopened.retrieve_cursor("dep1").await.unwrap().unwrap();
    assert_eq!((cursor.value.as_str(), cursor.modified), ("CURSOR", at));
    // Go nanodep's file backend layout: the cursor and a newline.
    let text = std::fs::read_to_string(dir.path().join("dep1.cursor.txt")).unwrap();
    assert_eq!(text, "CURSOR\n");
}

#[tokio::test]
async fn a_file_store_refuses_names_that_would_leave_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path().join("db")).unwrap();
    for name in ["", "../x", "a/b", ".hidden"] {
        let err = store.retrieve_auth_tokens(name).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{name}: {err:?}");
    }
}

#[tokio::test]
async fn a_memory_store_serves_as_a_shared_dyn_store() {
    let store: Arc<dyn nanodep::Store> = Arc::new(MemoryStore::new());
    let tokens_store: &dyn AuthTokensStore = &*store;
    assert!(matches!(
        tokens_store.retrieve_auth_tokens("x").await,
        Err(StoreError::NotFound)
    ));
}
