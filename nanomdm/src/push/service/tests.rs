//! The service against in-test doubles: a fake store (push info and push
//! certificates in maps) and a fake provider factory that records what it
//! was asked to push. No APNs involved.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use cryptoutil::RsaPrivateKey;
use cryptoutil::cert::{self, CertificateProfile};

use super::*;
use crate::push::ApnsReason;
use crate::store::{PushCert, PushInfo};

const EC_SEC1: &str = include_str!("../../../tests/fixtures/push_cert_ec_p256_sec1.pem");
const TOPIC_EC: &str = "com.apple.mgmt.External.7e1f0c3a-ec00-4b6e-9d1e-000000000256";
const TOPIC_RSA: &str = "com.apple.mgmt.External.rsa-topic";
const BAD_TOKEN: u8 = 0xbd;

fn rsa_push_cert() -> PushCert {
    static CERT: OnceLock<PushCert> = OnceLock::new();
    CERT.get_or_init(|| {
        let key = RsaPrivateKey::generate(2048).unwrap();
        let subject = format!("UID={TOPIC_RSA},CN=APSP:rsa").parse().unwrap();
        let mut profile = CertificateProfile::new(1).unwrap();
        profile.not_before = SystemTime::UNIX_EPOCH;
        profile.not_after = SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000);
        let cert = cert::self_signed(subject, &key, &profile).unwrap();
        PushCert {
            topic: TOPIC_RSA.to_owned(),
            cert_pem: cert::to_pem(&cert).unwrap(),
            key_pem: key.to_pkcs8_pem(),
        }
    })
    .clone()
}

fn ec_push_cert() -> PushCert {
    PushCertificate::from_pem(EC_SEC1.as_bytes())
        .unwrap()
        .to_push_cert()
}

/// Test double for `PushStore` + `PushCertStore`.
#[derive(Debug, Default)]
struct FakeStore {
    infos: Mutex<HashMap<EnrollmentId, PushInfo>>,
    certs: Mutex<HashMap<String, (PushCert, u64)>>,
    next_token: AtomicUsize,
    cert_loads: AtomicUsize,
    fail_push_info: AtomicBool,
}

impl FakeStore {
    fn enroll(&self, id: &str, topic: &str, token: u8, enabled: bool) {
        let info = PushInfo {
            topic: topic.to_owned(),
            push_magic: format!("magic-{id}"),
            token: vec![token, 0x01],
            enabled,
        };
        self.infos
            .lock()
            .unwrap()
            .insert(EnrollmentId::new(id), info);
    }
}

#[async_trait]
impl PushStore for FakeStore {
    async fn push_info(
        &self,
        ids: &[EnrollmentId],
    ) -> Result<HashMap<EnrollmentId, PushInfo>, StoreError> {
        if self.fail_push_info.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("database down".into()));
        }
        let infos = self.infos.lock().unwrap();
        Ok(ids
            .iter()
            .filter_map(|id| Some((id.clone(), infos.get(id)?.clone())))
            .collect())
    }
}

#[async_trait]
impl PushCertStore for FakeStore {
    async fn store_push_cert(&self, cert: &PushCert) -> Result<u64, StoreError> {
        let token = self.next_token.fetch_add(1, Ordering::SeqCst) as u64;
        self.certs
            .lock()
            .unwrap()
            .insert(cert.topic.clone(), (cert.clone(), token));
        Ok(token)
    }

    async fn push_cert(&self, topic: &str) -> Result<Option<(PushCert, u64)>, StoreError> {
        self.cert_loads.fetch_add(1, Ordering::SeqCst);
        Ok(self.certs.lock().unwrap().get(topic).cloned())
    }

    async fn is_push_cert_stale(&self, topic: &str, stale_token: u64) -> Result<bool, StoreError> {
        Ok(self
            .certs
            .lock()
            .unwrap()
            .get(topic)
            .is_none_or(|(_, token)| *token != stale_token))
    }
}

/// Test double for `PushProvider`: answers `<generation>:<token hex>` as
/// the apns-id, and BadDeviceToken for tokens starting with `BAD_TOKEN`.
#[derive(Debug)]
struct FakeProvider {
    topic: String,
    generation: usize,
    pushed: Mutex<Vec<Notification>>,
    drop_last_result: bool,
}

#[async_trait]
impl PushProvider for FakeProvider {
    async fn push(&self, notifications: &[Notification]) -> Vec<Result<Pushed, PushError>> {
        self.pushed
            .lock()
            .unwrap()
            .extend(notifications.iter().cloned());
        let mut results: Vec<_> = notifications
            .iter()
            .map(|n| {
                if n.token[0] == BAD_TOKEN {
                    return Err(PushError::Apns {
                        status: 400,
                        reason: ApnsReason::BadDeviceToken,
                        timestamp: None,
                    });
                }
                Ok(Pushed {
                    apns_id: format!("{}:{}", self.generation, n.token_hex()),
                })
            })
            .collect();
        if self.drop_last_result {
            results.pop();
        }
        results
    }
}

#[derive(Debug, Default)]
struct FakeFactory {
    made: Mutex<Vec<Arc<FakeProvider>>>,
    refuse: AtomicBool,
    drop_last_result: AtomicBool,
}

impl PushProviderFactory for FakeFactory {
    fn new_push_provider(
        &self,
        certificate: &PushCertificate,
    ) -> Result<Arc<dyn PushProvider>, BoxError> {
        if self.refuse.load(Ordering::SeqCst) {
            return Err("no TLS for you".into());
        }
        let mut made = self.made.lock().unwrap();
        let provider = Arc::new(FakeProvider {
            topic: certificate.topic().to_owned(),
            generation: made.len() + 1,
            pushed: Mutex::new(Vec::new()),
            drop_last_result: self.drop_last_result.load(Ordering::SeqCst),
        });
        made.push(Arc::clone(&provider));
        Ok(provider)
    }
}

const NOW: Duration = Duration::from_secs(1_800_000_000);

struct Fixture {
    store: Arc<FakeStore>,
    factory: Arc<FakeFactory>,
    service: PushService,
}

async fn fixture() -> Fixture {
    let store = Arc::new(FakeStore::default());
    store.store_push_cert(&ec_push_cert()).await.unwrap();
    store.store_push_cert(&rsa_push_cert()).await.unwrap();
    let factory = Arc::new(FakeFactory::default());
    let service = PushService::new(store.clone(), store.clone(), factory.clone())
        .with_clock(|| SystemTime::UNIX_EPOCH + NOW);
    Fixture {
        store,
        factory,
        service,
    }
}

fn ids(names: &[&str]) -> Vec<EnrollmentId> {
    names.iter().map(|n| EnrollmentId::new(*n)).collect()
}

fn apns_id(results: &PushResults, id: &str) -> String {
    match &results[&EnrollmentId::new(id)] {
        Ok(pushed) => pushed.apns_id.clone(),
        Err(e) => panic!("{id}: {e}"),
    }
}

#[tokio::test]
async fn unknown_ids_are_not_enrolled_and_disabled_ones_are_not_pushed() {
    let f = fixture().await;
    f.store.enroll("on", TOPIC_EC, 0x01, true);
    f.store.enroll("off", TOPIC_EC, 0x02, false);
    let results = f.service.push(&ids(&["on", "off", "gone"])).await.unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(apns_id(&results, "on"), "1:0101");
    assert!(matches!(
        results[&EnrollmentId::new("off")],
        Err(PushError::Disabled)
    ));
    let gone = results[&EnrollmentId::new("gone")].as_ref().unwrap_err();
    assert_eq!(gone.to_string(), "push data missing for id");
    let pushed = f.factory.made.lock().unwrap()[0]
        .pushed
        .lock()
        .unwrap()
        .clone();
    assert_eq!(pushed.len(), 1, "the disabled enrollment was pushed");
}

#[tokio::test]
async fn ids_are_grouped_by_topic_with_one_provider_per_topic() {
    let f = fixture().await;
    f.store.enroll("a1", TOPIC_EC, 0x11, true);
    f.store.enroll("b1", TOPIC_RSA, 0x21, true);
    f.store.enroll("a2", TOPIC_EC, 0x12, true);
    let results = f.service.push(&ids(&["a1", "b1", "a2"])).await.unwrap();
    let made = f.factory.made.lock().unwrap();
    assert_eq!(made.len(), 2);
    for provider in made.iter() {
        let pushed = provider.pushed.lock().unwrap();
        assert!(pushed.iter().all(|n| n.topic == provider.topic));
        let expected = if provider.topic == TOPIC_EC { 2 } else { 1 };
        assert_eq!(pushed.len(), expected, "{}", provider.topic);
    }
    assert!(apns_id(&results, "a1").ends_with(":1101"));
    assert!(apns_id(&results, "a2").ends_with(":1201"));
    assert!(apns_id(&results, "b1").ends_with(":2101"));
}

#[tokio::test]
async fn the_provider_is_reused_while_the_certificate_is_not_stale() {
    let f = fixture().await;
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    f.service.push(&ids(&["a"])).await.unwrap();
    let results = f.service.push(&ids(&["a"])).await.unwrap();
    assert_eq!(apns_id(&results, "a"), "1:0101");
    assert_eq!(f.factory.made.lock().unwrap().len(), 1);
    assert_eq!(f.store.cert_loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_certificate_replaced_by_another_replica_makes_a_new_provider() {
    let f = fixture().await;
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    assert_eq!(
        apns_id(&f.service.push(&ids(&["a"])).await.unwrap(), "a"),
        "1:0101"
    );
    // Another replica uploads the renewed certificate into the shared store.
    f.store.store_push_cert(&ec_push_cert()).await.unwrap();
    assert_eq!(
        apns_id(&f.service.push(&ids(&["a"])).await.unwrap(), "a"),
        "2:0101"
    );
    assert_eq!(
        apns_id(&f.service.push(&ids(&["a"])).await.unwrap(), "a"),
        "2:0101"
    );
    assert_eq!(f.factory.made.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_topic_without_a_certificate_fails_only_its_own_ids() {
    let f = fixture().await;
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    f.store
        .enroll("x", "com.apple.mgmt.External.unknown", 0x02, true);
    let results = f.service.push(&ids(&["a", "x"])).await.unwrap();
    assert_eq!(apns_id(&results, "a"), "1:0101");
    let err = results[&EnrollmentId::new("x")].as_ref().unwrap_err();
    assert!(
        matches!(err, PushError::NoPushCert(t) if t == "com.apple.mgmt.External.unknown"),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_certificate_is_not_handed_to_the_factory() {
    let f = fixture().await;
    f.store.enroll("a", TOPIC_RSA, 0x01, true);
    // The RSA certificate expires in 2096; the clock says 2100.
    let service = PushService::new(f.store.clone(), f.store.clone(), f.factory.clone())
        .with_clock(|| SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800));
    let results = service.push(&ids(&["a"])).await.unwrap();
    let err = results[&EnrollmentId::new("a")].as_ref().unwrap_err();
    let PushError::BadPushCert { topic, source } = err else {
        panic!("{err:?}")
    };
    assert_eq!(topic, TOPIC_RSA);
    assert_eq!(source.to_string(), "push certificate expired");
    assert!(f.factory.made.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_factory_failure_is_a_bad_certificate_for_each_id_of_the_topic() {
    let f = fixture().await;
    f.factory.refuse.store(true, Ordering::SeqCst);
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    f.store.enroll("b", TOPIC_EC, 0x02, true);
    let results = f.service.push(&ids(&["a", "b"])).await.unwrap();
    for id in ["a", "b"] {
        let err = results[&EnrollmentId::new(id)].as_ref().unwrap_err();
        assert!(matches!(err, PushError::BadPushCert { .. }), "{err:?}");
        let source = std::error::Error::source(err).unwrap();
        assert_eq!(source.to_string(), "no TLS for you");
    }
}

#[tokio::test]
async fn apns_refusals_are_reported_per_id_with_their_reason() {
    let f = fixture().await;
    f.store.enroll("good", TOPIC_EC, 0x01, true);
    f.store.enroll("bad", TOPIC_EC, BAD_TOKEN, true);
    let results = f.service.push(&ids(&["good", "bad"])).await.unwrap();
    assert_eq!(apns_id(&results, "good"), "1:0101");
    let err = results[&EnrollmentId::new("bad")].as_ref().unwrap_err();
    assert_eq!(err.apns_reason(), Some(&ApnsReason::BadDeviceToken));
}

#[tokio::test]
async fn a_provider_returning_too_few_results_loses_no_id() {
    let f = fixture().await;
    f.factory.drop_last_result.store(true, Ordering::SeqCst);
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    f.store.enroll("b", TOPIC_EC, 0x02, true);
    let results = f.service.push(&ids(&["a", "b"])).await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results.values().filter(|r| r.is_err()).count(), 1);
}

#[tokio::test]
async fn duplicate_ids_are_pushed_once() {
    let f = fixture().await;
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    let results = f.service.push(&ids(&["a", "a", "a"])).await.unwrap();
    assert_eq!(results.len(), 1);
    let pushed = f.factory.made.lock().unwrap()[0]
        .pushed
        .lock()
        .unwrap()
        .len();
    assert_eq!(pushed, 1);
}

#[tokio::test]
async fn pushes_expire_after_the_configured_time_by_the_clock() {
    let f = fixture().await;
    f.store.enroll("a", TOPIC_EC, 0x01, true);
    f.service.push(&ids(&["a"])).await.unwrap();
    let service =
        PushService::new(f.store.clone(), f.store.clone(), f.factory.clone()).with_expiration(None);
    service.push(&ids(&["a"])).await.unwrap();
    let made = f.factory.made.lock().unwrap();
    let first = made[0].pushed.lock().unwrap()[0].clone();
    assert_eq!(
        first.expiration,
        Some(SystemTime::UNIX_EPOCH + NOW + Duration::from_secs(7 * 86_400))
    );
    assert_eq!(first.push_magic, "magic-a");
    assert_eq!(made[1].pushed.lock().unwrap()[0].expiration, None);
}

#[tokio::test]
async fn a_push_info_failure_fails_the_whole_call() {
    let f = fixture().await;
    f.store.fail_push_info.store(true, Ordering::SeqCst);
    let err = f.service.push(&ids(&["a"])).await.unwrap_err();
    assert!(
        matches!(err, PushError::Store(StoreError::Backend(_))),
        "{err:?}"
    );
}
