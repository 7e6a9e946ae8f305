//! Hooks: the embedding application's side effects on each check-in and
//! command report.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;

use super::{Reply, Request, Service, ServiceError};
use crate::protocol::checkin::Checkin;
use crate::protocol::command::Report;
use crate::store::{BoxError, QueuedCommand};

/// A side effect run after the core service handled a request: updating an
/// inventory on Authenticate, queueing bootstrap commands on the first
/// TokenUpdate, recording results. Takes the role of nanomdm's `multi`
/// service with its secondary services (e.g. the webhook).
///
/// Both methods default to doing nothing, so a hook implements only what
/// it needs.
#[async_trait]
pub trait Hook: Send + Sync + Debug {
    /// Called after a check-in was handled successfully.
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<(), BoxError> {
        let _ = (request, checkin);
        Ok(())
    }

    /// Called after a command report was handled successfully; `next` is
    /// the command about to be sent to the device, if any.
    async fn report(
        &self,
        request: &Request,
        report: &Report,
        next: Option<&QueuedCommand>,
    ) -> Result<(), BoxError> {
        let _ = (request, report, next);
        Ok(())
    }
}

/// Runs hooks after the inner service succeeded. Port of Go
/// `service/multi`, minus its detached goroutines: hooks run in order and
/// are awaited, so the device's response waits for them, and a replica
/// never returns before its side effects are done.
///
/// A hook's error is logged and does not change the device's response: the
/// inner service has already stored the message, and failing the request
/// would make the device retry a message that was handled (a second
/// TokenUpdate, say, which counts as one more).
#[derive(Debug, Clone)]
pub struct Hooked<S> {
    next: S,
    hooks: Vec<Arc<dyn Hook>>,
}

impl<S: Service> Hooked<S> {
    /// Wraps `next`, with no hooks yet.
    pub fn new(next: S) -> Self {
        Self {
            next,
            hooks: Vec::new(),
        }
    }

    /// Adds a hook; hooks run in the order added.
    #[must_use]
    pub fn with_hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.hooks.push(hook);
        self
    }
}

#[async_trait]
impl<S: Service> Service for Hooked<S> {
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<Reply, ServiceError> {
        let reply = self.next.checkin(request, checkin).await?;
        for hook in &self.hooks {
            if let Err(e) = hook.checkin(request, checkin).await {
                tracing::error!(
                    enrollment = %checkin.channel.id,
                    message_type = checkin.message.message_type(),
                    ?hook,
                    "check-in hook failed: {e}"
                );
            }
        }
        Ok(reply)
    }

    async fn report(
        &self,
        request: &Request,
        report: &Report,
    ) -> Result<Option<QueuedCommand>, ServiceError> {
        let next = self.next.report(request, report).await?;
        for hook in &self.hooks {
            if let Err(e) = hook.report(request, report, next.as_ref()).await {
                tracing::error!(
                    enrollment = %report.channel.id,
                    status = %report.status,
                    ?hook,
                    "command report hook failed: {e}"
                );
            }
        }
        Ok(next)
    }
}
