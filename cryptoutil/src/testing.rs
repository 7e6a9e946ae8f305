//! Test support, behind the `testing` feature: the conformance suite that
//! every [`PrivateKey`](crate::PrivateKey) implementation must pass.
//!
//! An HSM- or KMS-backed key runs the whole suite with one line:
//!
//! ```ignore
//! cryptoutil::private_key_conformance!(Box::new(MyKmsKey::connect()));
//! ```

pub mod conformance;

/// Emits one `#[test]` per contract of [`PrivateKey`](crate::PrivateKey),
/// each calling the same-named function of [`conformance`] with a fresh key.
///
/// The argument is an expression evaluated once per test that yields a
/// pointer to the key under test (`Box`, `Arc` or `&'static`). Attributes
/// given before it (e.g. `#[ignore = "needs the HSM"]`) go on every test.
#[macro_export]
macro_rules! private_key_conformance {
    ($(#[$attr:meta])* $make_key:expr) => {
        $crate::private_key_conformance!(@each [$(#[$attr])*] $make_key;
            signatures_verify_with_the_public_key,
            signatures_do_not_verify_for_another_message,
            sha1_signing_is_refused_or_verifies,
            decryption_inverts_pkcs1v15_encryption,
            decryption_of_a_wrong_length_ciphertext_is_an_error,
            decryption_of_garbage_fails_without_detail,
            public_key_round_trips_through_der,
            cms_signed_data_from_the_key_verifies,
            cms_envelope_to_the_key_decrypts,
        );
    };
    (@each [$($attr:tt)*] $make_key:expr; $name:ident, $($rest:ident,)*) => {
        #[test]
        $($attr)*
        fn $name() {
            let key = $make_key;
            $crate::testing::conformance::$name(&*key);
        }
        $crate::private_key_conformance!(@each [$($attr)*] $make_key; $($rest,)*);
    };
    (@each [$($attr:tt)*] $make_key:expr;) => {};
}
