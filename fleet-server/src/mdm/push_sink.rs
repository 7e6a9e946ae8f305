//! The dev-mode APNs sink: a push provider that delivers nothing and
//! records every notification, so `serve --dev` runs the whole push path
//! (push info lookup, topic grouping, notification building) without
//! Apple.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use nanomdm::push::{
    Notification, PushCertificate, PushError, PushProvider, PushProviderFactory, Pushed,
};
use nanomdm::store::BoxError;

/// How many notifications the sink remembers (the oldest go first).
const CAPACITY: usize = 10_000;

/// Records pushes instead of sending them; see the module documentation.
#[derive(Debug, Default)]
pub struct PushSink {
    recorded: Mutex<VecDeque<Notification>>,
    sent: Mutex<u64>,
}

impl PushSink {
    /// An empty sink.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The notifications recorded, oldest first (at most the last 10 000).
    pub fn recorded(&self) -> Vec<Notification> {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// The factory hands out the sink itself for every topic.
#[derive(Debug, Clone)]
pub struct PushSinkFactory(pub Arc<PushSink>);

impl PushProviderFactory for PushSinkFactory {
    fn new_push_provider(
        &self,
        _certificate: &PushCertificate,
    ) -> Result<Arc<dyn PushProvider>, BoxError> {
        Ok(self.0.clone())
    }
}

#[async_trait]
impl PushProvider for PushSink {
    async fn push(&self, notifications: &[Notification]) -> Vec<Result<Pushed, PushError>> {
        let mut recorded = self.recorded.lock().unwrap_or_else(PoisonError::into_inner);
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        notifications
            .iter()
            .map(|notification| {
                *sent += 1;
                tracing::info!(
                    token = %notification.token_hex(),
                    topic = %notification.topic,
                    "dev APNs sink: push recorded, not sent"
                );
                if recorded.len() == CAPACITY {
                    recorded.pop_front();
                }
                recorded.push_back(notification.clone());
                Ok(Pushed {
                    apns_id: format!("dev-sink-{sent}"),
                })
            })
            .collect()
    }
}
