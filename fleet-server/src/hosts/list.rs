//! Listing hosts: Fleet's filters, order keys and pages.

use diesel::{
    BoolExpressionMethods, EscapeExpressionMethods, ExpressionMethods, QueryDsl, SelectableHelper,
    TextExpressionMethods,
};
use diesel_async::RunQueryDsl;

use super::{Host, Hosts, MdmEnrollmentStatus};
use crate::datastore::DatastoreError;
use crate::db::with_conn;
use crate::schema::hosts as h;

/// A column hosts can be ordered by (the API's `order_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostOrderKey {
    /// `id` (the default).
    #[default]
    Id,
    /// `hostname` (Fleet's `display_name` is accepted as its alias).
    Hostname,
    /// `hardware_serial`.
    HardwareSerial,
    /// `hardware_model`.
    HardwareModel,
    /// `uuid`.
    Uuid,
    /// `platform`.
    Platform,
    /// `os_version`.
    OsVersion,
    /// `last_seen` (Fleet's `seen_time` is accepted as its alias).
    LastSeen,
    /// `created_at`.
    CreatedAt,
}

impl HostOrderKey {
    /// The order keys the API accepts.
    pub const NAMES: &'static [&'static str] = &[
        "id",
        "hostname",
        "display_name",
        "hardware_serial",
        "hardware_model",
        "uuid",
        "platform",
        "os_version",
        "last_seen",
        "seen_time",
        "created_at",
    ];

    /// The key named `name`, or `None` for a name not allowed.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "hostname" | "display_name" => Self::Hostname,
            "hardware_serial" => Self::HardwareSerial,
            "hardware_model" => Self::HardwareModel,
            "uuid" => Self::Uuid,
            "platform" => Self::Platform,
            "os_version" => Self::OsVersion,
            "last_seen" | "seen_time" => Self::LastSeen,
            "created_at" => Self::CreatedAt,
            _ => return None,
        })
    }
}

/// Which hosts to list, in what order, which page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostListOptions {
    /// Only hosts in one of these statuses (`None`: any).
    pub statuses: Option<Vec<MdmEnrollmentStatus>>,
    /// Only hosts whose hostname, serial or UUID contains this text.
    pub query: Option<String>,
    /// The order (ties broken by id).
    pub order_key: HostOrderKey,
    /// Descending instead of ascending.
    pub descending: bool,
    /// At most this many hosts (`None`: all).
    pub limit: Option<i64>,
    /// Skip this many first.
    pub offset: i64,
}

/// The LIKE escape character.
const ESCAPE: char = '!';

/// `text` as a LIKE pattern matching it anywhere, with `!` escaping the
/// wildcards it contains (not `\\`, which MySQL string literals treat as
/// an escape themselves).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Orders a boxed query by `$column` in `$descending` direction.
macro_rules! order_by {
    ($query:ident, $column:expr, $descending:expr) => {
        if $descending {
            $query.order($column.desc())
        } else {
            $query.order($column.asc())
        }
    };
}

impl Hosts {
    /// The hosts `options` select, in its order.
    pub async fn list(&self, options: &HostListOptions) -> Result<Vec<Host>, DatastoreError> {
        let pattern = options.query.as_deref().map(contains_pattern);
        let statuses: Option<Vec<&str>> = options
            .statuses
            .as_ref()
            .map(|s| s.iter().map(|s| s.as_str()).collect());
        let desc = options.descending;
        let hosts: Vec<Host> = with_conn!(self.db, conn => {
            let mut query = h::table.select(Host::as_select()).into_boxed();
            if let Some(statuses) = &statuses {
                query = query.filter(h::mdm_enrollment_status.eq_any(statuses.clone()));
            }
            if let Some(pattern) = &pattern {
                query = query.filter(
                    h::hostname
                        .like(pattern.clone())
                        .escape(ESCAPE)
                        .or(h::hardware_serial.like(pattern.clone()).escape(ESCAPE))
                        .or(h::uuid.like(pattern.clone()).escape(ESCAPE)),
                );
            }
            query = match options.order_key {
                HostOrderKey::Id => order_by!(query, h::id, desc),
                HostOrderKey::Hostname => order_by!(query, h::hostname, desc),
                HostOrderKey::HardwareSerial => order_by!(query, h::hardware_serial, desc),
                HostOrderKey::HardwareModel => order_by!(query, h::hardware_model, desc),
                HostOrderKey::Uuid => order_by!(query, h::uuid, desc),
                HostOrderKey::Platform => order_by!(query, h::platform, desc),
                HostOrderKey::OsVersion => order_by!(query, h::os_version, desc),
                HostOrderKey::LastSeen => order_by!(query, h::last_seen_at, desc),
                HostOrderKey::CreatedAt => order_by!(query, h::created_at, desc),
            };
            query = query.then_order_by(h::id.asc());
            if let Some(limit) = options.limit {
                query = query.limit(limit).offset(options.offset);
            } else if options.offset > 0 {
                // Both backends need a LIMIT before an OFFSET.
                query = query.limit(i64::MAX).offset(options.offset);
            }
            query.load(conn).await?
        });
        Ok(hosts)
    }
}
