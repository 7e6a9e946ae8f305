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
    log: Mutex<Log>,
}

/// The recent notifications and how many were pushed in all.
#[derive(Debug, Default)]
struct Log {
    recent: VecDeque<Notification>,
    sent: u64,
}

impl PushSink {
    /// An empty sink.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The notifications recorded, oldest first (at most the last 10 000).
    pub fn recorded(&self) -> Vec<Notification> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recent
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
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        notifications
            .iter()
            .map(|notification| {
                log.sent += 1;
                tracing::info!(
                    token = %notification.token_hex(),
                    topic = %notification.topic,
                    "dev APNs sink: push recorded, not sent"
                );
                if log.recent.len() == CAPACITY {
                    log.recent.pop_front();
                }
                log.recent.push_back(notification.clone());
                Ok(Pushed {
                    apns_id: format!("dev-sink-{}", log.sent),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(token: u8) -> Notification {
        Notification {
            token: vec![token],
            push_magic: "magic".into(),
            topic: "com.apple.mgmt.External.test".into(),
            expiration: None,
        }
    }

    #[tokio::test]
    async fn the_sink_records_every_push_in_order_with_distinct_ids() {
        let sink = PushSink::new();
        let first = sink.push(&[notification(1), notification(2)]).await;
        let second = sink.push(&[notification(3)]).await;
        let ids: Vec<String> = first
            .into_iter()
            .chain(second)
            .map(|r| r.unwrap().apns_id)
            .collect();
        assert_eq!(ids, ["dev-sink-1", "dev-sink-2", "dev-sink-3"]);
        let tokens: Vec<Vec<u8>> = sink.recorded().into_iter().map(|n| n.token).collect();
        assert_eq!(tokens, [vec![1], vec![2], vec![3]]);
    }
}
