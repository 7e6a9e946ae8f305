//! Errors of the protocol layer and of identity extraction.

/// Why a check-in or command-report plist could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not a property list, or a key has the wrong type.
    #[error("malformed plist")]
    Plist(#[source] plist::Error),
    /// A key the message type requires is absent or empty.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A check-in MessageType this library does not know.
    #[error("unknown check-in MessageType {0:?}")]
    UnknownMessageType(String),
    /// A command report Status this library does not know.
    #[error("unknown command report Status {0:?}")]
    UnknownStatus(String),
    /// A value is present but unusable (e.g. an empty UDID).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The plist key.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why a device identity (client certificate) could not be established.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// No identity was presented (no `Mdm-Signature`, no client certificate).
    #[error("no device identity presented")]
    Missing,
    /// The `Mdm-Signature` header is not a CMS SignedData.
    #[error("malformed Mdm-Signature header")]
    MalformedSignature(#[source] cryptoutil::Error),
    /// The `Mdm-Signature` header is unusable before CMS parsing (not
    /// base64, repeated, not ASCII) or does not have exactly one signer.
    #[error("unusable Mdm-Signature header: {0}")]
    SignatureEncoding(&'static str),
    /// The `Mdm-Signature` does not verify over the body.
    #[error("Mdm-Signature does not verify over the body")]
    BadSignature(#[source] cryptoutil::Error),
    /// The certificate header of a TLS-terminating proxy is malformed.
    #[error("malformed client certificate header: {0}")]
    MalformedHeader(&'static str),
    /// The client certificate (from TLS or a proxy header) is not a DER
    /// X.509 certificate.
    #[error("malformed client certificate")]
    MalformedCertificate(#[source] cryptoutil::Error),
    /// The certificate is not issued by any configured CA.
    #[error("client certificate not issued by a trusted CA")]
    UntrustedIssuer,
    /// The certificate (or its chain) is not valid at the time of the
    /// request.
    #[error("client certificate expired or not yet valid")]
    Expired,
    /// The certificate's ExtendedKeyUsage excludes client authentication.
    #[error("client certificate not usable for client authentication")]
    NotForClientAuth,
}
