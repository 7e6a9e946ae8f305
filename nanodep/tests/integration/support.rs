//! A client wired to an in-process simulator.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use nanodep::store::{AuthTokensStore, Config, ConfigStore};
use nanodep::testing::depsim::DepSim;
use nanodep::{Client, MemoryStore, RetryPolicy, Sleeper};

pub(crate) const NAME: &str = "dep1";

pub(crate) fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// Records the waits asked for and returns at once.
#[derive(Debug, Default)]
pub(crate) struct RecordingSleeper(pub(crate) Mutex<Vec<Duration>>);

#[async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

pub(crate) struct Setup {
    pub(crate) sim: Arc<DepSim>,
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) client: Client,
    pub(crate) sleeper: Arc<RecordingSleeper>,
}

/// A simulator at a fixed time, a store holding its tokens and a client
/// with retries.
pub(crate) async fn setup() -> Setup {
    let sim = Arc::new(DepSim::new());
    sim.set_now(start());
    let store = Arc::new(MemoryStore::new());
    store.store_auth_tokens(NAME, &sim.tokens()).await.unwrap();
    let config = Config {
        base_url: Some("http://depsim.invalid/".into()),
        server_protocol_version: None,
    };
    store.store_config(NAME, &config).await.unwrap();
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::new(sim.clone(), store.clone())
        .with_retries(RetryPolicy::default(), sleeper.clone());
    Setup {
        sim,
        store,
        client,
        sleeper,
    }
}

pub(crate) fn device(serial: &str) -> nanodep::api::Device {
    nanodep::api::Device {
        serial_number: serial.into(),
        model: Some("MacBook Pro".into()),
        os: Some("OSX".into()),
        device_family: Some("Mac".into()),
        ..Default::default()
    }
}

impl Setup {
    pub(crate) fn session_calls(&self) -> usize {
        let requests = self.sim.requests();
        requests.iter().filter(|r| r.path == "/session").count()
    }
}
