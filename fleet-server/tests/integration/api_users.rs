//! Setup, users CRUD, permissions per role, password rules, pagination and
//! the activity log through the REST API, on SQLite and MySQL.

use fleet_server::db::Db;
use fleet_server::users::GlobalRole;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_auth::{PASSWORD, api, assert_error, call, create_user, login, on_both_backends};

fn setup_body(email: &str, password: &str) -> String {
    json!({
        "admin": {"email": email, "name": "Ada Admin", "password": password, "password_confirmation": password},
        "org_info": {"org_name": "Example Org"},
        "server_url": "https://fleet.example.com"
    })
    .to_string()
}

async fn a_second_setup_is_refused(db: &Db) {
    let (api, _clock) = api(db);
    let body = setup_body("ada@example.com", PASSWORD);
    let (status, done) = call(&api, Method::POST, "/api/v1/setup", None, Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["user"]["global_role"], "admin");
    assert_eq!(done["admin"]["email"], "ada@example.com");
    assert_eq!(done["org_info"]["org_name"], "Example Org");
    let token = done["token"].as_str().unwrap();
    let (status, me) = call(&api, Method::GET, "/api/v1/fleet/me", Some(token), None).await;
    assert_eq!(
        (status, &me["user"]["email"]),
        (StatusCode::OK, &json!("ada@example.com"))
    );
    let config: Value =
        serde_json::from_str(&db.app_config_json().await.unwrap().unwrap()).unwrap();
    assert_eq!(config["org_info"]["org_name"], "Example Org");

    let again = setup_body("eve@example.com", PASSWORD);
    for path in ["/api/v1/setup", "/api/setup"] {
        let refused = call(&api, Method::POST, path, None, Some(&again)).await;
        assert_error(&refused, StatusCode::CONFLICT, "Conflict", "base");
    }
    assert_eq!(db.count_users().await.unwrap(), 1);
}

async fn of_concurrent_setups_exactly_one_wins(db: &Db) {
    let (api, _clock) = api(db);
    let api = std::sync::Arc::new(api);
    let tries = (0..6).map(|i| {
        let api = api.clone();
        tokio::spawn(async move {
            let body = setup_body(&format!("admin{i}@example.com"), PASSWORD);
            call(&api, Method::POST, "/api/v1/setup", None, Some(&body))
                .await
                .0
        })
    });
    let mut statuses = Vec::new();
    for task in tries.collect::<Vec<_>>() {
        statuses.push(task.await.unwrap());
    }
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let lost = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((won, lost), (1, 5), "{statuses:?}");
    assert_eq!(db.count_users().await.unwrap(), 1);
}

async fn setup_names_each_invalid_field(db: &Db) {
    let (api, _clock) = api(db);
    let body = json!({
        "admin": {"email": "not-an-email", "name": "", "password": "short", "password_confirmation": "other"},
        "org_info": {"org_name": ""}
    })
    .to_string();
    let (status, e) = call(&api, Method::POST, "/api/v1/setup", None, Some(&body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["message"], "Validation Failed");
    let mut names: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "email",
            "name",
            "org_name",
            "password",
            "password_confirmation"
        ]
    );
    assert_eq!(db.count_users().await.unwrap(), 0);
}

async fn an_admin_creates_reads_changes_and_deletes_users(db: &Db) {
    let (api, _clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let admin = login(&api, "admin@example.com").await;
    let body = json!({"name": "Bob", "email": "Bob@Example.com", "password": PASSWORD, "global_role": "maintainer"}).to_string();
    let (status, created) = call(
        &api,
        Method::POST,
        "/api/v1/fleet/users/admin",
        Some(&admin),
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["user"]["email"], "bob@example.com");
    assert_eq!(created["user"]["api_only"], false);
    assert!(created["user"].get("password").is_none());
    let id = created["user"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/fleet/users/{id}");
    let bob = login(&api, "bob@example.com").await;

    let (_, got) = call(&api, Method::GET, &path, Some(&admin), None).await;
    assert_eq!(got["user"]["global_role"], "maintainer");
    let change = json!({"global_role": "observer_plus", "name": "Robert"}).to_string();
    let (status, changed) = call(&api, Method::PATCH, &path, Some(&admin), Some(&change)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (&changed["user"]["global_role"], &changed["user"]["name"]),
        (&json!("observer_plus"), &json!("Robert"))
    );

    let (status, _) = call(&api, Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    let gone = call(&api, Method::GET, &path, Some(&admin), None).await;
    assert_error(&gone, StatusCode::NOT_FOUND, "Resource Not Found", "base");
    let ended = call(&api, Method::GET, "/api/v1/fleet/me", Some(&bob), None).await;
    assert_error(
        &ended,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
        "base",
    );

    assert_the_log_tells_the_story(&api, &admin).await;
}

/// The activity log after [`an_admin_creates_reads_changes_and_deletes_users`],
/// oldest first.
async fn assert_the_log_tells_the_story(api: &fleet_server::api::FleetApi, admin: &str) {
    let (_, log) = call(
        api,
        Method::GET,
        "/api/v1/fleet/activities?order_key=id&order_direction=asc",
        Some(admin),
        None,
    )
    .await;
    let types: Vec<&str> = log["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "user_logged_in",
            "created_user",
            "user_logged_in",
            "changed_user_global_role",
            "deleted_user"
        ]
    );
    let deleted = &log["activities"][4];
    assert_eq!(deleted["actor_email"], "admin@example.com");
    assert_eq!(deleted["details"]["user_email"], "bob@example.com");
    assert_eq!(log["activities"][3]["details"]["role"], "observer_plus");
}

async fn only_admins_manage_users_and_read_activities(db: &Db) {
    let (api, _clock) = api(db);
    let admin_id = create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let body = json!({"name": "X", "email": "x@example.com", "password": PASSWORD}).to_string();
    let other = format!("/api/v1/fleet/users/{admin_id}");
    for role in [
        GlobalRole::Maintainer,
        GlobalRole::Observer,
        GlobalRole::ObserverPlus,
        GlobalRole::Gitops,
    ] {
        let email = format!("{role}@example.com");
        let id = create_user(db, &email, role).await;
        let token = login(&api, &email).await;
        let token = Some(token.as_str());
        let forbidden = [
            call(&api, Method::GET, "/api/v1/fleet/users", token, None).await,
            call(
                &api,
                Method::POST,
                "/api/v1/fleet/users",
                token,
                Some(&body),
            )
            .await,
            call(&api, Method::GET, &other, token, None).await,
            call(&api, Method::DELETE, &other, token, None).await,
            call(&api, Method::GET, "/api/v1/fleet/activities", token, None).await,
            call(&api, Method::GET, "/api/v1/fleet/users/999999", token, None).await,
        ];
        for got in &forbidden {
            assert_error(got, StatusCode::FORBIDDEN, "Permission Denied", "base");
        }
        let own = format!("/api/v1/fleet/users/{id}");
        let (status, me) = call(&api, Method::GET, &own, token, None).await;
        assert_eq!(
            (status, &me["user"]["global_role"]),
            (StatusCode::OK, &json!(role.as_str()))
        );
        let promote = json!({"global_role": "admin"}).to_string();
        let got = call(&api, Method::PATCH, &own, token, Some(&promote)).await;
        assert_error(&got, StatusCode::FORBIDDEN, "Permission Denied", "base");
        let rename = json!({"name": "Renamed", "position": "Ops"}).to_string();
        let (status, renamed) = call(&api, Method::PATCH, &own, token, Some(&rename)).await;
        assert_eq!(
            (status, &renamed["user"]["position"]),
            (StatusCode::OK, &json!("Ops"))
        );
    }
    for (method, path) in [
        (Method::GET, "/api/v1/fleet/users"),
        (Method::POST, "/api/v1/fleet/users"),
        (Method::DELETE, other.as_str()),
    ] {
        let got = call(&api, method, path, None, Some(&body)).await;
        assert_error(
            &got,
            StatusCode::UNAUTHORIZED,
            "Authentication required",
            "base",
        );
    }
}

async fn invalid_users_are_refused_naming_the_field(db: &Db) {
    let (api, _clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let admin = login(&api, "admin@example.com").await;
    let cases = [
        (
            json!({"name": "A", "email": "a@example.com", "password": "no-digits-here"}),
            "password",
        ),
        (
            json!({"name": "A", "email": "a@example.com", "password": "short1!"}),
            "password",
        ),
        (
            json!({"name": "A", "email": "a@example.com", "password": "nosymbols12345"}),
            "password",
        ),
        (
            json!({"name": "A", "email": "nope", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"name": "", "email": "a@example.com", "password": PASSWORD}),
            "name",
        ),
        (
            json!({"name": "A", "email": "a@example.com", "password": PASSWORD, "global_role": "root"}),
            "global_role",
        ),
        (
            json!({"name": "A", "email": "ADMIN@example.com", "password": PASSWORD}),
            "email",
        ),
    ];
    for (body, name) in cases {
        let got = call(
            &api,
            Method::POST,
            "/api/v1/fleet/users",
            Some(&admin),
            Some(&body.to_string()),
        )
        .await;
        assert_error(
            &got,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed",
            name,
        );
    }
    let malformed = call(
        &api,
        Method::POST,
        "/api/v1/fleet/users",
        Some(&admin),
        Some("[1,"),
    )
    .await;
    assert_error(&malformed, StatusCode::BAD_REQUEST, "Bad request", "base");
    assert_eq!(db.count_users().await.unwrap(), 1);
}

async fn the_last_admin_cannot_be_demoted_or_deleted(db: &Db) {
    let (api, _clock) = api(db);
    let id = create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let admin = login(&api, "admin@example.com").await;
    let path = format!("/api/v1/fleet/users/{id}");
    let demote = json!({"global_role": "observer"}).to_string();
    let got = call(&api, Method::PATCH, &path, Some(&admin), Some(&demote)).await;
    assert_error(&got, StatusCode::CONFLICT, "Conflict", "base");
    let got = call(&api, Method::DELETE, &path, Some(&admin), None).await;
    assert_error(&got, StatusCode::CONFLICT, "Conflict", "base");
    create_user(db, "second@example.com", GlobalRole::Admin).await;
    let (status, _) = call(&api, Method::PATCH, &path, Some(&admin), Some(&demote)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_password_change_needs_the_current_one_and_ends_sessions(db: &Db) {
    let (api, _clock) = api(db);
    let id = create_user(db, "obs@example.com", GlobalRole::Observer).await;
    let token = login(&api, "obs@example.com").await;
    let path = format!("/api/v1/fleet/users/{id}");
    let no_current = json!({"new_password": "another-pass-2"}).to_string();
    let got = call(&api, Method::PATCH, &path, Some(&token), Some(&no_current)).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "password",
    );
    let wrong = json!({"password": "wrong-pass-1!", "new_password": "another-pass-2"}).to_string();
    let got = call(&api, Method::PATCH, &path, Some(&token), Some(&wrong)).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "password",
    );
    let weak = json!({"password": PASSWORD, "new_password": "weak"}).to_string();
    let got = call(&api, Method::PATCH, &path, Some(&token), Some(&weak)).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "new_password",
    );
    let right = json!({"password": PASSWORD, "new_password": "another-pass-2"}).to_string();
    let (status, _) = call(&api, Method::PATCH, &path, Some(&token), Some(&right)).await;
    assert_eq!(status, StatusCode::OK);
    let ended = call(&api, Method::GET, "/api/v1/fleet/me", Some(&token), None).await;
    assert_error(
        &ended,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
        "base",
    );
    let body = json!({"email": "obs@example.com", "password": "another-pass-2"}).to_string();
    let (status, _) = call(&api, Method::POST, "/api/v1/fleet/login", None, Some(&body)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn api_only_users_log_in_through_the_api(db: &Db) {
    let (api, _clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let admin = login(&api, "admin@example.com").await;
    let body =
        json!({"name": "CI", "email": "ci@example.com", "password": PASSWORD, "api_only": true})
            .to_string();
    let (status, created) = call(
        &api,
        Method::POST,
        "/api/v1/fleet/users",
        Some(&admin),
        Some(&body),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(
        (
            &created["user"]["api_only"],
            &created["user"]["global_role"]
        ),
        (&json!(true), &json!("observer"))
    );
    let token = login(&api, "ci@example.com").await;
    let (_, me) = call(&api, Method::GET, "/api/v1/fleet/me", Some(&token), None).await;
    assert_eq!(me["user"]["api_only"], true);
}

async fn user_lists_page_search_and_refuse_unknown_order_keys(db: &Db) {
    let (api, _clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    for name in ["carol", "dave", "erin", "frank"] {
        create_user(db, &format!("{name}@example.com"), GlobalRole::Observer).await;
    }
    let admin = login(&api, "admin@example.com").await;
    let emails = |v: &Value| -> Vec<String> {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |q: &str| format!("/api/v1/fleet/users?{q}");
    let (_, all) = call(&api, Method::GET, &list(""), Some(&admin), None).await;
    assert_eq!(emails(&all).len(), 5);
    let (_, page) = call(
        &api,
        Method::GET,
        &list("order_key=email&order_direction=desc&page=1&per_page=2"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(emails(&page), ["dave@example.com", "carol@example.com"]);
    let (_, found) = call(&api, Method::GET, &list("query=RIN"), Some(&admin), None).await;
    assert_eq!(emails(&found), ["erin@example.com"]);
    let (_, none) = call(&api, Method::GET, &list("query=%25"), Some(&admin), None).await;
    assert_eq!(
        emails(&none),
        Vec::<String>::new(),
        "% is matched literally"
    );
    let bad = call(
        &api,
        Method::GET,
        &list("order_key=password"),
        Some(&admin),
        None,
    )
    .await;
    assert_error(
        &bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Validation Failed",
        "order_key",
    );
    let bad = call(&api, Method::GET, &list("page=x"), Some(&admin), None).await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "Bad request", "base");
}

on_both_backends!(
    a_second_setup_is_refused,
    of_concurrent_setups_exactly_one_wins,
    setup_names_each_invalid_field,
    an_admin_creates_reads_changes_and_deletes_users,
    only_admins_manage_users_and_read_activities,
    invalid_users_are_refused_naming_the_field,
    the_last_admin_cannot_be_demoted_or_deleted,
    a_password_change_needs_the_current_one_and_ends_sessions,
    api_only_users_log_in_through_the_api,
    user_lists_page_search_and_refuse_unknown_order_keys,
);
