//! CMS and PKCS#10 attributes: building the string and OCTET STRING values
//! SCEP needs, and reading them back.

use const_oid::ObjectIdentifier;
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Decode, Encode, Tag, Tagged};

pub use x509_cert::attr::Attribute;

use crate::error::{Error, Result};

/// An attribute with one PrintableString value (SCEP messageType,
/// pkiStatus, failInfo, transactionID).
pub fn printable(oid: ObjectIdentifier, value: &str) -> Result<Attribute> {
    let any =
        Any::new(Tag::PrintableString, value.as_bytes()).map_err(Error::asn1("PrintableString"))?;
    single(oid, any)
}

/// An attribute with one UTF8String value (SCEP failInfoText).
pub fn utf8(oid: ObjectIdentifier, value: &str) -> Result<Attribute> {
    let any = Any::new(Tag::Utf8String, value.as_bytes()).map_err(Error::asn1("UTF8String"))?;
    single(oid, any)
}

/// An attribute with one OCTET STRING value (SCEP senderNonce,
/// recipientNonce).
pub fn octets(oid: ObjectIdentifier, value: &[u8]) -> Result<Attribute> {
    let octets = OctetString::new(value).map_err(Error::asn1("OCTET STRING"))?;
    single(
        oid,
        Any::encode_from(&octets).map_err(Error::asn1("OCTET STRING"))?,
    )
}

/// An attribute with one value of any type.
pub fn single(oid: ObjectIdentifier, value: Any) -> Result<Attribute> {
    let values = SetOfVec::try_from(vec![value]).map_err(Error::asn1("attribute values"))?;
    Ok(Attribute { oid, values })
}

/// The first value of attribute `oid` in `attributes`.
pub fn find<'a>(
    attributes: impl IntoIterator<Item = &'a Attribute>,
    oid: ObjectIdentifier,
) -> Option<&'a Any> {
    attributes
        .into_iter()
        .find(|a| a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

/// Reads a string value: UTF8String, PrintableString, IA5String,
/// TeletexString or VisibleString (clients differ in which they send).
pub fn any_to_string(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => String::from_utf8(value.value().to_vec()).ok(),
        _ => None,
    }
}

/// Reads an OCTET STRING value.
pub fn any_to_octets(value: &Any) -> Option<Vec<u8>> {
    let der = value.to_der().ok()?;
    OctetString::from_der(&der)
        .ok()
        .map(|o| o.as_bytes().to_vec())
}
