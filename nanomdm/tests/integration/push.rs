//! The `apns` client against a fake APNs on loopback (HTTP/2 over TLS,
//! client certificate required): headers and body, refusals, one
//! multiplexed connection, bounded concurrency, reconnects, and the push
//! service over a `MemoryStore` end to end.

mod fake_apns;
mod pki;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::Uri;
use nanomdm::protocol::enrollment::EnrollmentId;
use nanomdm::push::apns::{ApnsClient, ApnsConfig, ApnsError, ApnsFactory, RootCertStore};
use nanomdm::push::{
    ApnsReason, Notification, PushCertificate, PushError, PushProvider, PushService, Pusher,
};
use nanomdm::store::{CheckinStore, MemoryStore, PushCertStore};
use nanomdm::testing;
use rustls::pki_types::CertificateDer;

use self::fake_apns::{BAD_TOKEN, Expected, FakeApns, GONE_AT_MS, GONE_TOKEN};
use self::pki::{Pki, TOPIC, pki};

/// The fixed clock of these tests and the expiration it gives (+7 days).
const NOW_SECS: u64 = 1_800_000_000;
const EXPIRATION_SECS: u64 = NOW_SECS + 7 * 86_400;

/// Fails a test that deadlocks instead of hanging CI; not a timing check.
async fn guard<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(120), future)
        .await
        .expect("the test deadlocked")
}

async fn fake() -> FakeApns {
    let expected = Expected {
        topic: TOPIC.to_owned(),
        expiration: EXPIRATION_SECS.to_string(),
    };
    FakeApns::start(pki(), expected).await
}

fn config(fake: &FakeApns, pki: &Pki) -> ApnsConfig {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.server_ca_der.clone()))
        .unwrap();
    let mut config = ApnsConfig::with_base_url(fake.url().parse().unwrap());
    config.roots = Arc::new(roots);
    config
}

fn client(fake: &FakeApns, certificate: &PushCertificate) -> ApnsClient {
    ApnsClient::new(&config(fake, pki()), certificate).unwrap()
}

fn notification(token: Vec<u8>) -> Notification {
    Notification {
        push_magic: format!("magic-{}", hex(&token)),
        token,
        topic: TOPIC.to_owned(),
        expiration: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(EXPIRATION_SECS)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 32-byte token starting with `first`, made unique by `n`.
fn token(first: u8, n: u16) -> Vec<u8> {
    let mut token = vec![first];
    token.extend_from_slice(&n.to_be_bytes());
    token.resize(32, 0x5a);
    token
}

#[tokio::test]
async fn every_header_and_the_body_reach_apns_and_the_apns_id_comes_back() {
    let fake = fake().await;
    let client = client(&fake, &pki().push_certificate());
    let results = guard(client.push(&[notification(token(0x01, 1))])).await;
    let token_hex = hex(&token(0x01, 1));
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0].as_ref().unwrap().apns_id,
        format!("apns-{token_hex}")
    );
    // The fake checked every header; check them here too, by value.
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, format!("/3/device/{token_hex}"));
    let header = |name: &str| seen[0].headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("apns-topic"), TOPIC);
    assert_eq!(header("apns-push-type"), "mdm");
    assert_eq!(header("apns-priority"), "10");
    assert_eq!(header("apns-expiration"), "1800604800");
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(
        &seen[0].body[..],
        format!(r#"{{"mdm":"magic-{token_hex}"}}"#).as_bytes()
    );
    assert_eq!(fake.connections(), 1);
}

#[tokio::test]
async fn refusals_come_back_per_device_with_reason_and_timestamp() {
    let fake = fake().await;
    let client = client(&fake, &pki().push_certificate());
    let batch = [
        notification(token(BAD_TOKEN, 1)),
        notification(token(0x02, 2)),
        notification(token(GONE_TOKEN, 3)),
    ];
    let results = guard(client.push(&batch)).await;
    let bad = results[0].as_ref().unwrap_err();
    assert!(
        matches!(
            bad,
            PushError::Apns {
                status: 400,
                reason: ApnsReason::BadDeviceToken,
                timestamp: None
            }
        ),
        "{bad:?}"
    );
    assert!(results[1].is_ok(), "{:?}", results[1]);
    let gone = results[2].as_ref().unwrap_err();
    let PushError::Apns {
        status: 410,
        reason,
        timestamp: Some(at),
    } = gone
    else {
        panic!("{gone:?}")
    };
    assert_eq!(reason, &ApnsReason::Unregistered);
    assert!(reason.token_is_dead());
    assert_eq!(
        *at,
        SystemTime::UNIX_EPOCH + Duration::from_millis(GONE_AT_MS)
    );
}

#[tokio::test]
async fn two_hundred_concurrent_pushes_share_one_connection() {
    let fake = fake().await;
    // No answer until all 200 are in flight: a client that serialised or
    // capped them would deadlock here.
    fake.hold_until(200);
    let mut config = config(&fake, pki());
    config.concurrency = 200;
    let client = ApnsClient::new(&config, &pki().push_certificate()).unwrap();
    let batch: Vec<_> = (0..200).map(|n| notification(token(0x03, n))).collect();
    let results = guard(client.push(&batch)).await;
    assert_eq!(results.len(), 200);
    for (n, result) in results.iter().enumerate() {
        let expected = format!("apns-{}", hex(&batch[n].token));
        assert_eq!(result.as_ref().unwrap().apns_id, expected, "push {n}");
    }
    assert_eq!(fake.connections(), 1);
    assert_eq!(fake.max_in_flight(), 200);
}

#[tokio::test]
async fn pushes_in_flight_never_exceed_the_configured_concurrency() {
    let fake = fake().await;
    // Answers go out in groups of 4: more than 4 in flight would show in
    // the maximum, fewer would deadlock.
    fake.hold_until(4);
    let mut config = config(&fake, pki());
    config.concurrency = 4;
    let client = ApnsClient::new(&config, &pki().push_certificate()).unwrap();
    let batch: Vec<_> = (0..40).map(|n| notification(token(0x04, n))).collect();
    let results = guard(client.push(&batch)).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(fake.max_in_flight(), 4);
    assert_eq!(fake.connections(), 1);
}

#[tokio::test]
async fn after_a_goaway_the_next_push_succeeds_on_a_new_connection() {
    let fake = fake().await;
    let client = client(&fake, &pki().push_certificate());
    let first = guard(client.push(&[notification(token(0x05, 1))])).await;
    assert!(first[0].is_ok(), "{first:?}");
    guard(fake.goaway_and_wait_closed(1)).await;
    let second = guard(client.push(&[notification(token(0x05, 2))])).await;
    assert!(second[0].is_ok(), "{second:?}");
    assert_eq!(fake.connections(), 2);
}

#[tokio::test]
async fn after_the_connection_drops_the_next_push_succeeds_on_a_new_connection() {
    let fake = fake().await;
    let client = client(&fake, &pki().push_certificate());
    let first = guard(client.push(&[notification(token(0x06, 1))])).await;
    assert!(first[0].is_ok(), "{first:?}");
    guard(fake.kill_and_wait_closed(1)).await;
    let batch: Vec<_> = (2..12).map(|n| notification(token(0x06, n))).collect();
    let second = guard(client.push(&batch)).await;
    assert!(second.iter().all(Result::is_ok), "{second:?}");
    assert_eq!(fake.connections(), 2);
}

#[tokio::test]
async fn a_pkcs1_push_key_works_as_client_key() {
    let fake = fake().await;
    let client = client(&fake, &pki().push_certificate_pkcs1());
    let results = guard(client.push(&[notification(token(0x07, 1))])).await;
    assert!(results[0].is_ok(), "{results:?}");
}

#[tokio::test]
async fn a_certificate_apns_does_not_accept_fails_each_push_as_transport_error() {
    let fake = fake().await;
    let client = client(&fake, &pki().untrusted_push_certificate());
    let batch = [notification(token(0x08, 1)), notification(token(0x08, 2))];
    let results = guard(client.push(&batch)).await;
    assert_eq!(results.len(), 2);
    for result in &results {
        assert!(matches!(result, Err(PushError::Transport(_))), "{result:?}");
    }
    assert!(fake.seen().is_empty());
}

#[test]
fn a_base_url_that_is_not_https_is_refused() {
    for url in ["http://127.0.0.1:1", "/3/device"] {
        let config = ApnsConfig::with_base_url(url.parse::<Uri>().unwrap());
        let err = ApnsClient::new(&config, &pki().push_certificate()).unwrap_err();
        assert!(matches!(err, ApnsError::BaseUrl(_)), "{url}: {err:?}");
    }
}

/// A MemoryStore with a token-updated enrollment per `(udid, token)`.
async fn enrolled_store(devices: &[(&str, Vec<u8>)]) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    for (udid, token) in devices {
        let update = testing::token_update(
            &testing::device_channel(udid),
            token,
            &format!("magic-{}", hex(token)),
        );
        store
            .store_token_update(&update.channel, &update.message, &update.raw)
            .await
            .unwrap();
    }
    store
        .store_push_cert(&pki().push_certificate().to_push_cert())
        .await
        .unwrap();
    store
}

fn service(fake: &FakeApns, store: &Arc<MemoryStore>) -> PushService {
    let factory = Arc::new(ApnsFactory::new(config(fake, pki())));
    PushService::new(store.clone(), store.clone(), factory)
        .with_clock(|| SystemTime::UNIX_EPOCH + Duration::from_secs(NOW_SECS))
}

fn ids(names: &[&str]) -> Vec<EnrollmentId> {
    names.iter().map(|n| EnrollmentId::new(*n)).collect()
}

#[tokio::test]
async fn the_push_service_pushes_enrollments_of_a_store_through_apns() {
    let fake = fake().await;
    let store = enrolled_store(&[
        ("GOOD", token(0x09, 1)),
        ("BAD", token(BAD_TOKEN, 1)),
        ("GONE", token(GONE_TOKEN, 1)),
        ("DISABLED", token(0x0a, 1)),
    ])
    .await;
    // What the core service does on Authenticate (re-enrollment) or
    // CheckOut: no pushes until the next TokenUpdate.
    store
        .disable(&testing::device_channel("DISABLED"))
        .await
        .unwrap();
    let service = service(&fake, &store);
    let results = guard(service.push(&ids(&["GOOD", "BAD", "GONE", "DISABLED", "UNKNOWN"])))
        .await
        .unwrap();
    let result = |id: &str| results[&EnrollmentId::new(id)].as_ref();
    let good = result("GOOD").unwrap();
    assert_eq!(good.apns_id, format!("apns-{}", hex(&token(0x09, 1))));
    let bad = result("BAD").unwrap_err();
    assert_eq!(bad.apns_reason(), Some(&ApnsReason::BadDeviceToken));
    let gone = result("GONE").unwrap_err();
    assert_eq!(gone.apns_reason(), Some(&ApnsReason::Unregistered));
    assert!(matches!(result("DISABLED"), Err(PushError::Disabled)));
    assert!(matches!(result("UNKNOWN"), Err(PushError::NotEnrolled)));
    assert_eq!(fake.seen().len(), 3);
    assert_eq!(fake.connections(), 1);
}

#[tokio::test]
async fn a_certificate_renewed_by_another_replica_is_used_on_the_next_push() {
    let fake = fake().await;
    let store = enrolled_store(&[("MAC", token(0x0b, 1))]).await;
    let this_replica = service(&fake, &store);
    let first = guard(this_replica.push(&ids(&["MAC"]))).await.unwrap();
    assert!(first[&EnrollmentId::new("MAC")].is_ok(), "{first:?}");
    let again = guard(this_replica.push(&ids(&["MAC"]))).await.unwrap();
    assert!(again[&EnrollmentId::new("MAC")].is_ok(), "{again:?}");
    assert_eq!(fake.connections(), 1, "the cached client was not reused");
    // Another replica stores the renewed certificate in the shared store
    // (`PUT /v1/pushcert`): this one must build a new client for it.
    store
        .store_push_cert(&pki().push_certificate().to_push_cert())
        .await
        .unwrap();
    let after = guard(this_replica.push(&ids(&["MAC"]))).await.unwrap();
    assert!(after[&EnrollmentId::new("MAC")].is_ok(), "{after:?}");
    assert_eq!(fake.connections(), 2);
}
