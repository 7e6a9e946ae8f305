//! The host endpoints, global admins only: `GET /api/v1/fleet/hosts`,
//! `GET|DELETE /api/v1/fleet/hosts/{id}`.

use http::Method;
use serde_json::{Value, json};

use super::{Host, HostListOptions, HostOrderKey, Hosts, MdmEnrollmentStatus};
use crate::api::{
    ApiError, ApiRequest, ApiResult, FleetApi, ListOptions, OrderDirection, Route, handler, json_ok,
};
use crate::datastore::rfc3339;

/// This module's routes.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/api/v1/fleet/hosts", handler!(list)),
        Route::new(Method::GET, "/api/v1/fleet/hosts/{id}", handler!(get)),
        Route::new(Method::DELETE, "/api/v1/fleet/hosts/{id}", handler!(delete)),
    ]
}

/// A host as the API shows it, with Fleet's field names (`mdm` as in
/// Fleet's host details).
fn host_json(host: &Host) -> Value {
    json!({
        "id": host.id,
        "uuid": host.uuid,
        "hardware_serial": host.hardware_serial,
        "hardware_model": host.hardware_model,
        "os_version": host.os_version,
        "hostname": host.hostname,
        "display_name": host.hostname,
        "platform": host.platform,
        "mdm": {
            "enrollment_status": host.mdm_enrollment_status.as_str(),
            "name": "Fleet",
            "apple_manual_enrollment_id": host.apple_manual_enrollment_id,
        },
        "last_seen": rfc3339(host.last_seen_at),
        "created_at": rfc3339(host.created_at),
        "updated_at": rfc3339(host.updated_at),
    })
}

/// The list options of `req`: Fleet's paging, order and `query`, plus
/// `mdm_enrollment_status` (`manual`, `automatic`, `enrolled`, `pending`,
/// `unenrolled`).
fn list_options(req: &ApiRequest) -> Result<HostListOptions, ApiError> {
    let list = ListOptions::from_request(req, HostOrderKey::NAMES)?;
    let statuses = match req
        .query_param("mdm_enrollment_status")
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(value) => Some(
            MdmEnrollmentStatus::from_filter(&value)
                .ok_or_else(|| {
                    ApiError::validation(
                        "mdm_enrollment_status",
                        format!(
                            "unknown status {value:?}; allowed: manual, automatic, enrolled, \
                             pending, unenrolled"
                        ),
                    )
                })?
                .to_vec(),
        ),
    };
    let (limit, offset) = match list.limit_offset() {
        Some((limit, offset)) => (Some(limit), offset),
        None => (None, 0),
    };
    Ok(HostListOptions {
        statuses,
        query: list.query,
        order_key: list
            .order_key
            .as_deref()
            .and_then(HostOrderKey::from_name)
            .unwrap_or_default(),
        descending: list.order_direction == OrderDirection::Desc,
        limit,
        offset,
    })
}

/// `GET /hosts`: `{"hosts": […]}`.
async fn list(api: &FleetApi, req: ApiRequest) -> ApiResult {
    api.authenticate_admin(&req).await?;
    let options = list_options(&req)?;
    let hosts = Hosts::new(api.db().clone()).list(&options).await?;
    let shown: Vec<Value> = hosts.iter().map(host_json).collect();
    json_ok(&json!({"hosts": shown}))
}

/// `GET /hosts/{id}`: `{"host": …}`.
async fn get(api: &FleetApi, req: ApiRequest) -> ApiResult {
    api.authenticate_admin(&req).await?;
    let id = req.id_param("id", "Host")?;
    let host = Hosts::new(api.db().clone())
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format_args!("Host {id}")))?;
    json_ok(&json!({"host": host_json(&host)}))
}

/// `DELETE /hosts/{id}`: `{}`. The device's MDM enrollment stays: its next
/// Authenticate creates the host again.
async fn delete(api: &FleetApi, req: ApiRequest) -> ApiResult {
    api.authenticate_admin(&req).await?;
    let id = req.id_param("id", "Host")?;
    Hosts::new(api.db().clone()).delete(id).await?;
    json_ok(&json!({}))
}
