//! Fuzzes `cryptoutil::ber::to_der` and checks that its output is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(der) = cryptoutil::ber::to_der(data) {
        // Normalised output must itself normalise to exactly the same bytes.
        assert_eq!(
            cryptoutil::ber::to_der(&der),
            Ok(der.clone()),
            "to_der is not idempotent"
        );
    }
});
