//! CMS (RFC 5652) on top of RustCrypto's `cms` types, which have no
//! verification or decryption: [`signed_data`] verifies and builds
//! SignedData (attached, detached, with or without signed attributes,
//! certificates-only); [`enveloped_data`] decrypts and encrypts
//! EnvelopedData with RSA key transport.
//!
//! Every parser accepts BER (indefinite lengths, constructed strings), as
//! Apple devices, Apple's DEP token files and `openssl -stream` produce it,
//! by normalising to DER first.

pub mod enveloped_data;
pub mod signed_data;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911;
use der::{Any, Decode, Encode};

pub use cms::content_info::ContentInfo;

use crate::error::{Error, Result};

/// `id-data` (1.2.840.113549.1.7.1).
pub const ID_DATA: ObjectIdentifier = rfc5911::ID_DATA;
/// `id-signedData` (1.2.840.113549.1.7.2).
pub const ID_SIGNED_DATA: ObjectIdentifier = rfc5911::ID_SIGNED_DATA;
/// `id-envelopedData` (1.2.840.113549.1.7.3).
pub const ID_ENVELOPED_DATA: ObjectIdentifier = rfc5911::ID_ENVELOPED_DATA;

/// Decodes a DER ContentInfo and checks its content type.
pub(crate) fn decode_content_info(der: &[u8], expected: ObjectIdentifier) -> Result<Any> {
    let info = ContentInfo::from_der(der).map_err(Error::asn1("ContentInfo"))?;
    if info.content_type != expected {
        return Err(Error::UnexpectedContentType {
            expected,
            found: info.content_type,
        });
    }
    Ok(info.content)
}

/// Wraps `content` in a ContentInfo of type `content_type` and encodes it.
pub(crate) fn encode_content_info<'a, T: der::Sequence<'a>>(
    content_type: ObjectIdentifier,
    content: &T,
) -> Result<Vec<u8>> {
    let info = ContentInfo {
        content_type,
        content: Any::encode_from(content).map_err(Error::asn1("ContentInfo"))?,
    };
    info.to_der().map_err(Error::asn1("ContentInfo"))
}
