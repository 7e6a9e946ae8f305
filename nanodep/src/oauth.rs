//! OAuth 1.0a (RFC 5849) HMAC-SHA1 signatures, as `GET /session` needs
//! them. Pure: the timestamp and nonce come in. Ported from Go
//! `client.DoAuth` (which uses dghubble/oauth1).

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Uri;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::token_pki::OAuth1Tokens;

/// RFC 5849 §3.6: everything but unreserved characters is encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `text` as RFC 5849 §3.6 requires.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODE).to_string()
}

/// The base string URI (RFC 5849 §3.4.1.2): lower-case scheme and host,
/// default ports dropped, no query.
fn base_uri(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    let port = match (scheme.as_str(), uri.port_u16()) {
        ("http", Some(80)) | ("https", Some(443)) | (_, None) => String::new(),
        (_, Some(port)) => format!(":{port}"),
    };
    let path = match uri.path() {
        "" => "/",
        path => path,
    };
    format!("{scheme}://{host}{port}{path}")
}

/// The signature base string of `method` `uri` with the protocol
/// parameters `oauth` (RFC 5849 §3.4.1); query parameters are included.
pub fn base_string(method: &str, uri: &Uri, oauth: &[(String, String)]) -> String {
    let query = uri.query().unwrap_or_default();
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (encode(&k), encode(&v)))
        .chain(oauth.iter().map(|(k, v)| (encode(k), encode(v))))
        .collect();
    params.sort();
    let normalized = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(&base_uri(uri)),
        encode(&normalized)
    )
}

/// The HMAC-SHA1 signature (base64) of `base_string` with the two secrets.
pub fn sign(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    STANDARD.encode(hmac::sign(&key, base_string.as_bytes()).as_ref())
}

/// The protocol parameters of a request signed with `tokens`, without the
/// signature.
fn protocol_params(tokens: &OAuth1Tokens, timestamp: u64, nonce: &str) -> Vec<(String, String)> {
    [
        ("oauth_consumer_key", tokens.consumer_key.as_str()),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", &timestamp.to_string()),
        ("oauth_token", tokens.access_token.as_str()),
        ("oauth_version", "1.0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The `Authorization: OAuth ...` header value for `method` `uri` signed
/// with `tokens` at `timestamp` (Unix seconds) with `nonce`.
pub fn authorization(
    method: &str,
    uri: &Uri,
    tokens: &OAuth1Tokens,
    timestamp: u64,
    nonce: &str,
) -> String {
    let mut params = protocol_params(tokens, timestamp, nonce);
    let base = base_string(method, uri, &params);
    let signature = sign(&base, &tokens.consumer_secret, &tokens.access_secret);
    params.push(("oauth_signature".into(), signature));
    params.sort();
    let fields = params
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", encode(v)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("OAuth {fields}")
}

/// The parameters of an `Authorization: OAuth ...` header, decoded, in
/// header order; `None` if it is not an OAuth header or is malformed.
pub fn parse_authorization(header: &str) -> Option<Vec<(String, String)>> {
    let rest = header.trim().strip_prefix("OAuth ")?;
    rest.split(',')
        .map(|field| {
            let (key, value) = field.trim().split_once('=')?;
            let value = value.strip_prefix('"')?.strip_suffix('"')?;
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .ok()?;
            Some((key.to_owned(), value.into_owned()))
        })
        .collect()
}

/// Checks the HMAC-SHA1 signature of an `Authorization` header for
/// `method` `uri` against `tokens` (the `realm` parameter is not signed).
/// Returns false for any other signature method, for missing or repeated
/// parameters and for another consumer key or token.
pub fn verify(method: &str, uri: &Uri, header: &str, tokens: &OAuth1Tokens) -> bool {
    let Some(params) = parse_authorization(header) else {
        return false;
    };
    let mut signature = None;
    let mut signed = Vec::new();
    for (key, value) in params {
        match key.as_str() {
            "realm" => {}
            "oauth_signature" if signature.is_none() => signature = Some(value),
            "oauth_signature" => return false,
            _ => signed.push((key, value)),
        }
    }
    let get = |name: &str| {
        let mut values = signed.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (values.next(), values.next()) {
            (Some(value), None) => Some(value.as_str()),
            _ => None,
        }
    };
    let expected_params = get("oauth_consumer_key") == Some(tokens.consumer_key.as_str())
        && get("oauth_token") == Some(tokens.access_token.as_str())
        && get("oauth_signature_method") == Some("HMAC-SHA1")
        && get("oauth_nonce").is_some()
        && get("oauth_timestamp").is_some();
    let Some(signature) = signature.filter(|_| expected_params) else {
        return false;
    };
    let expected = sign(
        &base_string(method, uri, &signed),
        &tokens.consumer_secret,
        &tokens.access_secret,
    );
    // Compare in constant time: the signature is a secret-derived MAC.
    aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), signature.as_bytes())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photos_tokens() -> OAuth1Tokens {
        // OAuth Core 1.0, Appendix A (the "photos.example.net" walk-through).
        OAuth1Tokens {
            consumer_key: "dpf43f3p2l4k3l03".into(),
            consumer_secret: "kd94hf93k423kf44".into(),
            access_token: "nnch734d00sl2jdk".into(),
            access_secret: "pfkkdhi9sl3r4s00".into(),
            access_token_expiry: None,
        }
    }

    #[test]
    fn the_oauth_core_appendix_a_signature_is_reproduced() {
        let uri: Uri = "http://photos.example.net/photos?file=vacation.jpg&size=original"
            .parse()
            .unwrap();
        let params = protocol_params(&photos_tokens(), 1_191_242_096, "kllo9940pd9333jh");
        let base = base_string("GET", &uri, &params);
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26\
             oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26\
             oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26\
             oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
        );
        assert_eq!(
            sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
            "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
        );
    }

    #[test]
    fn a_signed_header_verifies_and_any_change_breaks_it() {
        let uri: Uri = "https://dep.test:8443/session".parse().unwrap();
        let tokens = photos_tokens();
        let header = authorization("GET", &uri, &tokens, 1_700_000_000, "abc");
        assert!(header.starts_with("OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", "));
        assert!(verify("GET", &uri, &header, &tokens));
        let other: Uri = "https://dep.test:8443/account".parse().unwrap();
        assert!(!verify("GET", &other, &header, &tokens));
        let mut wrong = tokens.clone();
        wrong.access_secret = "x".into();
        assert!(!verify("GET", &uri, &header, &wrong));
        let tampered = header.replace("1700000000", "1700000001");
        assert!(!verify("GET", &uri, &tampered, &tokens));
        let realm = header.replacen("OAuth ", "OAuth realm=\"ADM\", ", 1);
        assert!(verify("GET", &uri, &realm, &tokens));
        let plaintext = header.replace("HMAC-SHA1", "PLAINTEXT");
        assert!(!verify("GET", &uri, &plaintext, &tokens));
    }

    #[test]
    fn default_ports_and_case_do_not_change_the_base_uri() {
        let a: Uri = "HTTPS://Dep.Test:443/session".parse().unwrap();
        let b: Uri = "https://dep.test/session".parse().unwrap();
        assert_eq!(base_uri(&a), base_uri(&b));
        assert_eq!(encode("a b+~*"), "a%20b%2B~%2A");
    }
}
