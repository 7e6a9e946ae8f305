use super::*;

#[test]
fn bytes_to_key_matches_openssl_enc_for_a_known_vector() {
    // `openssl enc -aes-256-cbc -md md5 -pass pass:xyz -S 0102030405060708 -P`
    // (whose first 24 bytes are the DES-EDE3 key).
    let key = bytes_to_key(b"xyz", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
    assert_eq!(
        hex_upper(&key),
        "F69741422F75D41481DDEECE3F69C7299A754970F8E14C9A5388D10521DC34DB"
    );
}

#[test]
fn encryption_round_trips_through_decryption() {
    let der = [0x30, 0x03, 0x02, 0x01, 0x05];
    let pem = encrypt_des3("RSA PRIVATE KEY", &der, b"pw").unwrap();
    assert!(pem.contains("Proc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,"));
    let (label, decrypted) = decrypt(&pem, b"pw").unwrap();
    assert_eq!(label, "RSA PRIVATE KEY");
    assert_eq!(decrypted, der);
}

#[test]
fn a_wrong_password_is_an_error_saying_so() {
    let der = [0x30, 0x03, 0x02, 0x01, 0x05];
    let pem = encrypt_des3("RSA PRIVATE KEY", &der, b"pw").unwrap();
    let err = decrypt(&pem, b"other").unwrap_err();
    assert!(err.to_string().contains("wrong password"), "{err}");
}

#[test]
fn an_unencrypted_block_is_an_error_saying_so() {
    let pem = crate::pem::encode("RSA PRIVATE KEY", &[0x30, 0x00]);
    let err = decrypt(&pem, b"").unwrap_err();
    assert!(err.to_string().contains("not legacy-encrypted"), "{err}");
}

#[test]
fn an_unknown_cipher_is_named_in_the_error() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: BF-CBC,0001020304050607\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    let err = decrypt(pem, b"").unwrap_err();
    assert!(err.to_string().contains("BF-CBC"), "{err}");
}
