//! Fuzzes cryptoutil's CMS SignedData/EnvelopedData, CSR, certificate and PEM parsers.
#![no_main]

use cryptoutil::cms::enveloped_data::EnvelopedMessage;
use cryptoutil::cms::signed_data::SignedMessage;
use cryptoutil::csr::Csr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = SignedMessage::from_ber(data) {
        let _ = message.verify(Some(b"content"));
        let _ = message.verify(None);
        let _ = message.certificates();
    }

    if let Ok(message) = EnvelopedMessage::from_ber(data) {
        let _ = message.content_encryption();
    }

    if let Ok(csr) = Csr::from_der(data) {
        let _ = csr.verify_signature();
        let _ = csr.challenge_password();
        let _ = csr.requested_extensions();
    }

    let _ = cryptoutil::cert::from_pem_or_der(data);

    let _ = cryptoutil::pem::blocks(&String::from_utf8_lossy(data));
});
