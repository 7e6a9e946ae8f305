//! Errors of the SCEP message layer and service.

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error from a depot implementation.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a SCEP message or operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The pkiMessage is not a valid, correctly signed SignedData.
    #[error("malformed or unverifiable pkiMessage")]
    Message(#[source] cryptoutil::Error),
    /// A signed attribute SCEP requires is absent or unreadable.
    #[error("pkiMessage lacks a valid {0} attribute")]
    MissingAttribute(&'static str),
    /// The messageType is not one RFC 8894 defines.
    #[error("unknown messageType {0}")]
    UnknownMessageType(String),
    /// The enveloped messageData could not be decrypted or parsed.
    #[error("cannot read the pkiMessage envelope")]
    Envelope(#[source] cryptoutil::Error),
    /// Building or signing a message failed.
    #[error("cannot build the SCEP message")]
    Build(#[source] cryptoutil::Error),
    /// A CertRep says the request failed.
    #[error("the CA refused the request ({fail_info:?}{})", text.as_deref().map(|t| format!(": {t}")).unwrap_or_default())]
    Refused {
        /// The failInfo the CA sent.
        fail_info: Option<crate::message::FailInfo>,
        /// The failInfoText the CA sent, if any.
        text: Option<String>,
    },
    /// The depot failed.
    #[error("depot error")]
    Depot(#[source] BoxError),
}
