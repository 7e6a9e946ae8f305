//! The `users` queries, each written once for MySQL and SQLite.

use std::time::SystemTime;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{
    BoolExpressionMethods, EscapeExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl,
    TextExpressionMethods,
};
use diesel_async::RunQueryDsl;
use time::PrimitiveDateTime;

use super::{GlobalRole, User, db_time};
use crate::api::{ListOptions, OrderDirection};
use crate::db::{Db, DbError, transaction, with_conn};
use crate::schema::{app_config_json as c, users as u};

/// Why a user query failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// Another user has this email.
    #[error("a user with this email already exists")]
    EmailTaken,
    /// No user has this id.
    #[error("user not found")]
    NotFound,
    /// The change would leave no global admin.
    #[error("the last global admin cannot be removed or demoted")]
    LastAdmin,
    /// Setup was already done (a user or the app config exists).
    #[error("setup has already been done")]
    SetupDone,
    /// A stored value cannot be read back.
    #[error("unreadable stored user: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<DieselError> for UserError {
    fn from(e: DieselError) -> Self {
        Self::Db(DbError::Query(e))
    }
}

/// Whether `e` is a unique-key violation.
fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A user to create. `password_hash` comes from
/// [`hash_password`](super::hash_password).
#[derive(Clone)]
pub struct NewUser {
    /// Full name.
    pub name: String,
    /// Email address (unique).
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// The global role.
    pub global_role: GlobalRole,
    /// An API-only user.
    pub api_only: bool,
}

// By hand: the hash stays out of Debug output.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("global_role", &self.global_role)
            .field("api_only", &self.api_only)
            .finish_non_exhaustive()
    }
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Default, Clone)]
pub struct UserChanges {
    /// New full name.
    pub name: Option<String>,
    /// New email address.
    pub email: Option<String>,
    /// New job title.
    pub position: Option<String>,
    /// New global role.
    pub global_role: Option<GlobalRole>,
    /// New password hash.
    pub password_hash: Option<String>,
}

/// The columns [`User`] is read from, in [`UserRow`] order.
type UserRow = (
    i64,
    PrimitiveDateTime,
    PrimitiveDateTime,
    String,
    String,
    bool,
    String,
    String,
    String,
    bool,
);

macro_rules! user_columns {
    () => {
        (
            u::id,
            u::created_at,
            u::updated_at,
            u::name,
            u::email,
            u::admin_forced_password_reset,
            u::gravatar_url,
            u::position,
            u::global_role,
            u::api_only,
        )
    };
}

/// The values of an insert of `$new` at `$at`.
macro_rules! insert_values {
    ($new:expr, $at:expr) => {
        (
            u::name.eq(&$new.name),
            u::email.eq(&$new.email),
            u::password.eq(&$new.password_hash),
            u::global_role.eq($new.global_role.as_str()),
            u::api_only.eq($new.api_only),
            u::created_at.eq($at),
            u::updated_at.eq($at),
        )
    };
}

/// A row as a [`User`]; a role this build does not know is corruption.
fn into_user(row: UserRow) -> Result<User, UserError> {
    let (id, created_at, updated_at, name, email, reset, gravatar_url, position, role, api_only) =
        row;
    let global_role = GlobalRole::parse(&role)
        .ok_or_else(|| UserError::Corrupt(format!("user {id} has unknown role {role:?}")))?;
    Ok(User {
        id,
        created_at,
        updated_at,
        name,
        email,
        admin_forced_password_reset: reset,
        gravatar_url,
        position,
        global_role,
        api_only,
    })
}

/// Order keys `GET /users` accepts.
pub const USER_ORDER_KEYS: &[&str] = &["id", "name", "email", "global_role", "created_at"];

impl Db {
    /// The user with `id`.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, UserError> {
        let row: Option<UserRow> = with_conn!(self, conn => {
            u::table.find(id).select(user_columns!()).first(conn).await.optional()?
        });
        row.map(into_user).transpose()
    }

    /// The user with `email` and their password hash, for login.
    pub(crate) async fn user_for_login(
        &self,
        email: &str,
    ) -> Result<Option<(User, String)>, UserError> {
        let row: Option<(UserRow, String)> = with_conn!(self, conn => {
            u::table
                .filter(u::email.eq(email))
                .select((user_columns!(), u::password))
                .first(conn)
                .await
                .optional()?
        });
        row.map(|(r, hash)| Ok((into_user(r)?, hash))).transpose()
    }

    /// How many users exist.
    pub async fn count_users(&self) -> Result<i64, UserError> {
        Ok(with_conn!(self, conn => u::table.count().get_result::<i64>(conn).await?))
    }

    /// Creates a user, refusing an email already taken.
    pub async fn create_user(&self, new: &NewUser, now: SystemTime) -> Result<User, UserError> {
        let at = db_time(now);
        let row: UserRow = transaction!(self, conn => {
            let inserted = diesel::insert_into(u::table)
                .values(insert_values!(new, at))
                .execute(conn)
                .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => return Err(UserError::EmailTaken),
                other => other?,
            };
            let row: UserRow = u::table
                .filter(u::email.eq(&new.email))
                .select(user_columns!())
                .first(conn)
                .await?;
            Ok::<_, UserError>(row)
        })?;
        into_user(row)
    }

    /// Fleet's setup: stores the app config (`config_json`) and creates the
    /// first user, all or nothing. Of concurrent setups exactly one wins;
    /// the others, and any later one, get [`UserError::SetupDone`].
    pub async fn setup_first_user(
        &self,
        new: &NewUser,
        config_json: &str,
        now: SystemTime,
    ) -> Result<User, UserError> {
        let at = db_time(now);
        let row: UserRow = transaction!(self, conn => {
            let users: i64 = u::table.count().get_result(conn).await?;
            if users > 0 {
                return Err(UserError::SetupDone);
            }
            // The single config row's primary key serialises racing setups
            // (on MySQL the loser waits on the key, then sees it taken).
            let config = diesel::insert_into(c::table)
                .values((c::id.eq(1), c::json_value.eq(config_json), c::created_at.eq(at), c::updated_at.eq(at)))
                .execute(conn)
                .await;
            match config {
                Err(e) if is_unique_violation(&e) => return Err(UserError::SetupDone),
                other => other?,
            };
            diesel::insert_into(u::table).values(insert_values!(new, at)).execute(conn).await?;
            let row: UserRow = u::table
                .filter(u::email.eq(&new.email))
                .select(user_columns!())
                .first(conn)
                .await?;
            Ok::<_, UserError>(row)
        })?;
        into_user(row)
    }

    /// The app config JSON stored at setup, if setup was done.
    pub async fn app_config_json(&self) -> Result<Option<String>, DbError> {
        Ok(with_conn!(self, conn => {
            c::table.find(1).select(c::json_value).first::<String>(conn).await.optional()?
        }))
    }

    /// Users in `options`' order and page; `query` matches name or email.
    pub async fn list_users(&self, options: &ListOptions) -> Result<Vec<User>, UserError> {
        let pattern = options.query.as_deref().map(like_pattern);
        let rows: Vec<UserRow> = with_conn!(self, conn => {
            let mut q = u::table.select(user_columns!()).into_boxed();
            if let Some(p) = &pattern {
                q = q.filter(u::name.like(p).escape('!').or(u::email.like(p).escape('!')));
            }
            let desc = options.order_direction == OrderDirection::Desc;
            q = match (options.order_key.as_deref(), desc) {
                (Some("name"), false) => q.order((u::name.asc(), u::id.asc())),
                (Some("name"), true) => q.order((u::name.desc(), u::id.desc())),
                (Some("email"), false) => q.order(u::email.asc()),
                (Some("email"), true) => q.order(u::email.desc()),
                (Some("global_role"), false) => q.order((u::global_role.asc(), u::id.asc())),
                (Some("global_role"), true) => q.order((u::global_role.desc(), u::id.desc())),
                (Some("created_at"), false) => q.order((u::created_at.asc(), u::id.asc())),
                (Some("created_at"), true) => q.order((u::created_at.desc(), u::id.desc())),
                (_, true) => q.order(u::id.desc()),
                (_, false) => q.order(u::id.asc()),
            };
            if let Some((limit, offset)) = options.limit_offset() {
                q = q.limit(limit).offset(offset);
            }
            q.load(conn).await?
        });
        rows.into_iter().map(into_user).collect()
    }

    /// Applies `changes` to user `id`, refusing to demote the last admin or
    /// to take another user's email.
    pub async fn update_user(
        &self,
        id: i64,
        changes: &UserChanges,
        now: SystemTime,
    ) -> Result<User, UserError> {
        let at = db_time(now);
        let row: UserRow = transaction!(self, conn => {
            let role: Option<String> = u::table.find(id).select(u::global_role).first(conn).await.optional()?;
            let role = role.ok_or(UserError::NotFound)?;
            let demoted = changes.global_role.is_some_and(|r| r != GlobalRole::Admin);
            if demoted && role == GlobalRole::Admin.as_str() {
                let admins: i64 = u::table.filter(u::global_role.eq(GlobalRole::Admin.as_str())).count().get_result(conn).await?;
                if admins <= 1 {
                    return Err(UserError::LastAdmin);
                }
            }
            let set = (
                changes.name.as_ref().map(|v| u::name.eq(v)),
                changes.email.as_ref().map(|v| u::email.eq(v)),
                changes.position.as_ref().map(|v| u::position.eq(v)),
                changes.global_role.map(|v| u::global_role.eq(v.as_str())),
                changes.password_hash.as_ref().map(|v| u::password.eq(v)),
                u::updated_at.eq(at),
            );
            let updated = diesel::update(u::table.find(id)).set(set).execute(conn).await;
            match updated {
                Err(e) if is_unique_violation(&e) => return Err(UserError::EmailTaken),
                other => other?,
            };
            let row: UserRow = u::table.find(id).select(user_columns!()).first(conn).await?;
            Ok::<_, UserError>(row)
        })?;
        into_user(row)
    }

    /// Deletes user `id` (their sessions go with them), refusing to delete
    /// the last admin. Returns the deleted user.
    pub async fn delete_user(&self, id: i64) -> Result<User, UserError> {
        let row: UserRow = transaction!(self, conn => {
            let row: Option<UserRow> = u::table.find(id).select(user_columns!()).first(conn).await.optional()?;
            let row = row.ok_or(UserError::NotFound)?;
            if row.8 == GlobalRole::Admin.as_str() {
                let admins: i64 = u::table.filter(u::global_role.eq(GlobalRole::Admin.as_str())).count().get_result(conn).await?;
                if admins <= 1 {
                    return Err(UserError::LastAdmin);
                }
            }
            diesel::delete(u::table.find(id)).execute(conn).await?;
            Ok::<_, UserError>(row)
        })?;
        into_user(row)
    }
}

/// A LIKE pattern matching `text` anywhere, with `%`, `_` and `!` escaped
/// by `!` (not backslash, which MySQL string literals would eat).
pub(crate) fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_match_wildcards_literally() {
        assert_eq!(like_pattern("ann"), "%ann%");
        assert_eq!(like_pattern("50%_off!"), "%50!%!_off!!%");
    }
}
