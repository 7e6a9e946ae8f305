//! Fuzzes the decoders of what devices send: `nanomdm::protocol::checkin::decode`
//! and `nanomdm::protocol::command::decode_report` (XML and binary plists).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkin) = nanomdm::protocol::checkin::decode(data) {
        // A decoded check-in keeps its body and resolves to a non-empty ID.
        assert_eq!(checkin.raw, data);
        assert!(!checkin.channel.id.as_str().is_empty());
        let _ = checkin.message.message_type();
    }
    if let Ok(report) = nanomdm::protocol::command::decode_report(data) {
        assert_eq!(report.raw, data);
        assert!(!report.channel.id.as_str().is_empty());
        // Only Idle reports may lack a CommandUUID.
        assert!(report.is_idle() || report.command_uuid.is_some());
    }
});
