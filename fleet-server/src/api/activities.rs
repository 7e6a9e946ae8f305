//! The audit log: `GET /api/v1/fleet/activities` (admins only).

use http::Method;
use serde_json::json;

use super::{ApiRequest, ApiResult, FleetApi, ListOptions, Route, handler, json_ok};
use crate::activities::ACTIVITY_ORDER_KEYS;

/// This module's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/api/v1/fleet/activities",
        handler!(list),
    )]
}

/// `GET /activities`: `{"activities": [...]}`, newest first unless
/// `order_key` (`id`, `created_at`) says otherwise.
async fn list(api: &FleetApi, req: ApiRequest) -> ApiResult {
    api.authenticate_admin(&req).await?;
    let options = ListOptions::from_request(&req, ACTIVITY_ORDER_KEYS)?;
    let activities = api.db().list_activities(&options).await?;
    json_ok(&json!({ "activities": activities }))
}
