//! `/metrics` in Prometheus' text exposition format (version 0.0.4):
//! HTTP requests by route and status, MDM check-ins by message type and
//! command reports by status (counted by a nanomdm [`Hook`]), and, read
//! from the database at scrape time so that every replica reports the same
//! fleet-wide values, queue depth and enrolled devices.
//!
//! Counters are per process, as Prometheus expects: sum them over replicas.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use nanomdm::protocol::checkin::Checkin;
use nanomdm::protocol::command::Report;
use nanomdm::service::{Hook, Request};
use nanomdm::store::{BoxError, QueuedCommand};

use crate::db::{Db, DbError, with_conn};
use crate::schema::{nano_enrollment_queue as q, nano_enrollments as e};

/// Counters of one process, cheap to share.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    gauges: Mutex<BTreeMap<(&'static str, String), i64>>,
}

/// Help text and type of each metric family, in output order.
const FAMILIES: &[(&str, &str, &str)] = &[
    (
        "fleet_http_requests_total",
        "counter",
        "HTTP requests answered, by route and status code.",
    ),
    (
        "fleet_mdm_checkins_total",
        "counter",
        "MDM check-in messages handled, by message type.",
    ),
    (
        "fleet_mdm_command_reports_total",
        "counter",
        "MDM command reports handled, by status.",
    ),
    (
        "fleet_mdm_command_queue_depth",
        "gauge",
        "Commands queued for enrollments and not yet completed.",
    ),
    (
        "fleet_mdm_enrolled_devices",
        "gauge",
        "Device enrollments that are enabled (TokenUpdate received).",
    ),
    (
        "fleet_job_leader",
        "gauge",
        "1 while this replica holds the lock of the periodic job, else 0.",
    ),
];

impl Metrics {
    /// A registry with nothing counted yet.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Counts one HTTP request.
    pub fn http_request(&self, route: &'static str, status: u16) {
        self.add(
            "fleet_http_requests_total",
            format!("route=\"{route}\",status=\"{status}\""),
        );
    }

    /// Sets whether this replica leads `job`.
    pub fn job_leader(&self, job: &str, leader: bool) {
        self.gauges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(("fleet_job_leader", label("job", job)), i64::from(leader));
    }

    fn add(&self, family: &'static str, labels: String) {
        *self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((family, labels))
            .or_default() += 1;
    }

    /// The exposition text: this process's counters plus the database
    /// gauges read from `db` now.
    pub async fn render(&self, db: &Db) -> Result<String, DbError> {
        let (queued, enrolled) = database_gauges(db).await?;
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut gauges = self
            .gauges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        gauges.insert(("fleet_mdm_command_queue_depth", String::new()), queued);
        gauges.insert(("fleet_mdm_enrolled_devices", String::new()), enrolled);
        let mut out = String::new();
        for (family, kind, help) in FAMILIES {
            let _ = writeln!(out, "# HELP {family} {help}\n# TYPE {family} {kind}");
            let samples = counters
                .iter()
                .map(|(k, v)| (k, i128::from(*v)))
                .chain(gauges.iter().map(|(k, v)| (k, i128::from(*v))));
            for ((name, labels), value) in samples.filter(|((name, _), _)| name == family) {
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        }
        Ok(out)
    }
}

/// `name="value"` with the value escaped as the format requires.
fn label(name: &str, value: &str) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("{name}=\"{escaped}\"")
}

/// Queue depth (active queue rows) and enabled device enrollments.
async fn database_gauges(db: &Db) -> Result<(i64, i64), DbError> {
    Ok(with_conn!(db, conn => {
        let queued: i64 = q::table
            .filter(q::active.eq(true))
            .count()
            .get_result(conn)
            .await?;
        let enrolled: i64 = e::table
            .filter(e::enabled.eq(true))
            .filter(e::type_.eq("Device"))
            .count()
            .get_result(conn)
            .await?;
        (queued, enrolled)
    }))
}

/// Counts check-ins and command reports; add it to nanomdm's [`Hooked`]
/// service.
///
/// [`Hooked`]: nanomdm::service::Hooked
#[derive(Debug, Clone)]
pub struct MetricsHook(pub Arc<Metrics>);

#[async_trait]
impl Hook for MetricsHook {
    async fn checkin(&self, _request: &Request, checkin: &Checkin) -> Result<(), BoxError> {
        self.0.add(
            "fleet_mdm_checkins_total",
            label("message_type", checkin.message.message_type()),
        );
        Ok(())
    }

    async fn report(
        &self,
        _request: &Request,
        report: &Report,
        _next: Option<&QueuedCommand>,
    ) -> Result<(), BoxError> {
        self.0.add(
            "fleet_mdm_command_reports_total",
            label("status", report.status.as_str()),
        );
        Ok(())
    }
}
