//! Login, logout and the current user: `POST /api/v1/fleet/login`,
//! `POST /api/v1/fleet/logout`, `GET /api/v1/fleet/me`.

use http::Method;
use serde::Deserialize;
use serde_json::json;

use super::users::verify;
use super::{ApiError, ApiRequest, ApiResult, ClientAddr, FleetApi, Route, handler, json_ok};
use crate::activities::{activity_type, record_activity};
use crate::users::decoy_hash;

/// This module's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "/api/v1/fleet/login", handler!(login)),
        Route::new(Method::POST, "/api/v1/fleet/logout", handler!(logout)),
        Route::new(Method::GET, "/api/v1/fleet/me", handler!(me)),
    ]
}

/// `POST /login`'s body. Not `Debug`: it holds a password.
#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

/// `POST /login`: `{"user", "token", "available_teams"}`. Wrong email or
/// password are one 401, recorded as `user_failed_login`. Rate limited
/// per email and per client address (in this process; see the README).
/// API-only users log in here too: that is how fleetctl gets their token.
async fn login(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let body: LoginBody = req.json()?;
    let now = api.now();
    let email = body.email.trim().to_ascii_lowercase();
    let client = req.extensions.get::<ClientAddr>().map(|c| c.0);
    let mut keys = vec![format!("email:{email}")];
    keys.extend(client.map(|ip| format!("ip:{ip}")));
    api.login_limiter
        .attempt(&keys, now)
        .map_err(ApiError::rate_limited)?;

    let found = api
        .db()
        .user_for_login(&email)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    // An unknown email costs one hash verification too, so timing does
    // not tell which part was wrong.
    let hash = found
        .as_ref()
        .map_or_else(|| decoy_hash(), |(_, h)| h.as_str());
    let verified = verify(&body.password, hash).await?;
    let user = match found {
        Some((user, _)) if verified => user,
        _ => {
            let ip = client.map(|ip| ip.to_string()).unwrap_or_default();
            // The email is the caller's text: keep the log entry bounded.
            let email: String = email.chars().take(255).collect();
            let details = json!({"email": email, "public_ip": ip});
            record_activity(
                api.db(),
                None,
                activity_type::USER_FAILED_LOGIN,
                &details,
                now,
            )
            .await?;
            return Err(ApiError::unauthenticated());
        }
    };
    let token = api
        .db()
        .create_session(user.id, now)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    record_activity(
        api.db(),
        Some(&user),
        activity_type::USER_LOGGED_IN,
        &json!({}),
        now,
    )
    .await?;
    json_ok(&json!({"user": user, "token": token.expose(), "available_teams": []}))
}

/// `POST /logout`: ends the session the token names; `{}`.
async fn logout(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    api.db().delete_session(auth.session_id).await?;
    json_ok(&json!({}))
}

/// `GET /me`: `{"user": …, "available_teams": []}` (no teams here).
async fn me(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate(&req).await?;
    json_ok(&json!({"user": auth.user, "available_teams": []}))
}
