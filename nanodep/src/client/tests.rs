//! The session and retry mechanics against a scripted transport (a queue
//! of canned answers that records what it was sent). Whole flows against
//! the DEP simulator are in the integration tests.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::api::ErrorCode;
use crate::store::{AuthTokensStore, ConfigStore, MemoryStore};
use crate::token_pki::OAuth1Tokens;

#[derive(Debug, Default)]
struct Scripted {
    answers: Mutex<VecDeque<Response<Bytes>>>,
    sent: Mutex<Vec<Request<Bytes>>>,
}

impl Scripted {
    fn answer(&self, status: u16, headers: &[(&str, &str)], body: &str) {
        let mut response = Response::builder().status(status);
        for (k, v) in headers {
            response = response.header(*k, *v);
        }
        let response = response.body(Bytes::from(body.to_owned())).unwrap();
        self.answers.lock().unwrap().push_back(response);
    }

    fn session(&self, token: &str) {
        self.answer(200, &[], &format!(r#"{{"auth_session_token":"{token}"}}"#));
    }

    fn sent(&self) -> Vec<(String, Option<String>)> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                let session = r.headers().get(SESSION_HEADER);
                (
                    r.uri().path().to_owned(),
                    session.map(|v| v.to_str().unwrap().to_owned()),
                )
            })
            .collect()
    }
}

#[async_trait]
impl Transport for Scripted {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        self.sent.lock().unwrap().push(request);
        self.answers
            .lock()
            .unwrap()
            .pop_front()
            .ok_or_else(|| TransportError::new("no scripted answer left"))
    }
}

#[derive(Debug, Default)]
struct Recorded(Mutex<Vec<Duration>>);

#[async_trait]
impl Sleeper for Recorded {
    async fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

fn tokens() -> OAuth1Tokens {
    OAuth1Tokens {
        consumer_key: "CK_1".into(),
        consumer_secret: "CS_1".into(),
        access_token: "AT_1".into(),
        access_secret: "AS_1".into(),
        access_token_expiry: None,
    }
}

async fn setup() -> (Arc<Scripted>, Arc<MemoryStore>, Client) {
    let transport = Arc::new(Scripted::default());
    let store = Arc::new(MemoryStore::new());
    store.store_auth_tokens("dep1", &tokens()).await.unwrap();
    let config = Config {
        base_url: Some("http://dep.test:8080/prefix/".into()),
        server_protocol_version: None,
    };
    store.store_config("dep1", &config).await.unwrap();
    let client = Client::new(transport.clone(), store.clone()).with_user_agent("test-agent/1");
    (transport, store, client)
}

const ACCOUNT: &str = r#"{"server_name":"dev"}"#;

#[tokio::test]
async fn the_first_call_signs_a_session_request_then_sends_the_session_header() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(200, &[], ACCOUNT);
    let account = client.account("dep1").await.unwrap();
    assert_eq!(account.server_name.as_deref(), Some("dev"));
    let sent = transport.sent.lock().unwrap();
    let session = &sent[0];
    assert_eq!(session.uri(), "http://dep.test:8080/prefix/session");
    let authorization = session.headers()[AUTHORIZATION].to_str().unwrap();
    assert!(oauth::verify(
        "GET",
        session.uri(),
        authorization,
        &tokens()
    ));
    assert_eq!(session.headers()[USER_AGENT], "test-agent/1");
    assert_eq!(session.headers()[PROTOCOL_VERSION_HEADER], "10");
    assert_eq!(session.headers()[CONTENT_TYPE], JSON_CONTENT_TYPE);
    assert_eq!(sent[1].uri(), "http://dep.test:8080/prefix/account");
    assert_eq!(sent[1].headers()[SESSION_HEADER], "S1");
}

#[tokio::test]
async fn a_401_re_authenticates_and_replays_the_request_once_with_its_body() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    transport.answer(401, &[], "UNAUTHORIZED");
    transport.session("S2");
    transport.answer(200, &[], r#"{"cursor":"c2","devices":[]}"#);
    let request = crate::api::SyncDeviceRequest {
        cursor: "c1".into(),
        limit: Some(5),
    };
    client.sync_devices("dep1", &request).await.unwrap();
    let sent = transport.sent.lock().unwrap();
    assert_eq!(sent[2].body(), sent[4].body());
    assert_eq!(sent[2].body().as_ref(), br#"{"cursor":"c1","limit":5}"#);
    assert_eq!(sent[4].headers()[SESSION_HEADER], "S2");
    assert_eq!(sent.len(), 5);
}

#[tokio::test]
async fn a_second_401_after_the_replay_is_returned_not_retried() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(401, &[], "UNAUTHORIZED");
    let err = client.account("dep1").await.unwrap_err();
    assert_eq!(err.apple().unwrap().status, StatusCode::UNAUTHORIZED);
    assert_eq!(transport.sent().len(), 2);
}

#[tokio::test]
async fn a_403_forbidden_re_authenticates_but_terms_not_signed_is_an_answer() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    transport.answer(403, &[], "\"FORBIDDEN\"");
    transport.session("S2");
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    transport.answer(403, &[], "T_C_NOT_SIGNED");
    let err = client.account("dep1").await.unwrap_err();
    assert!(err.is(&ErrorCode::TermsNotSigned), "{err:?}");
    let paths: Vec<_> = transport.sent().into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths.iter().filter(|p| p.ends_with("/session")).count(), 2);
}

#[tokio::test]
async fn a_rotated_session_token_is_used_from_then_on() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(200, &[(SESSION_HEADER, "S1b")], ACCOUNT);
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    client.account("dep1").await.unwrap();
    let sent = transport.sent();
    assert_eq!(sent[2].1.as_deref(), Some("S1b"));
}

#[tokio::test]
async fn server_errors_are_retried_with_exponential_backoff() {
    let (transport, store, _) = setup().await;
    let sleeper = Arc::new(Recorded::default());
    let client =
        Client::new(transport.clone(), store).with_retries(RetryPolicy::default(), sleeper.clone());
    transport.session("S1");
    transport.answer(500, &[], "");
    transport.answer(503, &[], "");
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    let waits = sleeper.0.lock().unwrap().clone();
    assert_eq!(waits, [Duration::from_secs(1), Duration::from_secs(2)]);
}

#[tokio::test]
async fn throttling_waits_as_long_as_retry_after_says() {
    let (transport, store, _) = setup().await;
    let sleeper = Arc::new(Recorded::default());
    let client =
        Client::new(transport.clone(), store).with_retries(RetryPolicy::default(), sleeper.clone());
    transport.answer(429, &[("retry-after", "7")], "TOO_MANY_REQUESTS");
    transport.session("S1");
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    assert_eq!(*sleeper.0.lock().unwrap(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_longest_wait_is_returned_to_the_caller() {
    let (transport, store, _) = setup().await;
    let sleeper = Arc::new(Recorded::default());
    let client =
        Client::new(transport.clone(), store).with_retries(RetryPolicy::default(), sleeper.clone());
    transport.session("S1");
    transport.answer(429, &[("retry-after", "3600")], "TOO_MANY_REQUESTS");
    let err = client.account("dep1").await.unwrap_err();
    let apple = err.apple().unwrap();
    assert_eq!(apple.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(apple.code, Some(ErrorCode::TooManyRequests));
    assert!(sleeper.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn without_a_retry_policy_a_server_error_is_returned_at_once() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(502, &[], "");
    let err = client.account("dep1").await.unwrap_err();
    assert_eq!(err.apple().unwrap().status, StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_name_without_tokens_is_named_in_the_error() {
    let (_, _, client) = setup().await;
    let err = client.account("nobody").await.unwrap_err();
    assert_eq!(err.to_string(), "no DEP auth tokens stored for nobody");
    let err = client.account("").await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn a_refused_session_is_an_auth_error_with_apples_code() {
    let (transport, _, client) = setup().await;
    transport.answer(403, &[], "T_C_NOT_SIGNED");
    let err = client.account("dep1").await.unwrap_err();
    assert!(matches!(&err, Error::Auth(e) if e.code == Some(ErrorCode::TermsNotSigned)));
}

#[tokio::test]
async fn the_configured_protocol_version_wins_over_the_clients_default() {
    let (transport, store, client) = setup().await;
    let config = Config {
        base_url: Some("http://dep.test".into()),
        server_protocol_version: Some(7),
    };
    store.store_config("dep1", &config).await.unwrap();
    transport.session("S1");
    transport.answer(200, &[], ACCOUNT);
    client.account("dep1").await.unwrap();
    let sent = transport.sent.lock().unwrap();
    assert_eq!(sent[1].uri(), "http://dep.test/account");
    assert_eq!(sent[1].headers()[PROTOCOL_VERSION_HEADER], "7");
}

#[tokio::test]
async fn cursor_errors_are_recognised_from_quoted_bodies() {
    let (transport, _, client) = setup().await;
    transport.session("S1");
    transport.answer(400, &[], "\"EXPIRED_CURSOR\"");
    let request = crate::api::SyncDeviceRequest::default();
    let err = client.sync_devices("dep1", &request).await.unwrap_err();
    assert!(err.is_cursor_unusable());
    assert!(err.is(&ErrorCode::ExpiredCursor));
}
