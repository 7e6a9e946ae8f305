//! Identity from the `Mdm-Signature` header (enrollment profile with
//! `SignMessage` true).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cryptoutil::cms::signed_data::SignedMessage;
use http::HeaderName;

use super::{ClientIdentity, IdentitySource};
use crate::IdentityError;

/// The `Mdm-Signature` request header.
pub const MDM_SIGNATURE: HeaderName = HeaderName::from_static("mdm-signature");

/// Decodes an `Mdm-Signature` header value into its CMS SignedData, without
/// verifying it.
///
/// The value is standard base64 (surrounding whitespace is ignored) of a
/// BER or DER ContentInfo. An empty value is [`IdentityError::Missing`], as
/// upstream treats an empty header like an absent one.
pub fn parse_mdm_signature(header_value: &str) -> Result<SignedMessage, IdentityError> {
    let encoded = header_value.trim();
    if encoded.is_empty() {
        return Err(IdentityError::Missing);
    }
    let ber = STANDARD
        .decode(encoded)
        .map_err(|_| IdentityError::SignatureEncoding("not standard base64"))?;
    SignedMessage::from_ber(&ber).map_err(IdentityError::MalformedSignature)
}

/// The identity of a request signed with `Mdm-Signature`: the signer's
/// certificate, once the detached signature verifies over `body` (the exact
/// HTTP body bytes).
///
/// The signature must be detached (the content is the body, never
/// encapsulated). Devices sign with SHA-1 and no signed attributes; signed attributes, when
/// present, are checked as CMS requires. Exactly one signer is required, as
/// upstream does. The certificate's issuer and validity are not checked
/// here: see [`super::TrustStore::verify`].
pub fn from_mdm_signature(
    header_value: &str,
    body: &[u8],
) -> Result<ClientIdentity, IdentityError> {
    let message = parse_mdm_signature(header_value)?;
    // `verify` would check encapsulated content and ignore `body`: a
    // captured signature could then vouch for any body.
    if message.content().is_some() {
        return Err(IdentityError::SignatureEncoding(
            "signature is not detached",
        ));
    }
    if message.signer_infos().count() != 1 {
        return Err(IdentityError::SignatureEncoding(
            "expected exactly one signer",
        ));
    }
    let signer = message
        .verify(Some(body))
        .map_err(IdentityError::BadSignature)?
        .into_iter()
        .next()
        .ok_or(IdentityError::SignatureEncoding(
            "expected exactly one signer",
        ))?;
    ClientIdentity::new(signer.certificate, IdentitySource::MdmSignature)
}
