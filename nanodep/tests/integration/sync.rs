//! The syncer and the assigner against the simulator, including the
//! upstream defects they fix and a property: across injected errors,
//! failing callbacks and restarts, every change reaches the callback, in
//! order, and is acknowledged exactly once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nanodep::api::{DeviceListResponse, OpType};
use nanodep::store::{AssignerProfileStore, AssignmentStore, CursorStore};
use nanodep::sync::{DeviceCallback, Phase, StopReason};
use nanodep::testing::depsim::Failure;
use nanodep::{Assigner, BoxError, Client, Error, Syncer};

use crate::support::{NAME, Setup, device, setup, start};

/// A change as the callback saw it: serial and operation.
type Change = (String, Option<OpType>);

/// Records pages; fails while `fail` is set.
#[derive(Default)]
struct Recorder {
    pages: Mutex<Vec<(Phase, Vec<Change>)>>,
    fail: Mutex<bool>,
}

impl Recorder {
    fn serials(&self, phase: Phase) -> Vec<String> {
        let pages = self.pages.lock().unwrap();
        let pages = pages.iter().filter(|(p, _)| *p == phase);
        pages
            .flat_map(|(_, d)| d.iter().map(|(s, _)| s.clone()))
            .collect()
    }

    fn events(&self) -> Vec<Change> {
        let pages = self.pages.lock().unwrap();
        let pages = pages.iter().filter(|(p, _)| *p == Phase::Sync);
        pages.flat_map(|(_, d)| d.clone()).collect()
    }
}

#[async_trait]
impl DeviceCallback for Recorder {
    async fn devices(
        &self,
        _: &str,
        phase: Phase,
        page: &DeviceListResponse,
    ) -> Result<(), BoxError> {
        if *self.fail.lock().unwrap() {
            return Err("callback refused the page".into());
        }
        let devices = page
            .devices
            .iter()
            .map(|d| (d.serial_number.clone(), d.op()));
        self.pages.lock().unwrap().push((phase, devices.collect()));
        Ok(())
    }
}

fn syncer(s: &Setup) -> Syncer {
    let client = Arc::new(Client::new(s.sim.clone(), s.store.clone()));
    Syncer::new(client, s.store.clone(), NAME).with_limit(2)
}

#[tokio::test]
async fn the_first_step_fetches_everything_and_later_steps_sync_changes() {
    let s = setup().await;
    for serial in ["A1", "A2", "A3"] {
        s.sim.add_device(device(serial));
    }
    let syncer = syncer(&s);
    let recorder = Recorder::default();
    let report = syncer.sync_once(&recorder, start()).await.unwrap();
    assert_eq!(report.stopped, StopReason::UpToDate);
    assert_eq!(recorder.serials(Phase::Fetch), ["A1", "A2", "A3"]);
    assert!(recorder.events().is_empty());
    s.sim.add_device(device("B1"));
    s.sim.delete_device("A1");
    syncer.sync_once(&recorder, start()).await.unwrap();
    let expected = [
        ("B1".to_owned(), Some(OpType::Added)),
        ("A1".to_owned(), Some(OpType::Deleted)),
    ];
    assert_eq!(recorder.events(), expected);
    let stored = s.store.retrieve_cursor(NAME).await.unwrap().unwrap();
    assert_eq!(stored.modified, start());
}

#[tokio::test]
async fn a_restarted_syncer_continues_from_the_stored_cursor() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    syncer(&s)
        .sync_once(&Recorder::default(), start())
        .await
        .unwrap();
    s.sim.add_device(device("B1"));
    let recorder = Recorder::default();
    syncer(&s).sync_once(&recorder, start()).await.unwrap();
    assert!(recorder.serials(Phase::Fetch).is_empty());
    assert_eq!(recorder.events(), [("B1".to_owned(), Some(OpType::Added))]);
}

#[tokio::test]
async fn an_expired_cursor_restarts_a_full_fetch() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let syncer = syncer(&s);
    syncer
        .sync_once(&Recorder::default(), start())
        .await
        .unwrap();
    s.sim.expire_cursors();
    let recorder = Recorder::default();
    let report = syncer.sync_once(&recorder, start()).await.unwrap();
    assert!(report.restarted_fetch);
    assert_eq!(recorder.serials(Phase::Fetch), ["A1"]);
}

#[tokio::test]
async fn an_invalid_stored_cursor_restarts_a_full_fetch() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    s.store
        .store_cursor(NAME, "not-a-cursor", start())
        .await
        .unwrap();
    let recorder = Recorder::default();
    let report = syncer(&s).sync_once(&recorder, start()).await.unwrap();
    assert!(report.restarted_fetch);
    assert_eq!(recorder.serials(Phase::Fetch), ["A1"]);
}

#[tokio::test]
async fn a_cursor_older_than_apple_keeps_them_restarts_a_fetch_without_asking() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let syncer = syncer(&s);
    syncer
        .sync_once(&Recorder::default(), start())
        .await
        .unwrap();
    let later = start() + Duration::from_secs(8 * 86_400);
    s.sim.set_now(later);
    let before = s.sim.requests().len();
    let recorder = Recorder::default();
    let report = syncer.sync_once(&recorder, later).await.unwrap();
    assert!(report.restarted_fetch);
    assert_eq!(recorder.serials(Phase::Fetch), ["A1"]);
    let refused = s.sim.requests()[before..]
        .iter()
        .filter(|r| r.status == 400)
        .count();
    assert_eq!(refused, 0, "no request with the old cursor");
}

#[tokio::test]
async fn a_full_fetch_interrupted_by_a_failed_callback_resumes_as_a_fetch() {
    let s = setup().await;
    for serial in ["A1", "A2", "A3", "A4", "A5"] {
        s.sim.add_device(device(serial));
    }
    let syncer = syncer(&s);
    syncer
        .sync_once(&Recorder::default(), start())
        .await
        .unwrap();
    let later = start() + Duration::from_secs(8 * 86_400);
    s.sim.set_now(later);
    // The restarted fetch fails on its second page (limit 2)...
    struct FailSecond(Mutex<usize>, Recorder);
    #[async_trait]
    impl DeviceCallback for FailSecond {
        async fn devices(
            &self,
            n: &str,
            p: Phase,
            page: &DeviceListResponse,
        ) -> Result<(), BoxError> {
            let calls = {
                let mut calls = self.0.lock().unwrap();
                *calls += 1;
                *calls
            };
            if calls == 2 {
                return Err("refused".into());
            }
            self.1.devices(n, p, page).await
        }
    }
    let callback = FailSecond(Mutex::new(0), Recorder::default());
    assert!(syncer.sync_once(&callback, later).await.is_err());
    // ...and the next step fetches the rest instead of syncing past it.
    syncer.sync_once(&callback, later).await.unwrap();
    assert_eq!(
        callback.1.serials(Phase::Fetch),
        ["A1", "A2", "A3", "A4", "A5"]
    );
}

#[tokio::test]
async fn a_failed_callback_never_advances_the_cursor() {
    let s = setup().await;
    let syncer = syncer(&s);
    let recorder = Recorder::default();
    syncer.sync_once(&recorder, start()).await.unwrap();
    let before = s.store.retrieve_cursor(NAME).await.unwrap();
    s.sim.add_device(device("B1"));
    *recorder.fail.lock().unwrap() = true;
    let err = syncer.sync_once(&recorder, start()).await.unwrap_err();
    assert!(matches!(err, Error::Callback(_)));
    assert_eq!(s.store.retrieve_cursor(NAME).await.unwrap(), before);
    *recorder.fail.lock().unwrap() = false;
    syncer.sync_once(&recorder, start()).await.unwrap();
    assert_eq!(recorder.events(), [("B1".to_owned(), Some(OpType::Added))]);
}

#[tokio::test]
async fn a_repeated_cursor_with_more_to_follow_ends_the_step_instead_of_looping() {
    let s = setup().await;
    let syncer = syncer(&s);
    syncer
        .sync_once(&Recorder::default(), start())
        .await
        .unwrap();
    let before = s.store.retrieve_cursor(NAME).await.unwrap();
    s.sim.repeat_cursor(1000);
    let requests = s.sim.requests().len();
    let report = syncer
        .sync_once(&Recorder::default(), start())
        .await
        .unwrap();
    assert_eq!(report.stopped, StopReason::RepeatedCursor);
    assert_eq!(s.sim.requests().len() - requests, 1);
    assert_eq!(s.store.retrieve_cursor(NAME).await.unwrap(), before);
}

#[tokio::test]
async fn every_change_is_acknowledged_once_in_order_across_errors_and_restarts() {
    let s = setup().await;
    let recorder = Recorder::default();
    let mut syncer = Some(syncer(&s));
    syncer
        .as_ref()
        .unwrap()
        .sync_once(&recorder, start())
        .await
        .unwrap();
    let mut expected = Vec::new();
    // A fixed pseudo-random sequence (xorshift), so failures reproduce.
    let mut x: u32 = 0x9E37_79B9;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let mut serials: Vec<String> = Vec::new();
    for round in 0..60 {
        for _ in 0..next() % 4 {
            match next() % 3 {
                0 | 1 => {
                    let serial = format!("S{round:02}{:04}", next() % 10_000);
                    s.sim.add_device(device(&serial));
                    expected.push((serial.clone(), Some(OpType::Added)));
                    serials.push(serial);
                }
                _ if !serials.is_empty() => {
                    let serial = serials.remove(next() as usize % serials.len());
                    s.sim.delete_device(&serial);
                    expected.push((serial, Some(OpType::Deleted)));
                }
                _ => {}
            }
        }
        match next() % 6 {
            0 => s.sim.fail_next("/devices/sync", Failure::server_error()),
            1 => *recorder.fail.lock().unwrap() = true,
            2 => syncer = Some(self::syncer(&s)),
            3 => s.sim.expire_sessions(),
            _ => {}
        }
        let result = syncer.as_ref().unwrap().sync_once(&recorder, start()).await;
        *recorder.fail.lock().unwrap() = false;
        if result.is_err() {
            continue;
        }
    }
    syncer.unwrap().sync_once(&recorder, start()).await.unwrap();
    assert!(expected.len() > 40, "the sequence exercises enough changes");
    assert_eq!(recorder.events(), expected);
}

async fn assigner(s: &Setup) -> (Assigner, String) {
    let client = Arc::new(Client::new(s.sim.clone(), s.store.clone()));
    let profile = nanodep::api::Profile {
        profile_name: "Fleet".into(),
        url: Some("https://mdm.invalid/enroll".into()),
        ..Default::default()
    };
    let uuid = client
        .define_profile(NAME, &profile)
        .await
        .unwrap()
        .profile_uuid
        .unwrap();
    (Assigner::new(client, s.store.clone(), NAME), uuid)
}

/// Syncs once and returns the sync pages' devices as one response.
async fn sync_page(syncer: &Syncer) -> DeviceListResponse {
    #[derive(Default)]
    struct Keep(Mutex<Vec<nanodep::api::Device>>);
    #[async_trait]
    impl DeviceCallback for Keep {
        async fn devices(
            &self,
            _: &str,
            phase: Phase,
            page: &DeviceListResponse,
        ) -> Result<(), BoxError> {
            if phase == Phase::Sync {
                self.0.lock().unwrap().extend(page.devices.iter().cloned());
            }
            Ok(())
        }
    }
    let keep = Keep::default();
    syncer.sync_once(&keep, start()).await.unwrap();
    DeviceListResponse {
        devices: keep.0.into_inner().unwrap(),
        ..Default::default()
    }
}

#[tokio::test]
async fn added_devices_get_the_stored_profile_and_results_are_stored() {
    let s = setup().await;
    let (assigner, uuid) = assigner(&s).await;
    let syncer = syncer(&s);
    sync_page(&syncer).await;
    s.sim.add_device(device("A1"));
    s.sim.add_device(device("A2"));
    let page = sync_page(&syncer).await;
    let report = assigner.assign(&page, start()).await.unwrap();
    assert_eq!(report.profile_uuid, None, "no profile stored yet");
    s.store
        .store_assigner_profile(NAME, &uuid, start())
        .await
        .unwrap();
    let report = assigner.assign(&page, start()).await.unwrap();
    assert_eq!(report.statuses["SUCCESS"], 2);
    assert_eq!(
        s.sim.device("A1").unwrap().profile_uuid.as_deref(),
        Some(uuid.as_str())
    );
    let stored = s
        .store
        .retrieve_assignment(NAME, "A2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.retry_after),
        ("SUCCESS", None)
    );
    // The assignment itself comes back as a modified event: not assigned again.
    let page = sync_page(&syncer).await;
    assert_eq!(page.devices.len(), 2);
    assert!(
        assigner
            .assign(&page, start())
            .await
            .unwrap()
            .statuses
            .is_empty()
    );
}

#[tokio::test]
async fn a_modified_device_whose_profile_was_removed_gets_it_again() {
    let s = setup().await;
    let (assigner, uuid) = assigner(&s).await;
    s.store
        .store_assigner_profile(NAME, &uuid, start())
        .await
        .unwrap();
    s.sim.add_device(device("A1"));
    let syncer = syncer(&s);
    sync_page(&syncer).await;
    s.sim
        .modify_device("A1", |d| d.profile_status = Some("removed".into()));
    let page = sync_page(&syncer).await;
    let report = assigner.assign(&page, start()).await.unwrap();
    assert_eq!(report.statuses["SUCCESS"], 1);
}

#[tokio::test]
async fn throttled_devices_wait_for_their_retry_time() {
    let s = setup().await;
    let (assigner, uuid) = assigner(&s).await;
    s.store
        .store_assigner_profile(NAME, &uuid, start())
        .await
        .unwrap();
    let syncer = syncer(&s);
    sync_page(&syncer).await;
    s.sim.add_device(device("A1"));
    s.sim.throttle_assignments(&["A1"], 600);
    let page = sync_page(&syncer).await;
    let report = assigner.assign(&page, start()).await.unwrap();
    assert_eq!(report.statuses["THROTTLED"], 1);
    let stored = s
        .store
        .retrieve_assignment(NAME, "A1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.retry_after, Some(start() + Duration::from_secs(600)));
    let again = assigner
        .assign(&page, start() + Duration::from_secs(599))
        .await
        .unwrap();
    assert_eq!(again.skipped_throttled, 1);
    assert!(again.statuses.is_empty());
    assert!(
        assigner
            .retry_throttled(start() + Duration::from_secs(599))
            .await
            .unwrap()
            .statuses
            .is_empty()
    );
    s.sim.stop_throttling();
    let retried = assigner
        .retry_throttled(start() + Duration::from_secs(600))
        .await
        .unwrap();
    assert_eq!(retried.statuses["SUCCESS"], 1);
    let stored = s
        .store
        .retrieve_assignment(NAME, "A1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.retry_after, None);
}

#[tokio::test]
async fn an_unknown_profile_is_an_error_and_stores_nothing() {
    let s = setup().await;
    let (assigner, _) = assigner(&s).await;
    s.store
        .store_assigner_profile(NAME, "0000", start())
        .await
        .unwrap();
    let syncer = syncer(&s);
    sync_page(&syncer).await;
    s.sim.add_device(device("A1"));
    let page = sync_page(&syncer).await;
    let err = assigner.assign(&page, start()).await.unwrap_err();
    assert!(err.is(&nanodep::ErrorCode::ProfileNotFound));
    assert_eq!(s.store.retrieve_assignment(NAME, "A1").await.unwrap(), None);
}
