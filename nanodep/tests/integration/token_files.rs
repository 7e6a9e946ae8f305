//! `.p7m` token files made the way Apple's are (BER, streamed) by
//! `openssl smime -encrypt -stream`, decrypted with keys nanodep generated.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use nanodep::token_pki::{self, KeyPair};
use nanodep::{OAuth1Tokens, TokenError};

const MESSAGE: &str = "Content-Type: text/plain;charset=UTF-8\r\n\
    Content-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\r\n\
    {\"consumer_key\":\"CK_48dd68d1\",\"consumer_secret\":\"CS_34c7b2b5\",\
    \"access_token\":\"AT_92769683\",\"access_secret\":\"AS_c31afd7a\",\
    \"access_token_expiry\":\"2099-07-01T22:18:53Z\"}\r\n-----END MESSAGE-----\r\n";

fn openssl_encrypt(dir: &Path, pair: &KeyPair, cipher: &str) -> Vec<u8> {
    std::fs::write(dir.join("cert.pem"), &pair.certificate_pem).unwrap();
    std::fs::write(dir.join("message.txt"), MESSAGE).unwrap();
    let out = dir.join(format!("token{cipher}.p7m"));
    let status = Command::new("openssl")
        .args(["smime", "-encrypt", "-stream", "-binary", cipher, "-in"])
        .arg(dir.join("message.txt"))
        .arg("-out")
        .arg(&out)
        .arg(dir.join("cert.pem"))
        .status()
        .expect("openssl is installed");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn expected() -> OAuth1Tokens {
    OAuth1Tokens {
        consumer_key: "CK_48dd68d1".into(),
        consumer_secret: "CS_34c7b2b5".into(),
        access_token: "AT_92769683".into(),
        access_secret: "AS_c31afd7a".into(),
        access_token_expiry: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(4_086_627_533)),
    }
}

#[test]
fn openssl_streamed_ber_token_files_decrypt_with_aes_256_and_3des() {
    let dir = tempfile::tempdir().unwrap();
    let pair = token_pki::self_signed_key_pair("depserver", 1, SystemTime::now()).unwrap();
    for cipher in ["-aes256", "-des3"] {
        let p7m = openssl_encrypt(dir.path(), &pair, cipher);
        // Indefinite lengths right after the base64 header, like Apple's.
        let der = token_pki::unwrap_smime(&p7m).unwrap();
        assert_eq!(&der[..2], [0x30, 0x80], "{cipher} output is BER");
        let tokens = token_pki::decrypt_token(&p7m, &pair, SystemTime::now()).unwrap();
        assert_eq!(tokens, expected(), "{cipher}");
    }
}

#[test]
fn openssl_token_files_for_another_key_pair_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let pair = token_pki::self_signed_key_pair("depserver", 1, now).unwrap();
    let other = token_pki::self_signed_key_pair("depserver", 1, now).unwrap();
    let p7m = openssl_encrypt(dir.path(), &pair, "-aes256");
    // Same issuer name and serial 1 as nanodep always uses: the recipient
    // matches, so the key transport is what fails.
    let err = token_pki::decrypt_token(&p7m, &other, now).unwrap_err();
    assert!(
        matches!(err, TokenError::WrongKey | TokenError::WrongCertificate),
        "{err:?}"
    );
}

#[test]
fn openssl_decrypts_what_token_pki_encrypts() {
    let dir = tempfile::tempdir().unwrap();
    let pair = token_pki::self_signed_key_pair("depserver", 1, SystemTime::now()).unwrap();
    let (certificate, _) = pair.load().unwrap();
    let p7m = token_pki::encrypt_token(
        &expected(),
        &certificate,
        cryptoutil::ContentEncryption::Aes256Cbc,
    )
    .unwrap();
    std::fs::write(dir.path().join("token.p7m"), &p7m).unwrap();
    std::fs::write(dir.path().join("key.pem"), &pair.key_pem).unwrap();
    let out = Command::new("openssl")
        .args(["smime", "-decrypt", "-in"])
        .arg(dir.path().join("token.p7m"))
        .arg("-inkey")
        .arg(dir.path().join("key.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens = token_pki::unwrap_token_message(&out.stdout).unwrap();
    assert_eq!(tokens, expected());
}

mod exchange {
    use std::time::SystemTime;

    use cryptoutil::ContentEncryption;
    use nanodep::store::{AuthTokensStore, TokenPkiStore};
    use nanodep::token_pki::{self, encrypt_token, finalize_token, stage_key_pair};
    use nanodep::{Error, MemoryStore, OAuth1Tokens, StoreError, TokenError};

    fn tokens(ck: &str) -> OAuth1Tokens {
        OAuth1Tokens {
            consumer_key: ck.into(),
            consumer_secret: "CS".into(),
            access_token: "AT".into(),
            access_secret: "AS".into(),
            access_token_expiry: None,
        }
    }

    fn apple_encrypts(pair: &token_pki::KeyPair, tokens: &OAuth1Tokens) -> Vec<u8> {
        let (certificate, _) = pair.load().unwrap();
        encrypt_token(tokens, &certificate, ContentEncryption::Aes128Cbc).unwrap()
    }

    #[tokio::test]
    async fn a_staged_key_becomes_current_only_once_a_token_decrypts_with_it() {
        let store = MemoryStore::new();
        let now = SystemTime::now();
        let pair = stage_key_pair(&store, "dep1", "depserver", 1, now)
            .await
            .unwrap();
        assert!(matches!(
            store.retrieve_current_token_pki("dep1").await,
            Err(StoreError::NotFound)
        ));
        let garbage = b"Content-Type: application/pkcs7-mime\n\nMIAGCSqG\n";
        assert!(
            finalize_token(&store, "dep1", garbage, false, now)
                .await
                .is_err()
        );
        assert!(matches!(
            store.retrieve_current_token_pki("dep1").await,
            Err(StoreError::NotFound)
        ));
        let p7m = apple_encrypts(&pair, &tokens("CK_1"));
        let got = finalize_token(&store, "dep1", &p7m, false, now)
            .await
            .unwrap();
        assert_eq!(got, tokens("CK_1"));
        assert_eq!(
            store.retrieve_current_token_pki("dep1").await.unwrap(),
            pair
        );
        assert_eq!(store.retrieve_auth_tokens("dep1").await.unwrap(), got);
    }

    #[tokio::test]
    async fn renewing_keeps_the_current_key_until_the_new_token_arrives() {
        let store = MemoryStore::new();
        let now = SystemTime::now();
        let first = stage_key_pair(&store, "dep1", "depserver", 1, now)
            .await
            .unwrap();
        let p7m = apple_encrypts(&first, &tokens("CK_1"));
        finalize_token(&store, "dep1", &p7m, false, now)
            .await
            .unwrap();
        let second = stage_key_pair(&store, "dep1", "depserver", 1, now)
            .await
            .unwrap();
        assert_eq!(
            store.retrieve_current_token_pki("dep1").await.unwrap(),
            first
        );
        // A token still encrypted to the old key no longer decrypts.
        let err = finalize_token(&store, "dep1", &p7m, false, now)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Token(TokenError::WrongKey)), "{err:?}");
        let renewed = apple_encrypts(&second, &tokens("CK_1"));
        finalize_token(&store, "dep1", &renewed, false, now)
            .await
            .unwrap();
        assert_eq!(
            store.retrieve_current_token_pki("dep1").await.unwrap(),
            second
        );
    }

    #[tokio::test]
    async fn another_servers_token_is_refused_and_changes_nothing_unless_forced() {
        let store = MemoryStore::new();
        let now = SystemTime::now();
        let first = stage_key_pair(&store, "dep1", "depserver", 1, now)
            .await
            .unwrap();
        let p7m = apple_encrypts(&first, &tokens("CK_1"));
        finalize_token(&store, "dep1", &p7m, false, now)
            .await
            .unwrap();
        let second = stage_key_pair(&store, "dep1", "depserver", 1, now)
            .await
            .unwrap();
        let other = apple_encrypts(&second, &tokens("CK_2"));
        let err = finalize_token(&store, "dep1", &other, false, now)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::MismatchedConsumerKey { .. }),
            "{err:?}"
        );
        assert_eq!(
            store.retrieve_current_token_pki("dep1").await.unwrap(),
            first
        );
        assert_eq!(
            store.retrieve_auth_tokens("dep1").await.unwrap(),
            tokens("CK_1")
        );
        finalize_token(&store, "dep1", &other, true, now)
            .await
            .unwrap();
        assert_eq!(
            store.retrieve_auth_tokens("dep1").await.unwrap(),
            tokens("CK_2")
        );
    }

    #[tokio::test]
    async fn finalizing_without_a_staged_key_is_not_found() {
        let store = MemoryStore::new();
        let err = finalize_token(&store, "dep1", b"x", false, SystemTime::now())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Store(StoreError::NotFound)), "{err:?}");
    }
}
