//! Identity from the certificate header of a TLS-terminating proxy
//! (nanomdm's `-cert-header`).

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cryptoutil::cert;
use percent_encoding::percent_decode_str;

use super::{ClientIdentity, IdentitySource};
use crate::IdentityError;

/// Standard base64, padding optional: RFC 8941 asks byte-sequence parsers
/// not to fail on missing `=` padding.
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_DASHES: &str = "-----";
const PEM_END_CERTIFICATE: &str = "-----END CERTIFICATE-----";

/// The identity in a proxy's client-certificate header.
///
/// Accepted encodings (surrounding whitespace is ignored):
///
/// - an RFC 9440 `Client-Cert` byte sequence, `:` base64(DER) `:`;
/// - a URL-escaped PEM document, as nginx's `$ssl_client_escaped_cert`
///   sends it (percent-decoded; `+` stays `+`, as it can only be base64);
/// - a raw PEM document, with newlines or with spaces in their place, as
///   some proxies forward it.
///
/// The first PEM block must be a `CERTIFICATE`; any following blocks (a
/// chain) are ignored. An empty value is [`IdentityError::Missing`], as
/// upstream treats an empty header like an absent one. Framing problems are
/// [`IdentityError::MalformedHeader`] naming the problem; undecodable
/// certificate bytes are [`IdentityError::MalformedCertificate`].
pub fn from_proxy_header(value: &str) -> Result<ClientIdentity, IdentityError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(IdentityError::Missing);
    }
    let der = if value.starts_with(':') {
        rfc9440_der(value)?
    } else {
        pem_der(value)?
    };
    let certificate = cert::from_der(&der).map_err(IdentityError::MalformedCertificate)?;
    ClientIdentity::new(certificate, IdentitySource::ProxyHeader)
}

/// The DER inside an RFC 8941 byte sequence `:base64:`.
fn rfc9440_der(value: &str) -> Result<Vec<u8>, IdentityError> {
    let inner = value
        .strip_prefix(':')
        .and_then(|rest| rest.strip_suffix(':'))
        .filter(|inner| !inner.is_empty())
        .ok_or(IdentityError::MalformedHeader(
            "RFC 9440 byte sequence must be ':' base64 ':'",
        ))?;
    LENIENT_STANDARD
        .decode(inner)
        .map_err(|_| IdentityError::MalformedHeader("RFC 9440 byte sequence is not base64"))
}

/// The DER of the first PEM block, which must be a certificate, from a
/// URL-escaped or raw PEM document.
fn pem_der(value: &str) -> Result<Vec<u8>, IdentityError> {
    let text = percent_decode_str(value)
        .decode_utf8()
        .map_err(|_| IdentityError::MalformedHeader("URL-escaped value is not UTF-8"))?;
    let Some(start) = text.find(PEM_BEGIN) else {
        return Err(IdentityError::MalformedHeader(
            "neither a PEM certificate nor an RFC 9440 byte sequence",
        ));
    };
    let after_begin = &text[start + PEM_BEGIN.len()..];
    let (label, rest) =
        after_begin
            .split_once(PEM_DASHES)
            .ok_or(IdentityError::MalformedHeader(
                "unterminated PEM BEGIN line",
            ))?;
    if label != "CERTIFICATE" {
        return Err(IdentityError::MalformedHeader(
            "first PEM block is not a CERTIFICATE",
        ));
    }
    let (body, _) = rest
        .split_once(PEM_END_CERTIFICATE)
        .ok_or(IdentityError::MalformedHeader(
            "PEM certificate has no END line",
        ))?;
    // Base64 has no whitespace, so removing every space, tab and line break
    // is unambiguous: it restores the lines a proxy turned into spaces.
    let encoded: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if encoded.is_empty() {
        return Err(IdentityError::MalformedHeader("PEM certificate is empty"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| IdentityError::MalformedHeader("PEM certificate body is not base64"))
}
