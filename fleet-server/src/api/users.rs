//! Users: `GET/POST /api/v1/fleet/users`, `POST /api/v1/fleet/users/admin`,
//! `GET/PATCH/DELETE /api/v1/fleet/users/{id}`. Only global admins manage
//! users; any user may read and edit their own name, position and password.

use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::{
    ApiError, ApiRequest, ApiResult, Authenticated, FieldError, FleetApi, ListOptions, Route,
    handler, json_ok, require_global_admin,
};
use crate::activities::{activity_type, record_activity};
use crate::users::{
    GlobalRole, NewUser, PasswordError, USER_ORDER_KEYS, User, UserChanges, UserError,
    check_password_rules, hash_password, verify_password,
};

/// This module's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/v1/fleet/users", handler!(list)),
        Route::new(Method::POST, "/api/v1/fleet/users", handler!(create)),
        Route::new(Method::POST, "/api/v1/fleet/users/admin", handler!(create)),
        Route::new(Method::GET, "/api/v1/fleet/users/{id}", handler!(get)),
        Route::new(Method::PATCH, "/api/v1/fleet/users/{id}", handler!(modify)),
        Route::new(Method::DELETE, "/api/v1/fleet/users/{id}", handler!(delete)),
    ]
}

/// A user error as the API answers it.
pub(super) fn user_error(e: UserError, id: Option<i64>) -> ApiError {
    match e {
        UserError::EmailTaken => {
            ApiError::validation("email", "a user with this email already exists")
        }
        UserError::NotFound => ApiError::not_found(format_args!("User {}", id.unwrap_or_default())),
        UserError::LastAdmin => {
            ApiError::conflict("the last global admin cannot be removed or demoted")
        }
        UserError::SetupDone => ApiError::conflict("setup has already been done"),
        other => ApiError::internal(&other),
    }
}

/// An email as stored and looked up: trimmed, lowercase.
pub(super) fn normalise_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Checks an email has the shape `local@domain`.
pub(super) fn check_email(email: &str, errors: &mut Vec<FieldError>) {
    let ok = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && email.len() <= 255
        && !email.chars().any(char::is_whitespace);
    if !ok {
        errors.push(field("email", "must be a valid email address"));
    }
}

/// Checks Fleet's password rules on `password`, reported as `name`.
pub(super) fn check_password(name: &str, password: &str, errors: &mut Vec<FieldError>) {
    if let Err(e) = check_password_rules(password) {
        errors.push(field(name, e.to_string()));
    }
}

/// Checks a name is present and not too long.
pub(super) fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() {
        errors.push(field("name", "cannot be empty"));
    } else if name.len() > 255 {
        errors.push(field("name", "is longer than 255 characters"));
    }
}

/// The name, normalised email and password of a new user (setup, user
/// creation), each checked, problems added to `errors`.
pub(super) fn new_user_fields(
    name: Option<String>,
    email: Option<&str>,
    password: Option<String>,
    errors: &mut Vec<FieldError>,
) -> (String, String, String) {
    let name = name.unwrap_or_default();
    check_name(&name, errors);
    let email = normalise_email(email.unwrap_or_default());
    check_email(&email, errors);
    let password = password.unwrap_or_default();
    check_password("password", &password, errors);
    (name, email, password)
}

pub(super) fn field(name: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        name: name.to_owned(),
        reason: reason.into(),
    }
}

/// Hashes a password that passed the rules, on a blocking thread (Argon2
/// takes tens of milliseconds of CPU by design).
pub(super) async fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e: PasswordError| ApiError::internal(&e))
}

/// Whether `password` matches the stored `hash`, checked on a blocking
/// thread.
pub(super) async fn verify(password: &str, hash: &str) -> Result<bool, ApiError> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// A role by name, or a validation error listing Fleet's roles.
fn parse_role(name: &str, errors: &mut Vec<FieldError>) -> Option<GlobalRole> {
    let role = GlobalRole::parse(name);
    if role.is_none() {
        let roles: Vec<&str> = GlobalRole::ALL.iter().map(|r| r.as_str()).collect();
        errors.push(field(
            "global_role",
            format!("must be one of {}", roles.join(", ")),
        ));
    }
    role
}

/// `POST /users` and `/users/admin`'s body. Not `Debug`: it holds a password.
#[derive(Deserialize)]
struct CreateBody {
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    global_role: Option<String>,
    #[serde(default)]
    api_only: bool,
}

/// `GET /users`: `{"users": [...]}`, admins only.
async fn list(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    require_global_admin(&auth.user)?;
    let options = ListOptions::from_request(&req, USER_ORDER_KEYS)?;
    let users = api
        .db()
        .list_users(&options)
        .await
        .map_err(|e| user_error(e, None))?;
    json_ok(&json!({ "users": users }))
}

/// `POST /users`: creates a user (admins only); role defaults to
/// `observer` (Fleet's default for API-only users). `{"user": …}`.
async fn create(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    require_global_admin(&auth.user)?;
    let body: CreateBody = req.json()?;
    let mut errors = Vec::new();
    let (name, email, password) =
        new_user_fields(body.name, body.email.as_deref(), body.password, &mut errors);
    let role = match body.global_role.as_deref() {
        None => Some(GlobalRole::Observer),
        Some(r) => parse_role(r, &mut errors),
    };
    if let Some(e) = ApiError::validations(errors) {
        return Err(e);
    }
    let new = NewUser {
        name: name.trim().to_owned(),
        email,
        password_hash: hash(&password).await?,
        global_role: role.unwrap_or(GlobalRole::Observer),
        api_only: body.api_only,
    };
    let now = api.now();
    let user = api
        .db()
        .create_user(&new, now)
        .await
        .map_err(|e| user_error(e, None))?;
    let details = user_details(&user);
    record_activity(
        api.db(),
        Some(&auth.user),
        activity_type::CREATED_USER,
        &details,
        now,
    )
    .await?;
    json_ok(&json!({ "user": user }))
}

/// The details of user activities: who was acted on.
fn user_details(user: &User) -> serde_json::Value {
    json!({"user_id": user.id, "user_name": user.name, "user_email": user.email})
}

/// The user `id` if the caller may see them: admins see everyone (404 for
/// nobody), others only themselves (403 otherwise, saying nothing about
/// whether the user exists).
async fn visible_user(api: &FleetApi, auth: &Authenticated, id: i64) -> Result<User, ApiError> {
    if auth.user.id == id {
        return Ok(auth.user.clone());
    }
    require_global_admin(&auth.user)?;
    api.db()
        .user_by_id(id)
        .await
        .map_err(|e| user_error(e, Some(id)))?
        .ok_or_else(|| ApiError::not_found(format_args!("User {id}")))
}

/// `GET /users/{id}`: `{"user": …}`.
async fn get(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    let id = req.id_param("id", "User")?;
    let user = visible_user(api, &auth, id).await?;
    json_ok(&json!({ "user": user }))
}

/// `PATCH /users/{id}`'s body. Not `Debug`: it holds passwords.
#[derive(Deserialize)]
struct ModifyBody {
    name: Option<String>,
    email: Option<String>,
    position: Option<String>,
    global_role: Option<String>,
    /// The current password, needed when users change their own.
    password: Option<String>,
    new_password: Option<String>,
}

/// `PATCH /users/{id}`: admins change anything (the last admin cannot be
/// demoted); users change their own name, position and password (giving
/// the current one). A new password ends the user's sessions.
async fn modify(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    let id = req.id_param("id", "User")?;
    let target = visible_user(api, &auth, id).await?;
    let body: ModifyBody = req.json()?;
    let current_password = body.password.clone();
    let (mut changes, new_password) = validate_changes(&auth.user, &target, body)?;
    if let Some(new_password) = new_password {
        let admin_reset = auth.user.is_admin() && auth.user.id != target.id;
        if !admin_reset {
            let current = current_password.unwrap_or_default();
            check_current_password(api, &target, &current).await?;
        }
        changes.password_hash = Some(hash(&new_password).await?);
    }
    let now = api.now();
    let user = api
        .db()
        .update_user(id, &changes, now)
        .await
        .map_err(|e| user_error(e, Some(id)))?;
    if changes.password_hash.is_some() {
        api.db().delete_user_sessions(id).await?;
    }
    if user.global_role != target.global_role {
        let mut details = user_details(&user);
        details["role"] = json!(user.global_role);
        let kind = activity_type::CHANGED_USER_GLOBAL_ROLE;
        record_activity(api.db(), Some(&auth.user), kind, &details, now).await?;
    }
    json_ok(&json!({ "user": user }))
}

/// Checks a PATCH body against the caller's rights and the field rules;
/// the changes (password hash not yet set) and the new password, if any.
fn validate_changes(
    caller: &User,
    target: &User,
    body: ModifyBody,
) -> Result<(UserChanges, Option<String>), ApiError> {
    if !caller.is_admin() && (body.global_role.is_some() || body.email.is_some()) {
        return Err(ApiError::forbidden());
    }
    let mut errors = Vec::new();
    if let Some(name) = &body.name {
        check_name(name, &mut errors);
    }
    if body.position.as_ref().is_some_and(|p| p.len() > 255) {
        errors.push(field("position", "is longer than 255 characters"));
    }
    let email = body.email.as_deref().map(normalise_email);
    if let Some(email) = &email {
        check_email(email, &mut errors);
    }
    let global_role = body
        .global_role
        .as_deref()
        .and_then(|r| parse_role(r, &mut errors));
    if let Some(new_password) = &body.new_password {
        check_password("new_password", new_password, &mut errors);
        // Admins reset others' passwords; everyone else proves they know
        // the current one.
        let proven = caller.is_admin() && caller.id != target.id;
        if !proven && body.password.is_none() {
            errors.push(field("password", "the current password is required"));
        }
    }
    if let Some(e) = ApiError::validations(errors) {
        return Err(e);
    }
    let changes = UserChanges {
        name: body.name.map(|n| n.trim().to_owned()),
        email,
        position: body.position,
        global_role,
        password_hash: None,
    };
    Ok((changes, body.new_password))
}

/// `DELETE /users/{id}`: admins only; the last admin cannot be deleted.
/// The user's sessions end with them. `{}`.
async fn delete(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    require_global_admin(&auth.user)?;
    let id = req.id_param("id", "User")?;
    let user = api
        .db()
        .delete_user(id)
        .await
        .map_err(|e| user_error(e, Some(id)))?;
    let details = user_details(&user);
    let now = api.now();
    record_activity(
        api.db(),
        Some(&auth.user),
        activity_type::DELETED_USER,
        &details,
        now,
    )
    .await?;
    json_ok(&json!({}))
}

/// Verifies `password` is the user's current one (self-service password
/// change).
async fn check_current_password(
    api: &FleetApi,
    user: &User,
    password: &str,
) -> Result<(), ApiError> {
    let found = api
        .db()
        .user_for_login(&user.email)
        .await
        .map_err(|e| user_error(e, Some(user.id)))?;
    match found {
        Some((_, hash)) if verify_password(password, &hash) => Ok(()),
        _ => Err(ApiError::validation(
            "password",
            "the current password is wrong",
        )),
    }
}
