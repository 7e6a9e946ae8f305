//! Errors of the token PKI, the storage traits, the DEP client, the syncer
//! and the assigner.

use std::time::Duration;

use http::StatusCode;

use crate::api::ErrorCode;

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a storage backend or a transport.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a DEP operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A token file or token key pair could not be used.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The storage backend failed.
    #[error("DEP storage failed")]
    Store(#[from] StoreError),
    /// No OAuth tokens are stored for the DEP name.
    #[error("no DEP auth tokens stored for {name}")]
    NoAuthTokens {
        /// The DEP name.
        name: String,
    },
    /// The request could not be sent or no response came back.
    #[error("cannot reach the DEP service")]
    Transport(#[from] TransportError),
    /// `GET /session` failed: the OAuth tokens were refused.
    #[error("DEP authentication failed: {0}")]
    Auth(AppleError),
    /// Apple answered an API call with an error status.
    #[error("DEP request failed: {0}")]
    Apple(AppleError),
    /// A response body is not the JSON the endpoint documents.
    #[error("malformed DEP {what} response")]
    Decode {
        /// The response that failed to decode, e.g. "account".
        what: &'static str,
        /// The JSON decoder's reason.
        #[source]
        source: serde_json::Error,
    },
    /// A request could not be built (a bad base URL, an empty DEP name).
    #[error("invalid DEP request: {0}")]
    InvalidRequest(String),
    /// New tokens carry another consumer key than the stored ones
    /// (probably another MDM server's token); store them with `force`.
    #[error("mismatched consumer key for {name}: the token belongs to another DEP server")]
    MismatchedConsumerKey {
        /// The DEP name.
        name: String,
    },
    /// A device callback of the syncer failed.
    #[error("device callback failed")]
    Callback(#[source] BoxError),
}

impl Error {
    /// The Apple error, for [`Error::Auth`] and [`Error::Apple`].
    pub fn apple(&self) -> Option<&AppleError> {
        match self {
            Self::Auth(e) | Self::Apple(e) => Some(e),
            _ => None,
        }
    }

    /// Whether Apple answered with `code` (and the status it comes with).
    /// Ported from Go `godep.IsCursorExhausted` and its siblings.
    pub fn is(&self, code: &ErrorCode) -> bool {
        self.apple().is_some_and(|e| e.code.as_ref() == Some(code))
    }

    /// Whether the cursor was refused as expired or invalid, so the syncer
    /// must start a full fetch again.
    pub fn is_cursor_unusable(&self) -> bool {
        self.apple().is_some_and(|e| {
            e.status == StatusCode::BAD_REQUEST
                && matches!(
                    e.code,
                    Some(ErrorCode::ExpiredCursor | ErrorCode::InvalidCursor)
                )
        })
    }
}

/// An error status and body from Apple's DEP service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppleError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code parsed from the body, if it holds one.
    pub code: Option<ErrorCode>,
    /// The body, truncated to [`AppleError::MAX_BODY`] bytes.
    pub body: String,
    /// When to try again, from `Retry-After`.
    pub retry_after: Option<Duration>,
}

impl AppleError {
    /// The longest body kept, in bytes.
    pub const MAX_BODY: usize = 1024;
}

impl std::fmt::Display for AppleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        Ok(())
    }
}

/// Why a `Transport` could not deliver a request.
#[derive(Debug, thiserror::Error)]
#[error("HTTP transport failed")]
pub struct TransportError(#[source] pub BoxError);

impl TransportError {
    /// Wraps any error.
    pub fn new(e: impl Into<BoxError>) -> Self {
        Self(e.into())
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The item does not exist.
    #[error("not found")]
    NotFound,
    /// The write conflicts with stored data.
    #[error("conflict")]
    Conflict,
    /// The backend failed.
    #[error("storage backend failed")]
    Backend(#[source] BoxError),
}

/// Why a token file could not be turned into OAuth tokens, or a token key
/// pair could not be made or loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The file does not start with MIME headers of an S/MIME
    /// `application/pkcs7-mime` message.
    #[error("token file is not an S/MIME message: {0}")]
    NotSmime(&'static str),
    /// The base64 body or the CMS structure inside is cut short or corrupt.
    #[error("token file is truncated or corrupt")]
    Truncated(#[source] BoxError),
    /// The token is encrypted to another certificate than the one given.
    #[error(
        "token file is encrypted to another certificate; use the key pair whose certificate was uploaded"
    )]
    WrongCertificate,
    /// Decryption with the key failed: the key does not belong to the
    /// certificate, or the content is corrupt.
    #[error("cannot decrypt the token file with this key")]
    WrongKey,
    /// The decrypted content is not a token message.
    #[error("decrypted token is not a token message: {0}")]
    Message(&'static str),
    /// The token JSON is malformed.
    #[error("malformed token JSON")]
    Json(#[source] serde_json::Error),
    /// A required token field is empty.
    #[error("token has an empty {0}")]
    Incomplete(&'static str),
    /// The access token expired; download a new token from Apple.
    #[error("token expired at {expiry}; download a new one")]
    Expired {
        /// The expiry, as RFC 3339.
        expiry: String,
    },
    /// The key pair could not be generated, encoded or loaded.
    #[error("invalid token key pair: {0}")]
    KeyPair(&'static str, #[source] cryptoutil::Error),
}
