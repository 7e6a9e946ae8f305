use super::*;

fn notification() -> Notification {
    Notification {
        token: vec![0xab, 0x01, 0xff],
        push_magic: "2A3B-magic".to_owned(),
        topic: "com.apple.mgmt.External.test".to_owned(),
        expiration: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
    }
}

#[test]
fn the_payload_is_exactly_the_mdm_key_with_the_push_magic() {
    assert_eq!(&notification().payload()[..], br#"{"mdm":"2A3B-magic"}"#);
}

#[test]
fn a_push_magic_with_quotes_is_json_escaped() {
    let mut n = notification();
    n.push_magic = "a\"b\\c".to_owned();
    assert_eq!(&n.payload()[..], br#"{"mdm":"a\"b\\c"}"#);
    let back: serde_json::Value = serde_json::from_slice(&n.payload()).unwrap();
    assert_eq!(back["mdm"], "a\"b\\c");
}

#[test]
fn the_request_carries_every_mdm_header_and_the_hex_token_path() {
    let base: Uri = "https://apns.example:2197/ignored".parse().unwrap();
    let request = notification().to_request(&base).unwrap();
    assert_eq!(request.method(), Method::POST);
    assert_eq!(
        request.uri().to_string(),
        "https://apns.example:2197/3/device/ab01ff"
    );
    let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header(APNS_TOPIC), "com.apple.mgmt.External.test");
    assert_eq!(header(APNS_PUSH_TYPE), "mdm");
    assert_eq!(header(APNS_PRIORITY), "10");
    assert_eq!(header(APNS_EXPIRATION), "1700000000");
    assert_eq!(request.body(), &notification().payload());
}

#[test]
fn no_expiration_sends_no_expiration_header() {
    let mut n = notification();
    n.expiration = None;
    let request = n.to_request(&"https://a.example".parse().unwrap()).unwrap();
    assert!(request.headers().get(APNS_EXPIRATION).is_none());
}

#[test]
fn a_base_without_authority_is_an_error() {
    let err = notification()
        .to_request(&"/relative".parse().unwrap())
        .unwrap_err();
    assert!(matches!(err, RequestError::BaseUrl(_)), "{err:?}");
    let mut n = notification();
    n.topic = "bad\ntopic".to_owned();
    let err = n
        .to_request(&"https://a.example".parse().unwrap())
        .unwrap_err();
    assert!(matches!(err, RequestError::Http(_)), "{err:?}");
}

#[test]
fn success_takes_the_apns_id_header() {
    let mut headers = HeaderMap::new();
    headers.insert(
        APNS_ID,
        "EC1BF194-B3B2-424A-89A9-5A918A6E6B5C".parse().unwrap(),
    );
    let pushed = parse_response(StatusCode::OK, &headers, b"").unwrap();
    assert_eq!(pushed.apns_id, "EC1BF194-B3B2-424A-89A9-5A918A6E6B5C");
}

#[test]
fn unregistered_carries_its_reason_and_timestamp() {
    let err = parse_response(
        StatusCode::GONE,
        &HeaderMap::new(),
        br#"{"reason":"Unregistered","timestamp":1700000000123}"#,
    )
    .unwrap_err();
    let PushError::Apns {
        status,
        reason,
        timestamp,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, 410);
    assert_eq!(reason, ApnsReason::Unregistered);
    assert_eq!(
        timestamp,
        Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
    );
}

#[test]
fn an_error_body_that_is_not_json_keeps_the_status() {
    let err = parse_response(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b"<html>").unwrap_err();
    assert!(
        matches!(&err, PushError::Apns { status: 502, reason: ApnsReason::Other(r), timestamp: None } if r.is_empty()),
        "{err:?}"
    );
    assert!(err.to_string().contains("502"), "{err}");
}
