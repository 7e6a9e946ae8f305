//! The REST API framework and authentication (`fleet_server::api`) on
//! SQLite and MySQL: routing, error shapes, login, logout, `me`, sessions.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fleet_server::api::{ApiSettings, ClientAddr, FleetApi};
use fleet_server::db::Db;
use fleet_server::users::{GlobalRole, NewUser, hash_password};
use http::{Method, Request, StatusCode};
use serde_json::{Value, json};

/// A clock tests move by hand.
#[derive(Clone)]
pub(crate) struct TestClock(Arc<Mutex<SystemTime>>);

impl TestClock {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        )))
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

/// The API on `db` with a test clock.
pub(crate) fn api(db: &Db) -> (FleetApi, TestClock) {
    let clock = TestClock::new();
    let reader = clock.clone();
    let api = FleetApi::new(db.clone(), ApiSettings::new("https://fleet.example.com"))
        .with_clock(Arc::new(move || *reader.0.lock().unwrap()));
    (api, clock)
}

/// Sends `method path` with an optional bearer token and body.
pub(crate) async fn call(
    api: &FleetApi,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut request = request
        .body(Bytes::from(body.unwrap_or_default().to_owned()))
        .unwrap();
    request
        .extensions_mut()
        .insert(ClientAddr("192.0.2.1".parse().unwrap()));
    let response = api.handle(request).await;
    let status = response.status();
    let value = if response.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(response.body()).unwrap()
    };
    (status, value)
}

/// A password meeting Fleet's rules.
pub(crate) const PASSWORD: &str = "correct-horse-1";

/// Creates a user with `role` straight in the database.
pub(crate) async fn create_user(db: &Db, email: &str, role: GlobalRole) -> i64 {
    let new = NewUser {
        name: email.split('@').next().unwrap().to_owned(),
        email: email.to_owned(),
        password_hash: hash_password(PASSWORD).unwrap(),
        global_role: role,
        api_only: false,
    };
    db.create_user(&new, SystemTime::now()).await.unwrap().id
}

/// Logs `email` in with [`PASSWORD`] and returns the token.
pub(crate) async fn login(api: &FleetApi, email: &str) -> String {
    let body = json!({"email": email, "password": PASSWORD}).to_string();
    let (status, value) = call(api, Method::POST, "/api/v1/fleet/login", None, Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{value}");
    value["token"].as_str().unwrap().to_owned()
}

/// Asserts Fleet's error shape with `status`, `message` and first `name`.
pub(crate) fn assert_error(
    got: &(StatusCode, Value),
    status: StatusCode,
    message: &str,
    name: &str,
) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["message"], message, "{}", got.1);
    assert_eq!(got.1["errors"][0]["name"], name, "{}", got.1);
    assert!(got.1["errors"][0]["reason"].is_string(), "{}", got.1);
}

async fn login_me_and_logout(db: &Db) {
    let (api, _clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let token = login(&api, "admin@example.com").await;
    for path in [
        "/api/v1/fleet/me",
        "/api/latest/fleet/me",
        "/api/_version_/fleet/me",
    ] {
        let (status, me) = call(&api, Method::GET, path, Some(&token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {me}");
        assert_eq!(me["user"]["email"], "admin@example.com");
        assert_eq!(me["user"]["global_role"], "admin");
        let mut keys: Vec<&str> = me["user"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "api_only",
                "created_at",
                "email",
                "force_password_reset",
                "global_role",
                "gravatar_url",
                "id",
                "name",
                "position",
                "updated_at"
            ],
            "Fleet's user fields and never the password"
        );
        assert!(
            me["user"]["created_at"].as_str().unwrap().ends_with('Z'),
            "{me}"
        );
        assert!(!me.to_string().contains("argon2"), "{me}");
    }
    let (status, _) = call(
        &api,
        Method::POST,
        "/api/v1/fleet/logout",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let after = call(&api, Method::GET, "/api/v1/fleet/me", Some(&token), None).await;
    assert_error(
        &after,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
        "base",
    );
}

async fn wrong_credentials_are_one_401_whichever_part_is_wrong_and_are_recorded(db: &Db) {
    let (api, _clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let wrong_password =
        json!({"email": "admin@example.com", "password": "nope-nope-1!"}).to_string();
    let wrong_email = json!({"email": "nobody@example.com", "password": PASSWORD}).to_string();
    let a = call(
        &api,
        Method::POST,
        "/api/v1/fleet/login",
        None,
        Some(&wrong_password),
    )
    .await;
    let b = call(
        &api,
        Method::POST,
        "/api/v1/fleet/login",
        None,
        Some(&wrong_email),
    )
    .await;
    assert_error(
        &a,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
        "base",
    );
    assert_eq!(a, b, "the answer does not say which part was wrong");
    let token = login(&api, "admin@example.com").await;
    let log = "/api/v1/fleet/activities?order_key=id&order_direction=asc";
    let (status, log) = call(&api, Method::GET, log, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["activities"].as_array().unwrap();
    let types: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["user_failed_login", "user_failed_login", "user_logged_in"]
    );
    assert_eq!(entries[0]["details"]["email"], "admin@example.com");
    assert_eq!(entries[0]["details"]["public_ip"], "192.0.2.1");
    assert_eq!(entries[1]["actor_id"], Value::Null);
    assert_eq!(entries[2]["actor_email"], "admin@example.com");
}

async fn logins_are_rate_limited_per_email_until_the_minute_is_over(db: &Db) {
    let (api, clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let wrong = json!({"email": "admin@example.com", "password": "nope-nope-1!"}).to_string();
    for _ in 0..10 {
        let (status, _) = call(
            &api,
            Method::POST,
            "/api/v1/fleet/login",
            None,
            Some(&wrong),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let right = json!({"email": "admin@example.com", "password": PASSWORD}).to_string();
    let limited = call(
        &api,
        Method::POST,
        "/api/v1/fleet/login",
        None,
        Some(&right),
    )
    .await;
    assert_error(
        &limited,
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        "base",
    );
    clock.advance(Duration::from_secs(60));
    login(&api, "admin@example.com").await;
}

async fn a_session_expires_after_the_ttl_without_use(db: &Db) {
    let (api, clock) = api(db);
    create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let token = login(&api, "admin@example.com").await;
    // Used every 23 hours, the session stays alive (sliding expiry).
    for _ in 0..3 {
        clock.advance(Duration::from_secs(23 * 3600));
        let (status, _) = call(&api, Method::GET, "/api/v1/fleet/me", Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
    }
    clock.advance(Duration::from_secs(24 * 3600));
    let expired = call(&api, Method::GET, "/api/v1/fleet/me", Some(&token), None).await;
    assert_error(
        &expired,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
        "base",
    );
}

async fn expired_sessions_are_swept_and_live_ones_kept(db: &Db) {
    let id = create_user(db, "admin@example.com", GlobalRole::Admin).await;
    let t0 = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ttl = Duration::from_secs(3600);
    db.create_session(id, t0).await.unwrap();
    db.create_session(id, t0).await.unwrap();
    let live = db
        .create_session(id, t0 + Duration::from_secs(1800))
        .await
        .unwrap();
    let swept = db.delete_expired_sessions(ttl, t0 + ttl).await.unwrap();
    assert_eq!(swept, 2);
    let found = db.find_session(live.expose(), ttl, t0 + ttl).await.unwrap();
    assert_eq!(found.map(|s| s.user_id), Some(id));
}

async fn requests_without_a_valid_token_are_401(db: &Db) {
    let (api, _clock) = api(db);
    let none = call(&api, Method::GET, "/api/v1/fleet/me", None, None).await;
    assert_error(
        &none,
        StatusCode::UNAUTHORIZED,
        "Authentication required",
        "base",
    );
    let unknown = call(
        &api,
        Method::GET,
        "/api/v1/fleet/me",
        Some("bm90LWEtdG9rZW4="),
        None,
    )
    .await;
    assert_eq!(unknown, none);
}

async fn routing_errors_and_malformed_json_have_fleets_shape(db: &Db) {
    let (api, _clock) = api(db);
    let unknown = call(&api, Method::GET, "/api/v1/fleet/nothing-here", None, None).await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "Resource Not Found",
        "base",
    );
    let wrong_method = call(&api, Method::DELETE, "/api/v1/fleet/login", None, None).await;
    assert_error(
        &wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "base",
    );
    let malformed = call(
        &api,
        Method::POST,
        "/api/v1/fleet/login",
        None,
        Some("{\"email\":"),
    )
    .await;
    assert_error(&malformed, StatusCode::BAD_REQUEST, "Bad request", "base");
    let reason = malformed.1["errors"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("JSON"), "{reason}");
    let missing = call(
        &api,
        Method::POST,
        "/api/v1/fleet/login",
        None,
        Some("{\"email\":\"a@b.c\"}"),
    )
    .await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "Bad request", "base");
    assert!(
        missing.1["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("password")
    );
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (db, _dir) = crate::sqlite_db().await;
                    super::$name(&db).await;
                }
            )*
        }
        mod mysql {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some((db, _guard)) = crate::mysql_db(concat!("api_", stringify!($name))).await else {
                        return;
                    };
                    super::$name(&db).await;
                }
            )*
        }
    };
}

pub(crate) use on_both_backends;

on_both_backends!(
    login_me_and_logout,
    wrong_credentials_are_one_401_whichever_part_is_wrong_and_are_recorded,
    logins_are_rate_limited_per_email_until_the_minute_is_over,
    a_session_expires_after_the_ttl_without_use,
    expired_sessions_are_swept_and_live_ones_kept,
    requests_without_a_valid_token_are_401,
    routing_errors_and_malformed_json_have_fleets_shape,
);
