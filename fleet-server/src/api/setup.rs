//! Fleet's first-run setup: `POST /api/v1/setup` (also `/api/setup`).

use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::users::{field, hash, new_user_fields, user_error};
use super::{ApiError, ApiRequest, ApiResult, FleetApi, Route, handler, json_ok};
use crate::activities::{activity_type, record_activity};
use crate::users::{GlobalRole, NewUser};

/// This module's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![Route::new(Method::POST, "/api/v1/setup", handler!(setup))]
}

/// `POST /setup`'s body (Fleet's). Not `Debug`: it holds a password.
#[derive(Deserialize)]
struct SetupBody {
    admin: Option<AdminBody>,
    org_info: Option<OrgInfo>,
    server_url: Option<String>,
}

#[derive(Deserialize)]
struct AdminBody {
    email: Option<String>,
    name: Option<String>,
    password: Option<String>,
    password_confirmation: Option<String>,
}

#[derive(Deserialize)]
struct OrgInfo {
    org_name: Option<String>,
}

/// `POST /setup`: creates the first user, a global admin, stores the org
/// name and server URL, and logs the admin in. Allowed only while no user
/// exists: afterwards (or for the loser of two concurrent setups) 409.
/// Answers `{"user", "admin", "org_info", "server_url", "token"}`
/// (`admin` is Fleet's name for the user).
async fn setup(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let body: SetupBody = req.json()?;
    let admin = body.admin.unwrap_or(AdminBody {
        email: None,
        name: None,
        password: None,
        password_confirmation: None,
    });
    let mut errors = Vec::new();
    let (name, email, password) = new_user_fields(
        admin.name,
        admin.email.as_deref(),
        admin.password,
        &mut errors,
    );
    if admin.password_confirmation.as_deref() != Some(password.as_str()) {
        errors.push(field(
            "password_confirmation",
            "does not match the password",
        ));
    }
    let org_name = body.org_info.and_then(|o| o.org_name).unwrap_or_default();
    if org_name.trim().is_empty() {
        errors.push(field("org_name", "cannot be empty"));
    }
    let server_url = body
        .server_url
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| api.settings().server_url.clone());
    if !(server_url.starts_with("https://") || server_url.starts_with("http://")) {
        errors.push(field("server_url", "must be an http or https URL"));
    }
    if let Some(e) = ApiError::validations(errors) {
        return Err(e);
    }
    let new = NewUser {
        name: name.trim().to_owned(),
        email,
        password_hash: hash(&password).await?,
        global_role: GlobalRole::Admin,
        api_only: false,
    };
    let org_info = json!({"org_name": org_name.trim()});
    let config = json!({"org_info": org_info, "server_settings": {"server_url": server_url}});
    let now = api.now();
    let db = api.db();
    let user = db
        .setup_first_user(&new, &config.to_string(), now)
        .await
        .map_err(|e| user_error(e, None))?;
    let token = db
        .create_session(user.id, now)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let details = json!({"user_id": user.id, "user_name": user.name, "user_email": user.email});
    record_activity(db, Some(&user), activity_type::CREATED_USER, &details, now).await?;
    json_ok(&json!({
        "user": user,
        "admin": user,
        "org_info": org_info,
        "server_url": server_url,
        "token": token.expose(),
    }))
}
