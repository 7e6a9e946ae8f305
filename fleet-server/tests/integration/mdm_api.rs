//! The enrollment and host REST endpoints on SQLite and MySQL: shapes,
//! filters, activities, and that only global admins may use them.

use fleet_server::api::ListOptions;
use fleet_server::db::Db;
use fleet_server::users::GlobalRole;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_auth::{api, assert_error, call, create_user, login};
use crate::mdm_server::{MdmServer, on_both_backends};

const ENROLLMENTS: &str = "/api/v1/fleet/mdm/apple/enrollments";

async fn admin_token(api: &fleet_server::api::FleetApi, db: &Db) -> String {
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    login(api, "admin@example.com").await
}

async fn enrollments_are_created_listed_read_and_deleted_with_activities(db: Db) {
    let (api, _clock) = api(&db);
    let token = admin_token(&api, &db).await;
    let body = json!({"name": "Office Macs", "configuration": {"munki": true}}).to_string();
    let (status, created) = call(&api, Method::POST, ENROLLMENTS, Some(&token), Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let enrollment = &created["enrollment"];
    let id = enrollment["id"].as_i64().unwrap();
    assert_eq!(enrollment["name"], "Office Macs");
    assert_eq!(enrollment["type"], "manual");
    assert_eq!(enrollment["configuration"], json!({"munki": true}));
    assert_eq!(
        enrollment["url"],
        format!("https://fleet.example.com/mdm/apple/api/enroll?id={id}")
    );
    assert!(enrollment["created_at"].as_str().unwrap().ends_with('Z'));

    let one = format!("{ENROLLMENTS}/{id}");
    let (status, got) = call(&api, Method::GET, &one, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["enrollment"], *enrollment);
    let (_, listed) = call(&api, Method::GET, ENROLLMENTS, Some(&token), None).await;
    assert_eq!(listed["enrollments"], json!([enrollment]));

    let (status, deleted) = call(&api, Method::DELETE, &one, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    let gone = call(&api, Method::GET, &one, Some(&token), None).await;
    assert_error(&gone, StatusCode::NOT_FOUND, "Resource Not Found", "base");
    let again = call(&api, Method::DELETE, &one, Some(&token), None).await;
    assert_error(&again, StatusCode::NOT_FOUND, "Resource Not Found", "base");

    let activities = db.list_activities(&ListOptions::default()).await.unwrap();
    let types: Vec<&str> = activities
        .iter()
        .map(|a| a.activity_type.as_str())
        .collect();
    assert!(
        types.contains(&"created_apple_manual_enrollment"),
        "{types:?}"
    );
    assert!(
        types.contains(&"deleted_apple_manual_enrollment"),
        "{types:?}"
    );
    let created = activities
        .iter()
        .find(|a| a.activity_type == "created_apple_manual_enrollment")
        .unwrap();
    assert_eq!(created.details["enrollment_id"], id);
    assert_eq!(created.actor_email.as_deref(), Some("admin@example.com"));
}

async fn an_enrollment_without_a_name_is_a_validation_error(db: Db) {
    let (api, _clock) = api(&db);
    let token = admin_token(&api, &db).await;
    let body = json!({"name": " "}).to_string();
    let got = call(&api, Method::POST, ENROLLMENTS, Some(&token), Some(&body)).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "name",
    );
}

async fn hosts_are_listed_filtered_and_read_in_fleets_shape(db: Db) {
    let (api, _clock) = api(&db);
    let token = admin_token(&api, &db).await;
    let server = MdmServer::new(&db);
    let (enrolled, pending) = (server.device(), server.device());
    server.enroll(&enrolled, "/mdm/apple/mdm").await;
    server
        .checkin(&pending, "/mdm/apple/mdm", &pending.authenticate())
        .await;

    let (status, all) = call(&api, Method::GET, "/api/v1/fleet/hosts", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["hosts"].as_array().unwrap().len(), 2);
    let host = &all["hosts"][0];
    assert_eq!(host["uuid"], enrolled.udid);
    assert_eq!(host["hardware_serial"], enrolled.serial_number);
    assert_eq!(host["hardware_model"], "Mac14,2");
    assert_eq!(host["os_version"], "15.1");
    assert_eq!(host["hostname"], "Simulated Mac");
    assert_eq!(host["platform"], "darwin");
    assert_eq!(host["mdm"]["enrollment_status"], "On (manual)");
    assert!(host["last_seen"].is_string());

    let only = |query: &str| {
        let uri = format!("/api/v1/fleet/hosts?{query}");
        let (api, token) = (&api, token.clone());
        async move {
            let (status, body) = call(api, Method::GET, &uri, Some(&token), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["uuid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only("mdm_enrollment_status=pending").await,
        [pending.udid.as_str()]
    );
    assert_eq!(
        only("mdm_enrollment_status=manual").await,
        [enrolled.udid.as_str()]
    );
    assert_eq!(
        only(&format!("query={}", pending.serial_number)).await,
        [pending.udid.as_str()]
    );
    assert_eq!(
        only("order_key=id&order_direction=desc&per_page=1").await,
        [pending.udid.as_str()]
    );
    let bad_key = call(
        &api,
        Method::GET,
        "/api/v1/fleet/hosts?order_key=secret",
        Some(&token),
        None,
    )
    .await;
    assert_error(
        &bad_key,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "order_key",
    );
    let bad_status = call(
        &api,
        Method::GET,
        "/api/v1/fleet/hosts?mdm_enrollment_status=on",
        Some(&token),
        None,
    )
    .await;
    assert_error(
        &bad_status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "mdm_enrollment_status",
    );

    let id = host["id"].as_i64().unwrap();
    let one = format!("/api/v1/fleet/hosts/{id}");
    let (status, got) = call(&api, Method::GET, &one, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["host"], *host);
    let (status, _) = call(&api, Method::DELETE, &one, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let gone = call(&api, Method::GET, &one, Some(&token), None).await;
    assert_error(&gone, StatusCode::NOT_FOUND, "Resource Not Found", "base");
}

/// Every MDM endpoint, with a body where it takes one.
fn mdm_endpoints(enrollment_id: i64, host_id: i64) -> Vec<(Method, String, Option<String>)> {
    let body = Some(json!({"name": "Lab"}).to_string());
    vec![
        (Method::POST, ENROLLMENTS.to_owned(), body),
        (Method::GET, ENROLLMENTS.to_owned(), None),
        (Method::GET, format!("{ENROLLMENTS}/{enrollment_id}"), None),
        (
            Method::DELETE,
            format!("{ENROLLMENTS}/{enrollment_id}"),
            None,
        ),
        (Method::GET, "/api/v1/fleet/hosts".to_owned(), None),
        (Method::GET, format!("/api/v1/fleet/hosts/{host_id}"), None),
        (
            Method::DELETE,
            format!("/api/v1/fleet/hosts/{host_id}"),
            None,
        ),
    ]
}

/// Maintainer, observer, observer_plus and gitops are all refused.
async fn only_global_admins_may_use_the_mdm_endpoints(db: Db) {
    let (api, _clock) = api(&db);
    let admin = admin_token(&api, &db).await;
    // Every role but admin.
    let mut refused_tokens = Vec::new();
    for role in GlobalRole::ALL
        .into_iter()
        .filter(|r| *r != GlobalRole::Admin)
    {
        let email = format!("{role:?}@example.com").to_ascii_lowercase();
        create_user(&db, &email, role).await;
        refused_tokens.push(login(&api, &email).await);
    }
    let server = MdmServer::new(&db);
    let device = server.device();
    server.enroll(&device, "/mdm/apple/mdm").await;
    let host_id = server
        .hosts
        .by_uuid(&device.udid)
        .await
        .unwrap()
        .unwrap()
        .id;
    let body = json!({"name": "Office"}).to_string();
    let (_, created) = call(&api, Method::POST, ENROLLMENTS, Some(&admin), Some(&body)).await;
    let enrollment_id = created["enrollment"]["id"].as_i64().unwrap();

    for (method, path, body) in mdm_endpoints(enrollment_id, host_id) {
        let what = format!("{method} {path}");
        let anonymous = call(&api, method.clone(), &path, None, body.as_deref()).await;
        assert_error(
            &anonymous,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "base",
        );
        for token in &refused_tokens {
            let refused = call(&api, method.clone(), &path, Some(token), body.as_deref()).await;
            assert_eq!(refused.0, StatusCode::FORBIDDEN, "{what}: {}", refused.1);
            assert_eq!(refused.1["message"], "Permission Denied", "{what}");
        }
        let allowed = call(&api, method.clone(), &path, Some(&admin), body.as_deref()).await;
        assert_eq!(allowed.0, StatusCode::OK, "{what}: {}", allowed.1);
    }
    let left: Vec<Value> = db
        .list_activities(&ListOptions::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.activity_type.ends_with("_apple_manual_enrollment"))
        .map(|a| a.details)
        .collect();
    assert_eq!(left.len(), 3, "two creations and one deletion: {left:?}");
}

on_both_backends! {
    enrollments_are_created_listed_read_and_deleted_with_activities
        => super::enrollments_are_created_listed_read_and_deleted_with_activities;
    an_enrollment_without_a_name_is_a_validation_error
        => super::an_enrollment_without_a_name_is_a_validation_error;
    hosts_are_listed_filtered_and_read_in_fleets_shape
        => super::hosts_are_listed_filtered_and_read_in_fleets_shape;
    only_global_admins_may_use_the_mdm_endpoints
        => super::only_global_admins_may_use_the_mdm_endpoints;
}
