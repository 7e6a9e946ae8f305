//! The proxy against the simulator.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use nanodep::Client;
use nanodep::proxy::Proxy;
use nanodep::testing::depsim::Failure;

use crate::support::{NAME, device, setup};

fn proxy(s: &crate::support::Setup) -> Proxy {
    Proxy::new(Arc::new(Client::new(s.sim.clone(), s.store.clone())))
}

#[tokio::test]
async fn the_proxy_adds_the_session_and_passes_apples_answer_through() {
    let s = setup().await;
    s.sim.add_device(device("A1"));
    let proxy = proxy(&s);
    let request = Request::get("/account")
        .header("authorization", "Basic ZGVwc2VydmVyOnNlY3JldA==")
        .body(Bytes::new())
        .unwrap();
    let response = proxy.handle(NAME, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let account: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(account["server_name"], "depsim");
    assert!(response.headers().get("x-adm-auth-session").is_none());
    let request = Request::post("/server/devices")
        .header("content-type", "application/json;charset=UTF8")
        .body(Bytes::from_static(br#"{"limit":5}"#))
        .unwrap();
    let response = proxy.handle(NAME, request).await;
    let page: nanodep::api::DeviceListResponse = serde_json::from_slice(response.body()).unwrap();
    assert_eq!(page.devices[0].serial_number, "A1");
    assert_eq!(s.session_calls(), 1);
}

#[tokio::test]
async fn apple_errors_pass_through_and_refused_sessions_are_502_with_apples_body() {
    let s = setup().await;
    let proxy = proxy(&s);
    let request = Request::get("/profile?profile_uuid=NOPE")
        .body(Bytes::new())
        .unwrap();
    let response = proxy.handle(NAME, request).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.body().as_ref(), b"\"PROFILE_NOT_FOUND\"");
    s.sim.expire_sessions();
    let failure = Failure::code(StatusCode::FORBIDDEN, "T_C_NOT_SIGNED");
    s.sim.fail_next("/session", failure);
    let request = Request::get("/account").body(Bytes::new()).unwrap();
    let response = proxy.handle(NAME, request).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.body().as_ref(), b"\"T_C_NOT_SIGNED\"");
    let response = proxy
        .handle(
            "unknown",
            Request::get("/account").body(Bytes::new()).unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        response.body().as_ref(),
        b"no DEP auth tokens stored for unknown"
    );
}
