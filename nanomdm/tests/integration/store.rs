//! The storage conformance suite on MemoryStore and FileStore, and what
//! only a FileStore has: data and queue order that survive reopening, and
//! one owner per directory.

use std::path::Path;
use std::sync::Arc;

use nanomdm::protocol::checkin::{self, CheckinMessage};
use nanomdm::protocol::command::{Status, decode_report};
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::store::{
    AllStorage, BootstrapTokenStore, CheckinStore, CommandQueue, FileStore, FileStoreError,
    MemoryStore,
};
use nanomdm::testing::{authenticate, command, device_channel, token_update};
use tempfile::TempDir;

fn fixture(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

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
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
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

/// Stores the real macOS captures (Authenticate, device and user
/// TokenUpdates) and a NotNow report as the service would, then reads
/// them back.
async fn real_device_captures_round_trip(store: Arc<dyn AllStorage>) {
    const SHARED: &str = "../../shared/fixtures/micromdm-nanomdm/mdm/testdata/";
    let mut device = None;
    for path in [
        format!("{SHARED}Authenticate.2.plist"),
        format!("{SHARED}TokenUpdate.2.plist"),
        "tests/fixtures/checkin_token_update_user_channel.plist".to_owned(),
    ] {
        let checkin = checkin::decode(&fixture(&path)).unwrap();
        match &checkin.message {
            CheckinMessage::Authenticate(m) => {
                store
                    .store_authenticate(&checkin.channel, m, &checkin.raw, None)
                    .await
                    .unwrap();
                device = Some(checkin.channel.clone());
            }
            CheckinMessage::TokenUpdate(m) => {
                store
                    .store_token_update(&checkin.channel, m, &checkin.raw)
                    .await
                    .unwrap();
                let push = store
                    .enrollment(&checkin.channel.id)
                    .await
                    .unwrap()
                    .unwrap()
                    .push;
                assert_eq!(
                    (push.topic.as_str(), push.token_hex()),
                    (m.topic.as_str(), m.token_hex())
                );
            }
            other => panic!("unexpected {}", other.message_type()),
        }
    }
    let device = device.unwrap();
    let body = fixture("tests/fixtures/report_not_now.plist");
    let report = decode_report(&body).unwrap();
    assert_eq!(report.channel, device);
    let uuid = report.command_uuid.clone().unwrap();
    store
        .enqueue_command(
            std::slice::from_ref(&device.id),
            &command(&uuid, "ProfileList", 0),
        )
        .await
        .unwrap();
    store.store_command_report(&device, &report).await.unwrap();
    assert_eq!(store.next_command(&device, true).await.unwrap(), None);
    let result = store
        .command_result(&device.id, &uuid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (result.status, &result.raw[..]),
        (Status::NotNow, &body[..])
    );
    let user = EnrollmentId::new(format!(
        "{}:F151140B-5B2B-4C2E-9E6A-3D2B7A1C0E55",
        device.id
    ));
    let user = store.enrollment(&user).await.unwrap().unwrap();
    assert_eq!(user.channel.parent, Some(device.id));
}

#[tokio::test]
async fn real_device_captures_round_trip_through_a_memory_store() {
    real_device_captures_round_trip(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn real_device_captures_round_trip_through_a_file_store() {
    let (store, _dir) = fresh_file_store();
    real_device_captures_round_trip(store).await;
}
