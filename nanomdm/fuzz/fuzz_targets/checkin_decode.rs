//! Fuzzes `nanomdm::protocol::checkin::decode` (XML and binary plists).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkin) = nanomdm::protocol::checkin::decode(data) {
        // A decoded check-in keeps its body and resolves to a non-empty ID.
        assert_eq!(checkin.raw, data);
        assert!(!checkin.enrollment.0.as_str().is_empty());
        let _ = checkin.message.message_type();
    }
});
