//! The manual enrollment endpoints, global admins only (fleet.md §2.2):
//! `POST|GET /api/v1/fleet/mdm/apple/enrollments`,
//! `GET|DELETE /api/v1/fleet/mdm/apple/enrollments/{id}`.

use http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::profile::enroll_url;
use super::{ManualEnrollment, ManualEnrollments};
use crate::activities::record_activity;
use crate::api::{ApiError, ApiRequest, ApiResult, FleetApi, Route, handler, json_ok};
use crate::datastore::{DatastoreError, rfc3339};

/// Activity recorded when an admin creates a manual enrollment (details:
/// `enrollment_id`, `enrollment_name`).
pub const CREATED_APPLE_MANUAL_ENROLLMENT: &str = "created_apple_manual_enrollment";
/// Activity recorded when an admin deletes a manual enrollment (details:
/// `enrollment_id`, `enrollment_name`).
pub const DELETED_APPLE_MANUAL_ENROLLMENT: &str = "deleted_apple_manual_enrollment";

const COLLECTION: &str = "/api/v1/fleet/mdm/apple/enrollments";
const ONE: &str = "/api/v1/fleet/mdm/apple/enrollments/{id}";

/// This module's routes.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, COLLECTION, handler!(create)),
        Route::new(Method::GET, COLLECTION, handler!(list)),
        Route::new(Method::GET, ONE, handler!(get)),
        Route::new(Method::DELETE, ONE, handler!(delete)),
    ]
}

impl From<DatastoreError> for ApiError {
    fn from(e: DatastoreError) -> Self {
        match e {
            DatastoreError::NotFound(what) => Self::not_found(what),
            DatastoreError::Invalid { field, reason } => Self::validation(field, reason),
            other => Self::internal(&other),
        }
    }
}

/// An enrollment as the API shows it: Fleet's PoC shape plus its URL.
fn enrollment_json(api: &FleetApi, enrollment: &ManualEnrollment) -> Value {
    // Stored configurations were validated as JSON; a row edited by hand
    // into something else is shown as the text it holds.
    let configuration = enrollment.configuration.as_deref().map(|text| {
        serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.to_owned()))
    });
    json!({
        "id": enrollment.id,
        "name": enrollment.name,
        "type": "manual",
        "url": enroll_url(&api.settings().server_url, enrollment.id),
        "configuration": configuration,
        "created_at": rfc3339(enrollment.created_at),
        "updated_at": rfc3339(enrollment.updated_at),
    })
}

/// `POST`'s body.
#[derive(Debug, Deserialize)]
struct CreateBody {
    name: String,
    #[serde(default)]
    configuration: Option<Value>,
}

/// `POST …/enrollments`: `{"enrollment": …}`; records the activity.
async fn create(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate_admin(&req).await?;
    let body: CreateBody = req.json()?;
    let configuration = body
        .configuration
        .filter(|c| !c.is_null())
        .map(|c| c.to_string());
    let enrollments = ManualEnrollments::new(api.db().clone());
    let enrollment = enrollments
        .create(&body.name, configuration.as_deref())
        .await?;
    let details = json!({"enrollment_id": enrollment.id, "enrollment_name": enrollment.name});
    record_activity(
        api.db(),
        Some(&auth.user),
        CREATED_APPLE_MANUAL_ENROLLMENT,
        &details,
        api.now(),
    )
    .await?;
    json_ok(&json!({"enrollment": enrollment_json(api, &enrollment)}))
}

/// `GET …/enrollments`: `{"enrollments": […]}`, oldest first.
async fn list(api: &FleetApi, req: ApiRequest) -> ApiResult {
    api.authenticate_admin(&req).await?;
    let enrollments = ManualEnrollments::new(api.db().clone()).list().await?;
    let shown: Vec<Value> = enrollments
        .iter()
        .map(|e| enrollment_json(api, e))
        .collect();
    json_ok(&json!({"enrollments": shown}))
}

/// `GET …/enrollments/{id}`: `{"enrollment": …}`.
async fn get(api: &FleetApi, req: ApiRequest) -> ApiResult {
    api.authenticate_admin(&req).await?;
    let id = req.id_param("id", "Enrollment")?;
    let enrollment = ManualEnrollments::new(api.db().clone())
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format_args!("Enrollment {id}")))?;
    json_ok(&json!({"enrollment": enrollment_json(api, &enrollment)}))
}

/// `DELETE …/enrollments/{id}`: `{}`; its hosts stay, without it.
async fn delete(api: &FleetApi, req: ApiRequest) -> ApiResult {
    let auth = api.authenticate_admin(&req).await?;
    let id = req.id_param("id", "Enrollment")?;
    let enrollments = ManualEnrollments::new(api.db().clone());
    let enrollment = enrollments
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format_args!("Enrollment {id}")))?;
    enrollments.delete(id).await?;
    let details = json!({"enrollment_id": id, "enrollment_name": enrollment.name});
    record_activity(
        api.db(),
        Some(&auth.user),
        DELETED_APPLE_MANUAL_ENROLLMENT,
        &details,
        api.now(),
    )
    .await?;
    json_ok(&json!({}))
}
