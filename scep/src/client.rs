//! A SCEP client (RFC 8894 §4), ported from micromdm/scep's `client`
//! package and the request side of `scepclient`. It does no I/O of its
//! own: the embedding program supplies a [`Transport`] (hyper, reqwest, a
//! test double), and the client builds the requests and checks the
//! replies.
//!
//! ```no_run
//! # async fn example(transport: impl scep::client::Transport,
//! #     csr: &[u8], requester: scep::message::Requester<'_>) -> Result<(), scep::client::ClientError> {
//! use scep::client::{Client, Enrollment};
//! use scep::message::MessageType;
//!
//! let client = Client::new(transport, "http://127.0.0.1:8080/scep".parse().unwrap());
//! let ca = client.ca_certificates(None).await?;
//! match client.enroll(csr, requester, &ca, MessageType::PkcsReq).await? {
//!     Enrollment::Issued(certificate) => { /* store it */ }
//!     Enrollment::Pending { transaction_id } => { /* poll later */ }
//!     _ => { /* answers added in later versions */ }
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::OnceLock;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use cryptoutil::cert::{self, Certificate};
use cryptoutil::cms::signed_data;
use cryptoutil::csr::Csr;
use cryptoutil::der::{Encode, Header, Length, Tag};
use cryptoutil::x509_cert::name::Name;
use http::{Method, Request, Response, StatusCode, Uri, header};

use crate::error::{BoxError, Error};
use crate::message::{self, MessageType, Requester};

mod capabilities;
mod error;
mod reply;

pub use capabilities::Capabilities;
pub use error::ClientError;
use reply::Expected;

/// Sends one HTTP request and returns the response (the embedding program
/// supplies hyper, reqwest, ...).
///
/// Contract: the request's URI is absolute (`http://host/scep?...`); the
/// response body is complete; an `Err` means no HTTP response was received
/// (connection refused, timeout), never an HTTP error status.
#[async_trait]
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the whole response.
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, BoxError>;
}

/// The answer to an enrollment (or poll).
#[derive(Debug, Clone)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per enrollment; boxing the certificate would only burden callers"
)]
pub enum Enrollment {
    /// The CA issued this certificate.
    Issued(Certificate),
    /// The request waits for approval; poll with the same transactionID.
    Pending {
        /// The transactionID to poll for.
        transaction_id: String,
    },
}

/// A SCEP client for one server URL.
#[derive(Debug)]
pub struct Client<T> {
    transport: T,
    url: Uri,
    caps: OnceLock<Capabilities>,
}

impl<T: Transport> Client<T> {
    /// A client for the SCEP URL `url` (e.g. `http://host/scep`; the
    /// operation is appended as a query).
    pub fn new(transport: T, url: Uri) -> Self {
        Self {
            transport,
            url,
            caps: OnceLock::new(),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// GetCACaps: fetches and parses the server's capabilities. The answer
    /// is remembered for later enrollments.
    pub async fn ca_caps(&self) -> Result<Capabilities, ClientError> {
        const OPERATION: &str = "GetCACaps";
        let response = self.get(OPERATION, None).await?;
        let caps = Capabilities::parse(&String::from_utf8_lossy(response.body()));
        let _ = self.caps.set(caps.clone());
        Ok(caps)
    }

    async fn cached_caps(&self) -> Result<Capabilities, ClientError> {
        match self.caps.get() {
            Some(caps) => Ok(caps.clone()),
            None => self.ca_caps().await,
        }
    }

    /// GetCACert: the CA (and RA) certificates, with `message` (the CA
    /// identifier) sent when given. A single DER certificate
    /// (`application/x-x509-ca-cert`) or a degenerate PKCS#7
    /// (`application/x-x509-ca-ra-cert`) are accepted.
    pub async fn ca_certificates(
        &self,
        message: Option<&str>,
    ) -> Result<Vec<Certificate>, ClientError> {
        const OPERATION: &str = "GetCACert";
        const SINGLE: &str = "application/x-x509-ca-cert";
        const CHAIN: &str = "application/x-x509-ca-ra-cert";
        let response = self.get(OPERATION, message).await?;
        let body = response.body();
        let certificates = match media_type(&response).as_str() {
            SINGLE => vec![cert::from_der(body).map_err(ClientError::Certificate)?],
            CHAIN => signed_data::certificates_only(body).map_err(ClientError::Certificate)?,
            _ => return Err(content_type_error(OPERATION, SINGLE, &response)),
        };
        if certificates.is_empty() {
            return Err(ClientError::NoRecipient);
        }
        Ok(certificates)
    }

    /// Sends a PKCSReq or RenewalReq for `csr_der`, signed by `requester`
    /// and encrypted to `recipients` (the certificates GetCACert returned,
    /// possibly filtered), and checks the CertRep.
    ///
    /// The transactionID is the standard base64 of the CSR key's subject
    /// key identifier, as micromdm's client makes it, so a retried request
    /// keeps its transactionID. The envelope is AES-128-CBC when the server
    /// advertises AES (or SCEPStandard), else DES-EDE3-CBC; the message is
    /// POSTed when the server allows it, else sent by GET.
    pub async fn enroll(
        &self,
        csr_der: &[u8],
        requester: Requester<'_>,
        recipients: &[Certificate],
        message_type: MessageType,
    ) -> Result<Enrollment, ClientError> {
        let csr = Csr::from_der(csr_der)
            .map_err(|e| ClientError::Request(message_type_name(message_type), Error::Build(e)))?;
        let transaction_id = transaction_id(&csr);
        self.exchange(
            message_type,
            csr_der,
            &transaction_id,
            requester,
            recipients,
        )
        .await
    }

    /// Sends a CertPoll (GetCertInitial) for a pending request: the same
    /// transactionID, with the CA's name (`issuer`) and the requested
    /// `subject`.
    pub async fn poll(
        &self,
        transaction_id: &str,
        issuer: &Name,
        subject: &Name,
        requester: Requester<'_>,
        recipients: &[Certificate],
    ) -> Result<Enrollment, ClientError> {
        let issuer_and_subject = issuer_and_subject_der(issuer, subject)
            .map_err(|e| ClientError::Request("CertPoll", e))?;
        self.exchange(
            MessageType::CertPoll,
            &issuer_and_subject,
            transaction_id,
            requester,
            recipients,
        )
        .await
    }

    async fn exchange(
        &self,
        message_type: MessageType,
        content: &[u8],
        transaction_id: &str,
        requester: Requester<'_>,
        recipients: &[Certificate],
    ) -> Result<Enrollment, ClientError> {
        if recipients.is_empty() {
            return Err(ClientError::NoRecipient);
        }
        let caps = self.cached_caps().await?;
        let name = message_type_name(message_type);
        let mut nonce = [0u8; 16];
        message::fresh_nonce(&mut nonce).map_err(|e| ClientError::Request(name, e))?;
        let request = message::build_request(
            message_type,
            content,
            requester,
            recipients,
            transaction_id,
            &nonce,
            caps.request_cipher(),
        )
        .map_err(|e| ClientError::Request(name, e))?;
        let body = self.pki_operation(&caps, request).await?;
        let expected = Expected {
            transaction_id,
            sender_nonce: &nonce,
            recipients,
        };
        let reply = reply::check_cert_rep(&body, &expected)?;
        reply::outcome(&reply, requester, content, message_type)
    }

    async fn pki_operation(
        &self,
        caps: &Capabilities,
        message: Vec<u8>,
    ) -> Result<Bytes, ClientError> {
        const OPERATION: &str = "PKIOperation";
        const PKI_MESSAGE: &str = "application/x-pki-message";
        let request = if caps.supports_post() {
            Request::post(self.uri(OPERATION, None))
                .header(header::CONTENT_TYPE, PKI_MESSAGE)
                .body(Bytes::from(message))
        } else {
            let encoded = STANDARD.encode(&message);
            Request::get(self.uri(OPERATION, Some(&encoded))).body(Bytes::new())
        };
        let response = self.send(OPERATION, request).await?;
        if media_type(&response) != PKI_MESSAGE {
            return Err(content_type_error(OPERATION, PKI_MESSAGE, &response));
        }
        Ok(response.into_body())
    }

    async fn get(
        &self,
        operation: &'static str,
        message: Option<&str>,
    ) -> Result<Response<Bytes>, ClientError> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(self.uri(operation, message))
            .body(Bytes::new());
        self.send(operation, request).await
    }

    async fn send(
        &self,
        operation: &'static str,
        request: http::Result<Request<Bytes>>,
    ) -> Result<Response<Bytes>, ClientError> {
        let request = request.map_err(|e| ClientError::Transport {
            operation,
            source: Box::new(e),
        })?;
        let response = self
            .transport
            .send(request)
            .await
            .map_err(|source| ClientError::Transport { operation, source })?;
        if response.status() != StatusCode::OK {
            return Err(ClientError::Status {
                operation,
                status: response.status(),
                first_line: first_line(response.body()),
            });
        }
        Ok(response)
    }

    /// The server URL with `operation` (and a percent-encoded `message`)
    /// as its query, after any query the URL already had.
    fn uri(&self, operation: &str, message: Option<&str>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(existing) = self.url.query() {
            query.extend_pairs(form_urlencoded::parse(existing.as_bytes()));
        }
        query.append_pair("operation", operation);
        if let Some(message) = message {
            query.append_pair("message", message);
        }
        let base = self.url.to_string();
        let base = base.split_once('?').map_or(base.as_str(), |(b, _)| b);
        format!("{base}?{}", query.finish())
    }
}

/// The transactionID micromdm's client uses: the standard base64 of the
/// CSR key's subject key identifier (SHA-256, leftmost 160 bits).
pub fn transaction_id(csr: &Csr) -> String {
    STANDARD.encode(csr.public_key().subject_key_identifier())
}

/// The DER of IssuerAndSubject (RFC 8894 §3.3.3): SEQUENCE { issuer Name,
/// subject Name }.
fn issuer_and_subject_der(issuer: &Name, subject: &Name) -> Result<Vec<u8>, Error> {
    let asn1 = |source| {
        Error::Build(cryptoutil::Error::Asn1 {
            what: "IssuerAndSubject",
            source,
        })
    };
    let mut content = issuer.to_der().map_err(asn1)?;
    content.extend(subject.to_der().map_err(asn1)?);
    let header = Header::new(
        Tag::Sequence,
        Length::try_from(content.len()).map_err(asn1)?,
    )
    .map_err(asn1)?;
    let mut out = header.to_der().map_err(asn1)?;
    out.extend(content);
    Ok(out)
}

fn message_type_name(message_type: MessageType) -> &'static str {
    match message_type {
        MessageType::RenewalReq => "RenewalReq",
        MessageType::UpdateReq => "UpdateReq",
        MessageType::CertPoll => "CertPoll",
        MessageType::GetCert => "GetCert",
        MessageType::GetCrl => "GetCRL",
        MessageType::CertRep => "CertRep",
        _ => "PKCSReq",
    }
}

/// The media type of the response, lower-cased, without parameters.
fn media_type(response: &Response<Bytes>) -> String {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn content_type_error(
    operation: &'static str,
    expected: &'static str,
    response: &Response<Bytes>,
) -> ClientError {
    let found = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .chars()
                .take(100)
                .collect()
        })
        .unwrap_or_default();
    ClientError::ContentType {
        operation,
        expected,
        found,
    }
}

/// The first line of a response body, at most 200 characters.
fn first_line(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests;
