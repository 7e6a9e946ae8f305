//! Errors returned by every operation of this crate.

use const_oid::ObjectIdentifier;

use crate::ber::BerError;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a cryptographic operation or a parse failed.
///
/// Messages are lowercase and name the thing that was wrong; they never
/// include key material or decrypted content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not valid BER.
    #[error("malformed BER")]
    Ber(#[source] BerError),
    /// The (normalised) input does not decode as the expected ASN.1 structure.
    #[error("malformed {what}")]
    Asn1 {
        /// The structure that failed to decode, e.g. "SignedData".
        what: &'static str,
        /// The decoder's reason.
        #[source]
        source: der::Error,
    },
    /// A PEM document could not be read.
    #[error("malformed PEM: {0}")]
    Pem(String),
    /// A CMS ContentInfo carries another content type than expected.
    #[error("expected CMS content type {expected}, found {found}")]
    UnexpectedContentType {
        /// The content type the caller asked for.
        expected: ObjectIdentifier,
        /// The content type found in the input.
        found: ObjectIdentifier,
    },
    /// An algorithm identifier this crate does not implement.
    #[error("unsupported {kind} algorithm {oid}")]
    UnsupportedAlgorithm {
        /// Which kind of algorithm: "digest", "signature", "content encryption", ...
        kind: &'static str,
        /// The identifier found in the input.
        oid: ObjectIdentifier,
    },
    /// A private key was rejected when loading or generating it.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(&'static str),
    /// A public key could not be used.
    #[error("invalid public key")]
    InvalidPublicKey,
    /// A signature did not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// The messageDigest signed attribute does not match the content.
    #[error("message digest does not match the content")]
    DigestMismatch,
    /// A SignedData is malformed in a way the decoder cannot see.
    #[error("invalid SignedData: {0}")]
    InvalidSignedData(&'static str),
    /// An EnvelopedData is malformed in a way the decoder cannot see.
    #[error("invalid EnvelopedData: {0}")]
    InvalidEnvelopedData(&'static str),
    /// No certificate in the SignedData matches a SignerInfo's identifier.
    #[error("no certificate for signer")]
    SignerCertificateNotFound,
    /// The signingTime attribute lies outside the signer certificate's validity.
    #[error("signing time outside the signer certificate's validity")]
    SigningTimeOutsideValidity,
    /// No RecipientInfo of an EnvelopedData is addressed to the given certificate.
    #[error("no enveloped recipient for the given certificate")]
    NoMatchingRecipient,
    /// Decryption failed: wrong key, corrupted ciphertext or bad padding.
    ///
    /// Deliberately carries no detail, so that a network peer cannot tell a
    /// key-transport failure from a padding failure (Bleichenbacher/Marvin).
    #[error("decryption failed")]
    Decrypt,
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Encrypt(&'static str),
    /// An RSA key is smaller than the operation accepts.
    #[error("RSA key of {bits} bits is too small (at least {min} bits required)")]
    RsaKeyTooSmall {
        /// The key's modulus size in bits.
        bits: usize,
        /// The smallest modulus size accepted.
        min: usize,
    },
    /// A plaintext is longer than RSAES-PKCS1-v1_5 can carry with the key.
    #[error("plaintext of {len} bytes is too long for the RSA key (at most {max} bytes)")]
    PlaintextTooLong {
        /// The plaintext's length in bytes.
        len: usize,
        /// The longest plaintext the key can carry (its size in bytes - 11).
        max: usize,
    },
    /// The private key operation failed.
    #[error("signing failed")]
    Sign,
    /// A certificate signing request is invalid.
    #[error("invalid certificate signing request: {0}")]
    InvalidCsr(&'static str),
    /// A certificate could not be built or is unusable for what was asked.
    #[error("invalid certificate: {0}")]
    InvalidCertificate(&'static str),
    /// A certificate revocation list could not be built.
    #[error("invalid CRL: {0}")]
    InvalidCrl(&'static str),
    /// A push certificate has no usable APNs topic.
    #[error("no APNs topic: {0}")]
    NoApnsTopic(&'static str),
}

impl Error {
    /// Wraps a `der` decoding error with the name of the structure.
    pub(crate) fn asn1(what: &'static str) -> impl FnOnce(der::Error) -> Self {
        move |source| Self::Asn1 { what, source }
    }
}

impl From<BerError> for Error {
    fn from(e: BerError) -> Self {
        Self::Ber(e)
    }
}
