//! Fleet's audit log (`activities`): who did what, when. Entries copy the
//! actor's name and email so they outlive the user.

use std::time::SystemTime;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use time::PrimitiveDateTime;

use crate::api::{ListOptions, OrderDirection};
use crate::db::{Db, DbError, with_conn};
use crate::schema::activities as a;
use crate::users::{User, db_time};

/// Fleet's activity type names for what the API records.
pub mod activity_type {
    /// A user logged in (details: none).
    pub const USER_LOGGED_IN: &str = "user_logged_in";
    /// A login failed (details: `email`, `public_ip`).
    pub const USER_FAILED_LOGIN: &str = "user_failed_login";
    /// A user was created (details: `user_id`, `user_name`, `user_email`).
    pub const CREATED_USER: &str = "created_user";
    /// A user's global role changed (details: `user_id`, `user_name`,
    /// `user_email`, `role`).
    pub const CHANGED_USER_GLOBAL_ROLE: &str = "changed_user_global_role";
    /// A user was deleted (details: `user_id`, `user_name`, `user_email`).
    pub const DELETED_USER: &str = "deleted_user";
}

/// One audit-log entry, as `GET /api/v1/fleet/activities` shows it
/// (Fleet's field names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// The entry's id.
    pub id: i64,
    /// When it happened (UTC).
    #[serde(with = "crate::users::rfc3339")]
    pub created_at: PrimitiveDateTime,
    /// The actor's id (`None` when deleted, or no user acted).
    pub actor_id: Option<i64>,
    /// The actor's name at the time.
    pub actor_full_name: Option<String>,
    /// The actor's email at the time.
    pub actor_email: Option<String>,
    /// The activity type, e.g. `created_user`.
    #[serde(rename = "type")]
    pub activity_type: String,
    /// Type-specific details (JSON).
    pub details: serde_json::Value,
}

/// Order keys `GET /activities` accepts.
pub const ACTIVITY_ORDER_KEYS: &[&str] = &["id", "created_at"];

type ActivityRow = (
    i64,
    PrimitiveDateTime,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// Records an activity by `actor` (or by nobody: a failed login, a
/// device) with `details` (a JSON object). For every module that changes
/// something an admin should be able to audit, e.g. enrollments.
pub async fn record_activity(
    db: &Db,
    actor: Option<&User>,
    activity_type: &str,
    details: &serde_json::Value,
    now: SystemTime,
) -> Result<(), DbError> {
    let details = details.to_string();
    let at = db_time(now);
    with_conn!(db, conn => {
        diesel::insert_into(a::table)
            .values((
                a::created_at.eq(at),
                a::user_id.eq(actor.map(|u| u.id)),
                a::user_name.eq(actor.map(|u| u.name.as_str())),
                a::user_email.eq(actor.map(|u| u.email.as_str())),
                a::activity_type.eq(activity_type),
                a::details.eq(&details),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

impl Db {
    /// Activities in `options`' order (newest first by default) and page.
    pub async fn list_activities(&self, options: &ListOptions) -> Result<Vec<Activity>, DbError> {
        let rows: Vec<ActivityRow> = with_conn!(self, conn => {
            let mut q = a::table
                .select((a::id, a::created_at, a::user_id, a::user_name, a::user_email, a::activity_type, a::details))
                .into_boxed();
            // Without an order key Fleet lists the newest first.
            let asc = options.order_key.is_some() && options.order_direction == OrderDirection::Asc;
            q = match (options.order_key.as_deref(), asc) {
                (Some("created_at"), true) => q.order((a::created_at.asc(), a::id.asc())),
                (Some("created_at"), false) => q.order((a::created_at.desc(), a::id.desc())),
                (_, true) => q.order(a::id.asc()),
                (_, false) => q.order(a::id.desc()),
            };
            if let Some((limit, offset)) = options.limit_offset() {
                q = q.limit(limit).offset(offset);
            }
            q.load(conn).await?
        });
        Ok(rows.into_iter().map(into_activity).collect())
    }
}

/// A row as an [`Activity`]; details that are not JSON are shown as text.
fn into_activity(row: ActivityRow) -> Activity {
    let (id, created_at, actor_id, actor_full_name, actor_email, activity_type, details) = row;
    let details = serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details));
    Activity {
        id,
        created_at,
        actor_id,
        actor_full_name,
        actor_email,
        activity_type,
        details,
    }
}
