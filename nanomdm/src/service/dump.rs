//! dump: writing every request body (and the bodies served back) to a
//! writer, for debugging.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{Reply, Request, Service, ServiceError};
use crate::protocol::checkin::Checkin;
use crate::protocol::command::Report;
use crate::store::QueuedCommand;

/// The dump decorator. Port of Go `service/dump`, minus its inverted
/// condition (nanomdm dumps command and DDM responses only when the call
/// failed): here every successful response body is written too.
#[derive(Clone)]
pub struct Dump<S> {
    next: S,
    writer: Arc<Mutex<dyn Write + Send>>,
}

impl<S> fmt::Debug for Dump<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dump").finish_non_exhaustive()
    }
}

impl<S: Service> Dump<S> {
    /// Wraps `next`, writing to `writer` (e.g. standard output).
    pub fn new(next: S, writer: Arc<Mutex<dyn Write + Send>>) -> Self {
        Self { next, writer }
    }

    /// Writes `body` and a newline; a failing writer only loses the dump.
    fn write(&self, body: &[u8]) {
        if let Ok(mut writer) = self.writer.lock() {
            let _ = writer.write_all(body);
            let _ = writer.write_all(b"\n");
            let _ = writer.flush();
        }
    }
}

#[async_trait]
impl<S: Service> Service for Dump<S> {
    async fn checkin(&self, request: &Request, checkin: &Checkin) -> Result<Reply, ServiceError> {
        self.write(&checkin.raw);
        let reply = self.next.checkin(request, checkin).await?;
        match &reply {
            Reply::Empty => {}
            Reply::Plist(body) | Reply::Json(body) => self.write(body),
        }
        Ok(reply)
    }

    async fn report(
        &self,
        request: &Request,
        report: &Report,
    ) -> Result<Option<QueuedCommand>, ServiceError> {
        self.write(&report.raw);
        let next = self.next.report(request, report).await?;
        if let Some(command) = &next {
            self.write(&command.raw);
        }
        Ok(next)
    }
}
