//! The client against the DEP simulator: every endpoint and every injected
//! failure.

use std::time::{Duration, SystemTime};

use http::StatusCode;
use nanodep::api::{FetchDeviceRequest, OpType, Profile, SyncDeviceRequest};
use nanodep::testing::depsim::Failure;
use nanodep::token_pki::{finalize_token, stage_key_pair};
use nanodep::{Client, Error, ErrorCode, MemoryStore};

use crate::support::{NAME, device, setup};

#[tokio::test]
async fn the_whole_token_flow_reaches_the_account() {
    let s = setup().await;
    let store = std::sync::Arc::new(MemoryStore::new());
    let now = SystemTime::now();
    let pair = stage_key_pair(&*store, NAME, "depserver", 1, now)
        .await
        .unwrap();
    let p7m = s.sim.token_file(&pair.certificate_pem).unwrap();
    let tokens = finalize_token(&*store, NAME, &p7m, false, now)
        .await
        .unwrap();
    assert_eq!(tokens, s.sim.tokens());
    let config = nanodep::store::Config {
        base_url: Some("http://depsim.invalid".into()),
        server_protocol_version: None,
    };
    nanodep::store::ConfigStore::store_config(&*store, NAME, &config)
        .await
        .unwrap();
    let client = Client::new(s.sim.clone(), store);
    let account = client.account(NAME).await.unwrap();
    assert_eq!(account, s.sim.account());
}

#[tokio::test]
async fn fetch_pages_through_a_listing_and_then_the_cursor_is_exhausted() {
    let s = setup().await;
    for serial in ["A1", "A2", "A3", "A4", "A5"] {
        s.sim.add_device(device(serial));
    }
    let mut request = FetchDeviceRequest {
        cursor: None,
        limit: Some(2),
    };
    let mut serials = Vec::new();
    loop {
        let page = s.client.fetch_devices(NAME, &request).await.unwrap();
        assert!(page.devices.iter().all(|d| d.op_type.is_none()));
        serials.extend(page.devices.into_iter().map(|d| d.serial_number));
        request.cursor = Some(page.cursor);
        if !page.more_to_follow {
            break;
        }
    }
    assert_eq!(serials, ["A1", "A2", "A3", "A4", "A5"]);
    let err = s.client.fetch_devices(NAME, &request).await.unwrap_err();
    assert!(err.is(&ErrorCode::ExhaustedCursor), "{err:?}");
}

#[tokio::test]
async fn sync_reports_changes_after_the_cursor_with_their_operations() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let fetched = s
        .client
        .fetch_devices(NAME, &FetchDeviceRequest::default())
        .await
        .unwrap();
    s.sim.add_device(device("B1"));
    s.sim
        .modify_device("A1", |d| d.asset_tag = Some("tag".into()));
    s.sim.delete_device("B1");
    let request = SyncDeviceRequest {
        cursor: fetched.cursor,
        limit: None,
    };
    let page = s.client.sync_devices(NAME, &request).await.unwrap();
    let ops: Vec<_> = page
        .devices
        .iter()
        .map(|d| (d.serial_number.as_str(), d.op()))
        .collect();
    assert_eq!(
        ops,
        [
            ("B1", Some(OpType::Added)),
            ("A1", Some(OpType::Modified)),
            ("B1", Some(OpType::Deleted)),
        ]
    );
    assert!(!page.more_to_follow);
    assert!(page.devices[0].op_date.is_some());
    let again = SyncDeviceRequest {
        cursor: page.cursor,
        limit: None,
    };
    assert!(
        s.client
            .sync_devices(NAME, &again)
            .await
            .unwrap()
            .devices
            .is_empty()
    );
}

#[tokio::test]
async fn sync_refuses_missing_garbage_and_expired_cursors() {
    let s = setup().await;
    let empty = SyncDeviceRequest::default();
    let err = s.client.sync_devices(NAME, &empty).await.unwrap_err();
    assert!(err.is(&ErrorCode::CursorRequired));
    let garbage = SyncDeviceRequest {
        cursor: "garbage".into(),
        limit: None,
    };
    let err = s.client.sync_devices(NAME, &garbage).await.unwrap_err();
    assert!(err.is(&ErrorCode::InvalidCursor) && err.is_cursor_unusable());
    let fetched = s
        .client
        .fetch_devices(NAME, &FetchDeviceRequest::default())
        .await
        .unwrap();
    let request = SyncDeviceRequest {
        cursor: fetched.cursor,
        limit: None,
    };
    s.client.sync_devices(NAME, &request).await.unwrap();
    s.sim.advance(Duration::from_secs(7 * 86_400 + 1));
    let err = s.client.sync_devices(NAME, &request).await.unwrap_err();
    assert!(err.is(&ErrorCode::ExpiredCursor), "{err:?}");
}

#[tokio::test]
async fn expired_cursors_can_be_injected() {
    let s = setup().await;
    let fetched = s
        .client
        .fetch_devices(NAME, &FetchDeviceRequest::default())
        .await
        .unwrap();
    s.sim.expire_cursors();
    let request = SyncDeviceRequest {
        cursor: fetched.cursor,
        limit: None,
    };
    let err = s.client.sync_devices(NAME, &request).await.unwrap_err();
    assert!(err.is(&ErrorCode::ExpiredCursor));
}

#[tokio::test]
async fn device_details_and_disown_answer_per_serial() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let serials = vec!["A1".to_owned(), "ZZ".to_owned()];
    let details = s.client.device_details(NAME, &serials).await.unwrap();
    assert_eq!(details.devices["A1"].model.as_deref(), Some("MacBook Pro"));
    assert_eq!(
        details.devices["A1"].response_status.as_deref(),
        Some("SUCCESS")
    );
    assert_eq!(
        details.devices["ZZ"].response_status.as_deref(),
        Some("NOT_ACCESSIBLE")
    );
    let disowned = s.client.disown_devices(NAME, &serials).await.unwrap();
    assert_eq!(disowned.devices["A1"], "SUCCESS");
    assert_eq!(disowned.devices["ZZ"], "NOT_ACCESSIBLE");
    assert!(s.sim.device("A1").is_none());
}

fn profile() -> Profile {
    Profile {
        profile_name: "Fleet".into(),
        url: Some("https://mdm.invalid/enroll".into()),
        is_mdm_removable: Some(false),
        ..Profile::default()
    }
}

#[tokio::test]
async fn profiles_are_defined_fetched_assigned_and_removed() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let defined = s.client.define_profile(NAME, &profile()).await.unwrap();
    let uuid = defined.profile_uuid.unwrap();
    assert_eq!(uuid.len(), 32);
    let fetched = s.client.get_profile(NAME, &uuid).await.unwrap();
    assert_eq!(fetched.profile_name, "Fleet");
    assert_eq!(fetched.is_mdm_removable, Some(false));
    let serials = vec!["A1".to_owned(), "ZZ".to_owned()];
    let assigned = s
        .client
        .assign_profile(NAME, &uuid, &serials)
        .await
        .unwrap();
    assert_eq!(assigned.devices["A1"], "SUCCESS");
    assert_eq!(assigned.devices["ZZ"], "NOT_ACCESSIBLE");
    assert_eq!(s.sim.device("A1").unwrap().profile_uuid, Some(uuid.clone()));
    let removed = s.client.remove_profile(NAME, &serials[..1]).await.unwrap();
    assert_eq!(removed.devices["A1"], "SUCCESS");
    let device = s.sim.device("A1").unwrap();
    assert_eq!(device.profile_status.as_deref(), Some("removed"));
    let err = s.client.get_profile(NAME, "0000").await.unwrap_err();
    assert!(err.is(&ErrorCode::ProfileNotFound));
    let err = s
        .client
        .assign_profile(NAME, "0000", &serials)
        .await
        .unwrap_err();
    assert_eq!(err.apple().unwrap().status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_profile_without_a_url_is_refused() {
    let s = setup().await;
    let bad = Profile {
        profile_name: "x".into(),
        ..Profile::default()
    };
    let err = s.client.define_profile(NAME, &bad).await.unwrap_err();
    assert!(err.is(&ErrorCode::ConfigUrlRequired));
}

#[tokio::test]
async fn throttled_assignments_say_when_to_retry() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let uuid = s
        .client
        .define_profile(NAME, &profile())
        .await
        .unwrap()
        .profile_uuid
        .unwrap();
    s.sim.throttle_assignments(&["A1"], 3600);
    let answer = s
        .client
        .assign_profile(NAME, &uuid, &["A1".into()])
        .await
        .unwrap();
    assert_eq!(answer.devices["A1"], "THROTTLED");
    assert_eq!(answer.retry_after_seconds, Some(3600));
}

#[tokio::test]
async fn expired_sessions_are_renewed_without_the_caller_noticing() {
    let s = setup().await;
    s.client.account(NAME).await.unwrap();
    s.sim.expire_sessions();
    s.client.account(NAME).await.unwrap();
    s.sim.set_forbidden_for_unknown_sessions(true);
    s.sim.expire_sessions();
    s.client.account(NAME).await.unwrap();
    assert_eq!(s.session_calls(), 3);
}

#[tokio::test]
async fn rotated_sessions_are_followed_without_re_authenticating() {
    let s = setup().await;
    s.sim.set_rotate_sessions(true);
    for _ in 0..4 {
        s.client.account(NAME).await.unwrap();
    }
    assert_eq!(s.session_calls(), 1);
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried() {
    let s = setup().await;
    s.sim.fail_next("/account", Failure::server_error());
    s.sim.fail_next("/account", Failure::throttled(30));
    s.client.account(NAME).await.unwrap();
    let waits = s.sleeper.0.lock().unwrap().clone();
    assert_eq!(waits, [Duration::from_secs(1), Duration::from_secs(30)]);
}

#[tokio::test]
async fn a_throttled_session_request_is_retried_too() {
    let s = setup().await;
    s.sim.fail_next("/session", Failure::throttled(5));
    s.client.account(NAME).await.unwrap();
    assert_eq!(*s.sleeper.0.lock().unwrap(), [Duration::from_secs(5)]);
}

#[tokio::test]
async fn persistent_server_errors_end_in_an_apple_error() {
    let s = setup().await;
    for _ in 0..4 {
        s.sim.fail_next("/account", Failure::server_error());
    }
    let err = s.client.account(NAME).await.unwrap_err();
    assert_eq!(
        err.apple().unwrap().status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(s.sleeper.0.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn terms_not_signed_on_session_is_an_auth_error() {
    let s = setup().await;
    let failure = Failure::code(StatusCode::FORBIDDEN, "T_C_NOT_SIGNED");
    s.sim.fail_next("/session", failure);
    let err = s.client.account(NAME).await.unwrap_err();
    assert!(matches!(&err, Error::Auth(_)) && err.is(&ErrorCode::TermsNotSigned));
}

#[tokio::test]
async fn replaced_tokens_and_generic_user_agents_are_refused() {
    let s = setup().await;
    s.sim.renew_tokens();
    let err = s.client.account(NAME).await.unwrap_err();
    assert!(matches!(&err, Error::Auth(e) if e.status == StatusCode::UNAUTHORIZED));
    let s = setup().await;
    let client = Client::new(s.sim.clone(), s.store.clone()).with_user_agent("my-godep/1");
    let err = client.account(NAME).await.unwrap_err();
    assert!(err.is(&ErrorCode::UserAgentInvalid));
}

#[tokio::test]
async fn the_repeated_cursor_glitch_can_be_injected() {
    let s = setup().await;
    let fetched = s
        .client
        .fetch_devices(NAME, &FetchDeviceRequest::default())
        .await
        .unwrap();
    s.sim.repeat_cursor(1);
    let request = SyncDeviceRequest {
        cursor: fetched.cursor.clone(),
        limit: None,
    };
    let page = s.client.sync_devices(NAME, &request).await.unwrap();
    assert_eq!(page.cursor, fetched.cursor);
    assert!(page.more_to_follow);
}

#[tokio::test]
async fn activation_lock_beta_tokens_and_account_driven_enrollment_work() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let request = nanodep::api::ActivationLockRequest {
        device: "A1".into(),
        escrow_key: Some("6ab40d5e".into()),
        lost_message: None,
    };
    let answer = s.client.activation_lock(NAME, &request).await.unwrap();
    assert_eq!(
        (
            answer.serial_number.as_str(),
            answer.response_status.as_str()
        ),
        ("A1", "SUCCESS")
    );
    let again = s.client.activation_lock(NAME, &request).await.unwrap();
    assert_eq!(again.response_status, "DEVICE_ALREADY_LOCKED");
    let tokens = s.client.os_beta_enrollment_tokens(NAME).await.unwrap();
    assert_eq!(tokens.beta_enrollment_tokens.len(), 1);
    s.sim.set_apple_seed_for_it(false);
    let err = s.client.os_beta_enrollment_tokens(NAME).await.unwrap_err();
    assert!(err.is(&ErrorCode::AppleSeedForItTurnedOff));
    let url = "https://mdm.invalid/.well-known/com.apple.remotemanagement";
    s.client
        .assign_account_driven_enrollment_profile(NAME, url)
        .await
        .unwrap();
    assert_eq!(s.sim.service_discovery_url().as_deref(), Some(url));
}
