//! The client's error type.

use http::StatusCode;

use crate::error::{BoxError, Error};
use crate::message::FailInfo;

/// Why a SCEP client operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The transport did not deliver a response.
    #[error("transport failure during {operation}")]
    Transport {
        /// The SCEP operation, e.g. `GetCACert`.
        operation: &'static str,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// The server answered with a status other than 200.
    #[error("HTTP status {status} from {operation}: {first_line}")]
    Status {
        /// The SCEP operation.
        operation: &'static str,
        /// The status received.
        status: StatusCode,
        /// The first line of the body (at most 200 characters).
        first_line: String,
    },
    /// The response's Content-Type is not one the operation returns.
    #[error("wrong content type {found:?} from {operation}, expected {expected}")]
    ContentType {
        /// The SCEP operation.
        operation: &'static str,
        /// What was expected.
        expected: &'static str,
        /// What was received (empty when absent).
        found: String,
    },
    /// A GetCACert response does not hold a readable certificate.
    #[error("malformed certificate in the GetCACert response")]
    Certificate(#[source] cryptoutil::Error),
    /// GetCACert returned no certificate, or the caller gave no recipient.
    #[error("no CA certificate to encrypt the request to")]
    NoRecipient,
    /// The CSR or the pkiMessage could not be built.
    #[error("cannot build the {0} request")]
    Request(&'static str, #[source] Error),
    /// The CertRep does not parse or its signature does not verify.
    #[error("malformed or unverifiable CertRep")]
    MalformedCertRep(#[source] Error),
    /// The CertRep parsed but does not answer our request.
    #[error("CertRep check failed: {0}")]
    CertRepCheck(&'static str),
    /// The CertRep is a SUCCESS whose certificate cannot be read.
    #[error("cannot read the issued certificate from the CertRep")]
    IssuedCertificate(#[source] Error),
    /// The CA refused the request (pkiStatus FAILURE).
    #[error("the CA refused the request, failInfo: {}{}", fail_info_name(*.fail_info), .text.as_deref().map(|t| format!(", failInfoText: {t}")).unwrap_or_default())]
    Refused {
        /// The failInfo the CA sent, if any.
        fail_info: Option<FailInfo>,
        /// The failInfoText the CA sent, if any.
        text: Option<String>,
    },
}

/// micromdm's spelling of a failInfo, e.g. `badRequest (2)`.
fn fail_info_name(fail_info: Option<FailInfo>) -> &'static str {
    match fail_info {
        Some(FailInfo::BadAlg) => "badAlg (0)",
        Some(FailInfo::BadMessageCheck) => "badMessageCheck (1)",
        Some(FailInfo::BadRequest) => "badRequest (2)",
        Some(FailInfo::BadTime) => "badTime (3)",
        Some(FailInfo::BadCertId) => "badCertId (4)",
        None => "none",
    }
}
