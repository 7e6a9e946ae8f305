//! The syncer: fetch every device, then sync changes, with the cursor kept
//! in storage.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::api::CURSOR_LIFETIME;
use crate::api::{DeviceListResponse, ErrorCode, FetchDeviceRequest, SyncDeviceRequest};
use crate::client::Client;
use crate::error::{BoxError, Error};
use crate::store::{CursorStore, Stamped};

/// Which endpoint a page came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `POST /server/devices`: a full listing, devices without `op_type`.
    Fetch,
    /// `POST /devices/sync`: changes, each with `op_type`.
    Sync,
}

/// Receives every page of devices. Ported from Go `sync.DeviceResponseCallback`.
#[async_trait]
pub trait DeviceCallback: Send + Sync {
    /// Handles one page. An error stops the step without advancing the
    /// stored cursor, so the page comes again on the next step.
    async fn devices(
        &self,
        name: &str,
        phase: Phase,
        response: &DeviceListResponse,
    ) -> Result<(), BoxError>;
}

/// Why a step ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// Every change was delivered.
    UpToDate,
    /// Apple answered `more_to_follow` with the cursor it was sent (an
    /// Apple glitch): the step stops instead of looping; the cursor stays.
    RepeatedCursor,
    /// The step made [`Syncer::with_max_requests`] requests.
    RequestLimit,
}

/// What one [`Syncer::sync_once`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Pages delivered to the callback.
    pub pages: usize,
    /// Devices in those pages.
    pub devices: usize,
    /// Whether the step restarted a full fetch (cursor expired, invalid or
    /// older than Apple keeps cursors).
    pub restarted_fetch: bool,
    /// Why the step ended.
    pub stopped: StopReason,
}

/// The state of one step.
struct Step {
    cursor: String,
    fetching: bool,
    report: SyncReport,
}

/// Fetches and syncs the devices of one DEP name. Ported from Go
/// `sync.Syncer`, run one step per call. Unlike upstream it never stores a
/// cursor past a page the callback failed on (upstream loses those events),
/// restarts a full fetch at most once per step on an expired or invalid
/// cursor (and before Apple would call a stored cursor expired), and stops
/// when Apple repeats the cursor with `more_to_follow` (upstream spins).
#[derive(Debug)]
pub struct Syncer {
    client: Arc<Client>,
    store: Arc<dyn CursorStore>,
    name: String,
    limit: Option<u32>,
    max_requests: usize,
    /// Whether this syncer finished a fetch, so steps start with sync.
    /// After a restart the first step fetches with the stored cursor,
    /// which Apple answers `EXHAUSTED_CURSOR`, as upstream.
    fetched: AtomicBool,
}

impl Syncer {
    /// A syncer for DEP name `name`.
    pub fn new(client: Arc<Client>, store: Arc<dyn CursorStore>, name: impl Into<String>) -> Self {
        Self {
            client,
            store,
            name: name.into(),
            limit: None,
            max_requests: 10_000,
            fetched: AtomicBool::new(false),
        }
    }

    /// Asks Apple for pages of `limit` devices (Apple's default otherwise).
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Ends a step after `max` requests (default 10 000).
    pub fn with_max_requests(mut self, max: usize) -> Self {
        self.max_requests = max.max(1);
        self
    }

    /// One step: fetch (first time) or sync, page by page, until Apple has
    /// nothing more, handing every page to `callback` and storing the
    /// cursor after each page the callback accepted.
    ///
    /// Errors other than unusable cursors end the step with the stored
    /// cursor at the last accepted page; call again later.
    pub async fn sync_once(
        &self,
        callback: &dyn DeviceCallback,
        now: SystemTime,
    ) -> Result<SyncReport, Error> {
        let stored = self.store.retrieve_cursor(&self.name).await?;
        let mut step = self.start(stored, now);
        for _ in 0..self.max_requests {
            let phase = if step.fetching {
                Phase::Fetch
            } else {
                Phase::Sync
            };
            let Some(response) = self.next_page(&mut step, phase).await? else {
                continue;
            };
            callback
                .devices(&self.name, phase, &response)
                .await
                .map_err(Error::Callback)?;
            if let Some(stopped) = self.accept(&mut step, &response, now).await? {
                step.report.stopped = stopped;
                return Ok(step.report);
            }
        }
        Ok(step.report)
    }

    /// Where a step starts: the stored cursor, or a full fetch when there
    /// is none or it is older than Apple keeps cursors.
    fn start(&self, stored: Option<Stamped>, now: SystemTime) -> Step {
        let fetched = self.fetched.load(Ordering::Acquire);
        let (cursor, fetching, restarted) = match stored {
            Some(c) if c.modified + CURSOR_LIFETIME <= now => {
                // Until this fetch completes, later steps must go on fetching.
                self.fetched.store(false, Ordering::Release);
                (String::new(), true, true)
            }
            Some(c) => (c.value, !fetched, false),
            None => (String::new(), true, false),
        };
        Step {
            cursor,
            fetching,
            report: SyncReport {
                pages: 0,
                devices: 0,
                restarted_fetch: restarted,
                stopped: StopReason::RequestLimit,
            },
        }
    }

    /// The next page, or `None` when the step switched phase instead.
    async fn next_page(
        &self,
        step: &mut Step,
        phase: Phase,
    ) -> Result<Option<DeviceListResponse>, Error> {
        match self.request(phase, &step.cursor).await {
            Ok(response) => Ok(Some(response)),
            Err(e) if step.fetching && e.is(&ErrorCode::ExhaustedCursor) => {
                self.fetched.store(true, Ordering::Release);
                step.fetching = false;
                Ok(None)
            }
            Err(e) if e.is_cursor_unusable() && !step.report.restarted_fetch => {
                // The empty cursor is not stored: if the callback fails, the
                // next step meets the old cursor and restarts again.
                step.report.restarted_fetch = true;
                self.fetched.store(false, Ordering::Release);
                step.fetching = true;
                step.cursor.clear();
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Records a page the callback accepted and stores its cursor; returns
    /// why the step ends, or `None` to go on.
    async fn accept(
        &self,
        step: &mut Step,
        response: &DeviceListResponse,
        now: SystemTime,
    ) -> Result<Option<StopReason>, Error> {
        step.report.pages += 1;
        step.report.devices += response.devices.len();
        let repeated = response.cursor == step.cursor;
        if !response.cursor.is_empty() && !repeated {
            self.store
                .store_cursor(&self.name, &response.cursor, now)
                .await?;
            step.cursor.clone_from(&response.cursor);
        }
        if response.more_to_follow {
            return Ok(repeated.then_some(StopReason::RepeatedCursor));
        }
        if step.fetching {
            // After the last fetch page, one sync pass (as upstream).
            self.fetched.store(true, Ordering::Release);
            step.fetching = false;
            return Ok(None);
        }
        Ok(Some(StopReason::UpToDate))
    }

    async fn request(&self, phase: Phase, cursor: &str) -> Result<DeviceListResponse, Error> {
        match phase {
            Phase::Fetch => {
                let request = FetchDeviceRequest {
                    cursor: (!cursor.is_empty()).then(|| cursor.to_owned()),
                    limit: self.limit,
                };
                self.client.fetch_devices(&self.name, &request).await
            }
            Phase::Sync => {
                let request = SyncDeviceRequest {
                    cursor: cursor.to_owned(),
                    limit: self.limit,
                };
                self.client.sync_devices(&self.name, &request).await
            }
        }
    }
}
