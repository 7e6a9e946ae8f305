//! Fuzzes nanodep's parsers of untrusted bytes: the `.p7m` token file (S/MIME
//! text, CMS inside, the token message), Apple's error bodies and OAuth
//! headers.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use nanodep::token_pki::{self, KeyPair};

/// A fixed "now" (2023-11-14): certificates cannot start before 1970.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn key_pair() -> &'static KeyPair {
    static PAIR: OnceLock<KeyPair> = OnceLock::new();
    PAIR.get_or_init(|| {
        token_pki::self_signed_key_pair("fuzz", 1, now())
            .expect("a key pair can be generated")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = token_pki::decrypt_token(data, key_pair(), now());
    let _ = token_pki::unwrap_token_message(data);
    let text = String::from_utf8_lossy(data);
    let _ = nanodep::ErrorCode::from_body(&text);
    let _ = nanodep::oauth::parse_authorization(&text);
    let _ = serde_json::from_slice::<nanodep::api::DeviceListResponse>(data);
});
