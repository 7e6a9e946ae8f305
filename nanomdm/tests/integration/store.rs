//! The storage conformance suite on MemoryStore and FileStore, and what
//! only a FileStore has: data and queue order that survive reopening, and
//! one owner per directory.

use std::sync::Arc;

use nanomdm::store::{
    AllStorage, BootstrapTokenStore, CheckinStore, CommandQueue, FileStore, FileStoreError,
    MemoryStore,
};
use nanomdm::testing::{authenticate, command, device_channel, token_update};
use tempfile::TempDir;

fn fresh_file_store() -> (Arc<FileStore>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(dir.path().join("store")).unwrap();
    (Arc::new(store), dir)
}

mod memory_store_conformance {
    nanomdm::store_conformance!(std::sync::Arc::new(nanomdm::store::MemoryStore::new()));
}

mod file_store_conformance {
    nanomdm::store_conformance!(super::fresh_file_store());
}

#[tokio::test]
async fn a_reopened_file_store_keeps_enrollments_results_and_queue_order() {
    let (store, dir) = fresh_file_store();
    let path = store.path().to_owned();
    nanomdm::testing::conformance::a_reopened_store_keeps_enrollments_results_and_queue_order(
        store,
        || async move { Arc::new(FileStore::open(&path).unwrap()) as Arc<dyn AllStorage> },
    )
    .await;
    drop(dir);
}

#[test]
fn a_second_file_store_on_the_same_directory_is_refused_until_the_first_is_dropped() {
    let (store, _dir) = fresh_file_store();
    let second = FileStore::open(store.path());
    assert!(
        matches!(second, Err(FileStoreError::Locked(_))),
        "{second:?}"
    );
    let path = store.path().to_owned();
    drop(store);
    FileStore::open(&path).unwrap();
}

#[tokio::test]
async fn a_file_store_writes_nothing_outside_its_directory_and_only_safe_names() {
    let (store, dir) = fresh_file_store();
    let channel = device_channel("../../ESCAPE/..");
    let message = token_update(&channel, b"token", "magic");
    store
        .store_token_update(&channel, &message.message, &message.raw)
        .await
        .unwrap();
    let auth = authenticate(&channel);
    store
        .store_authenticate(&channel, &auth.message, &auth.raw, None)
        .await
        .unwrap();
    let outside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(outside.len(), 1, "only the store directory");
    let mut pending = vec![store.path().to_owned()];
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            assert!(
                name == ".lock"
                    || name.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b"-_%ABCDEF".contains(&b)),
                "{name}"
            );
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    let enrollment = store.enrollment(&channel.id).await.unwrap().unwrap();
    assert_eq!(enrollment.channel, channel);
}

#[tokio::test]
async fn an_id_listed_twice_in_one_enqueue_is_queued_once() {
    let store = MemoryStore::new();
    let channel = device_channel("5E2B0C7A-93D4-5F61-8A0B-C1D2E3F40516");
    let message = token_update(&channel, b"token", "magic");
    store
        .store_token_update(&channel, &message.message, &message.raw)
        .await
        .unwrap();
    let ids = [channel.id.clone(), channel.id.clone()];
    store
        .enqueue_command(&ids, &command("ONCE", "DeviceInformation", 0))
        .await
        .unwrap();
    assert_eq!(store.queue(&channel.id).await.unwrap().len(), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn a_file_store_keeps_its_files_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (store, _dir) = fresh_file_store();
    let channel = device_channel("5E2B0C7A-93D4-5F61-8A0B-C1D2E3F40516");
    store
        .store_bootstrap_token(&channel, Some(b"secret"))
        .await
        .unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(store.path()), 0o700);
    let mut pending = vec![store.path().to_owned()];
    let mut files = 0;
    while let Some(path) = pending.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                pending.push(path);
            } else if !path.ends_with(".lock") {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert_eq!(files, 1, "the bootstrap token");
}
