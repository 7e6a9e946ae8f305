#![no_main]
//! Fuzzes SCEP pkiMessage parsing and the messageData decoders.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = scep::PkiMessage::parse(data) {
        let _ = message.envelope_cipher();
    }
    let _ = scep::message::issuer_and_subject(data);
    let _ = scep::message::issuer_and_serial_number(data);
});
