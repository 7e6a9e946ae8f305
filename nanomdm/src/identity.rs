//! Which certificate speaks for a request: the device identity.
//!
//! An MDM request carries its identity in one of three ways, mirroring
//! nanomdm's reference server and NanoHUB:
//!
//! - an `Mdm-Signature` header, a detached CMS signature over the body made
//!   with the device's identity key ([`from_mdm_signature`]);
//! - a header set by a TLS-terminating proxy that did mutual TLS, holding
//!   the client certificate ([`from_proxy_header`]);
//! - the client certificate of a TLS connection the server terminated
//!   itself ([`from_tls_certificate`]).
//!
//! [`extract`] picks the source for a request. Extraction only proves that
//! the requester holds the key (or that the proxy vouches for the
//! certificate); whether the certificate's issuer is trusted, and whether it
//! is valid now, is [`TrustStore::verify`]'s job, and must always follow.
//! Every failure maps to HTTP 400 on MDM endpoints, never 401 (Apple clients
//! may unenroll on 401).
//!
//! Everything here is pure and synchronous: no I/O, time passed in.

mod proxy;
mod signature;
mod trust;

use cryptoutil::cert::{self, Certificate};
use http::{HeaderMap, HeaderName};

use crate::IdentityError;

pub use proxy::from_proxy_header;
pub use signature::{MDM_SIGNATURE, from_mdm_signature, parse_mdm_signature};
pub use trust::{MAX_INTERMEDIATES, TrustStore};

/// Where a request's identity certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentitySource {
    /// The signer of the `Mdm-Signature` header.
    MdmSignature,
    /// The client certificate of a TLS connection terminated by this server.
    TlsClientCertificate,
    /// A certificate header set by a TLS-terminating proxy.
    ProxyHeader,
}

/// The certificate that speaks for a request, and where it came from.
///
/// Not yet trusted: pass it to [`TrustStore::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    certificate: Certificate,
    source: IdentitySource,
    fingerprint: String,
}

impl ClientIdentity {
    /// Wraps a certificate, computing its fingerprint.
    pub(crate) fn new(
        certificate: Certificate,
        source: IdentitySource,
    ) -> Result<Self, IdentityError> {
        let digest =
            cert::sha256_fingerprint(&certificate).map_err(IdentityError::MalformedCertificate)?;
        Ok(Self {
            certificate,
            source,
            fingerprint: crate::hex::encode(&digest),
        })
    }

    /// The client certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Where the certificate came from.
    pub fn source(&self) -> IdentitySource {
        self.source
    }

    /// The SHA-256 of the certificate's DER encoding, as lowercase hex (64
    /// characters): the hash certauth associates with an enrollment.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The client certificate, by value.
    pub fn into_certificate(self) -> Certificate {
        self.certificate
    }
}

/// The identity of a client certificate taken from a TLS connection
/// (`der` is the leaf certificate the client presented).
pub fn from_tls_certificate(der: &[u8]) -> Result<ClientIdentity, IdentityError> {
    let certificate = cert::from_der(der).map_err(IdentityError::MalformedCertificate)?;
    ClientIdentity::new(certificate, IdentitySource::TlsClientCertificate)
}

/// How [`extract`] finds a request's identity.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ExtractConfig {
    /// The header a TLS-terminating proxy puts the client certificate in
    /// (nanomdm's `-cert-header`). When set, only this header is consulted.
    pub cert_header: Option<HeaderName>,
}

impl ExtractConfig {
    /// Identity from `Mdm-Signature`, else from the TLS client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Identity only from the proxy header `name`.
    pub fn with_cert_header(name: HeaderName) -> Self {
        Self {
            cert_header: Some(name),
        }
    }
}

/// Establishes the identity of a request, as nanomdm's reference server
/// chooses it:
///
/// 1. With [`ExtractConfig::cert_header`] set, the identity comes from that
///    header alone; if it is absent or empty, the result is
///    [`IdentityError::Missing`] (no fallback: the proxy is the authority).
/// 2. Otherwise a non-empty `Mdm-Signature` header must verify over `body`;
///    a present but invalid signature is an error, never a fallback.
/// 3. Otherwise the TLS client certificate `tls` (DER), if any.
/// 4. Otherwise [`IdentityError::Missing`].
pub fn extract(
    headers: &HeaderMap,
    body: &[u8],
    tls: Option<&[u8]>,
    config: &ExtractConfig,
) -> Result<ClientIdentity, IdentityError> {
    if let Some(name) = &config.cert_header {
        let value = single_header(headers, name).map_err(IdentityError::MalformedHeader)?;
        return from_proxy_header(value.unwrap_or_default());
    }
    let signature =
        single_header(headers, &MDM_SIGNATURE).map_err(IdentityError::SignatureEncoding)?;
    match signature {
        Some(value) if !value.trim().is_empty() => from_mdm_signature(value, body),
        _ => tls.map_or(Err(IdentityError::Missing), from_tls_certificate),
    }
}

/// The value of header `name`, if present; an error names why a present
/// header is unusable (repeated, or not visible ASCII).
fn single_header<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'h str>, &'static str> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("header repeated");
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| "header is not visible ASCII")
}
