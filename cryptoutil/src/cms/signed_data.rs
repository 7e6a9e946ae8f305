//! CMS SignedData (RFC 5652 §5): verify every signer, build with custom
//! signed attributes, and certificates-only ("degenerate") messages.

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::CmsVersion;
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911;
use der::asn1::{Any, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::{ID_DATA, ID_SIGNED_DATA, decode_content_info, encode_content_info};

mod degenerate;

use crate::algorithm::{DigestAlgorithm, RSA_ENCRYPTION, SignatureAlgorithm};
use crate::attribute::{self, Attribute};
use crate::ber::{self, Class, Limits, Tag, Tlv, Value};
use crate::cert;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
pub use degenerate::{build_certificates_only, build_crls_only, certificates_only, crls};

/// `id-contentType` signed attribute (1.2.840.113549.1.9.3).
pub const CONTENT_TYPE: ObjectIdentifier = rfc5911::ID_CONTENT_TYPE;
/// `id-messageDigest` signed attribute (1.2.840.113549.1.9.4).
pub const MESSAGE_DIGEST: ObjectIdentifier = rfc5911::ID_MESSAGE_DIGEST;
/// `id-signingTime` signed attribute (1.2.840.113549.1.9.5).
pub const SIGNING_TIME: ObjectIdentifier = rfc5911::ID_SIGNING_TIME;

/// A parsed SignedData, not yet verified.
#[derive(Debug, Clone)]
pub struct SignedMessage {
    signed_data: SignedData,
    content: Option<Vec<u8>>,
    certificates: Vec<Certificate>,
    signers: Vec<ParsedSigner>,
}

/// A SignerInfo with its signed attributes exactly as the signer encoded
/// them (tagged as a SET): `der` sorts a SET OF when decoding, and the
/// signature covers the signer's own order.
#[derive(Debug, Clone)]
struct ParsedSigner {
    info: SignerInfo,
    signed_attrs_der: Option<Vec<u8>>,
}

/// A signer whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedSigner {
    /// The signer's certificate, taken from the message's certificate set.
    pub certificate: Certificate,
    /// The digest algorithm the signer used.
    pub digest: DigestAlgorithm,
    /// The signed attributes (empty when the signer signed the content
    /// directly, as devices do for `Mdm-Signature`).
    pub signed_attributes: Vec<Attribute>,
}

impl VerifiedSigner {
    /// The first value of signed attribute `oid`.
    pub fn attribute(&self, oid: ObjectIdentifier) -> Option<&Any> {
        attribute::find(self.signed_attributes.iter(), oid)
    }
}

impl SignedMessage {
    /// Parses a BER or DER ContentInfo holding SignedData.
    ///
    /// Certificates are returned in the order the sender wrote them.
    pub fn from_ber(input: &[u8]) -> Result<Self> {
        let tree = ber::parse(input, Limits::default())?;
        let der = ber::encode(&tree);
        let content = decode_content_info(&der, ID_SIGNED_DATA)?;
        let signed_data: SignedData = content.decode_as().map_err(Error::asn1("SignedData"))?;
        let content = match &signed_data.encap_content_info.econtent {
            Some(any) => Some(
                any.decode_as::<OctetString>()
                    .map_err(Error::asn1("encapsulated content"))?
                    .into_bytes(),
            ),
            None => None,
        };
        // The decoder accepted the structure, so the tree has its shape.
        let fields = children(&tree)
            .get(1)
            .and_then(|explicit| children(explicit).first())
            .map(children)
            .unwrap_or_default();
        Ok(Self {
            signed_data,
            content,
            certificates: ordered_certificates(fields)?,
            signers: ordered_signers(fields)?,
        })
    }

    /// The encapsulated content; `None` when the signature is detached.
    pub fn content(&self) -> Option<&[u8]> {
        self.content.as_deref()
    }

    /// The encapsulated content type (`id-data` for SCEP and MDM).
    pub fn content_type(&self) -> ObjectIdentifier {
        self.signed_data.encap_content_info.econtent_type
    }

    /// The certificates carried in the message, in order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The SignerInfos, in the order the sender wrote them.
    pub fn signer_infos(&self) -> impl Iterator<Item = &SignerInfo> {
        self.signers.iter().map(|s| &s.info)
    }

    /// Verifies every SignerInfo against the encapsulated content, or
    /// against `detached` when the content is not encapsulated. When both
    /// are there they must be equal, so `verify(Some(body))` always means
    /// "signed over `body`".
    ///
    /// Each signer's certificate must be in the message (looked up by
    /// issuer and serial number, or subject key identifier). With signed
    /// attributes, messageDigest must match the content, contentType must
    /// match the encapsulated type, and signingTime (if present) must fall in
    /// the signer certificate's validity. The certificate chain is not
    /// validated here: the caller decides which issuers it trusts.
    pub fn verify(&self, detached: Option<&[u8]>) -> Result<Vec<VerifiedSigner>> {
        let content = match (&self.content, detached) {
            // Verifying "over `detached`" must never quietly verify other
            // bytes: a captured signature with encapsulated content would
            // otherwise vouch for any body.
            (Some(content), Some(detached)) if content.as_slice() != detached => {
                return Err(Error::InvalidSignedData(
                    "encapsulated content differs from the given content",
                ));
            }
            (Some(content), _) => content.as_slice(),
            (None, Some(detached)) => detached,
            (None, None) => return Err(Error::InvalidSignedData("no content to verify")),
        };
        let signers = self
            .signers
            .iter()
            .map(|signer| self.verify_signer(signer, content))
            .collect::<Result<Vec<_>>>()?;
        if signers.is_empty() {
            return Err(Error::InvalidSignedData("no signers"));
        }
        Ok(signers)
    }

    fn verify_signer(&self, signer: &ParsedSigner, content: &[u8]) -> Result<VerifiedSigner> {
        let info = &signer.info;
        let certificate = self.signer_certificate(&info.sid)?.clone();
        let digest = DigestAlgorithm::from_oid(info.digest_alg.oid)?;
        let algorithm = if info.signature_algorithm.oid == RSA_ENCRYPTION {
            SignatureAlgorithm(digest)
        } else {
            SignatureAlgorithm::from_oid(info.signature_algorithm.oid)?
        };
        let (message, signed_attributes) = match (&info.signed_attrs, &signer.signed_attrs_der) {
            (Some(attrs), Some(raw)) => {
                self.check_signed_attributes(attrs, &certificate, digest, content)?;
                (raw.clone(), attrs.iter().cloned().collect())
            }
            _ => (content.to_vec(), Vec::new()),
        };
        cert::public_key(&certificate)?.verify(algorithm, &message, info.signature.as_bytes())?;
        Ok(VerifiedSigner {
            certificate,
            digest,
            signed_attributes,
        })
    }

    fn check_signed_attributes(
        &self,
        attrs: &SetOfVec<Attribute>,
        certificate: &Certificate,
        digest: DigestAlgorithm,
        content: &[u8],
    ) -> Result<()> {
        let message_digest = attribute::find(attrs.iter(), MESSAGE_DIGEST)
            .and_then(attribute::any_to_octets)
            .ok_or(Error::InvalidSignedData(
                "signed attributes lack messageDigest",
            ))?;
        if message_digest != digest.digest(content) {
            return Err(Error::DigestMismatch);
        }
        let content_type = attribute::find(attrs.iter(), CONTENT_TYPE)
            .and_then(|any| any.decode_as::<ObjectIdentifier>().ok())
            .ok_or(Error::InvalidSignedData(
                "signed attributes lack contentType",
            ))?;
        if content_type != self.content_type() {
            return Err(Error::InvalidSignedData(
                "contentType attribute differs from the content",
            ));
        }
        if let Some(time) = attribute::find(attrs.iter(), SIGNING_TIME) {
            let time = signing_time(time)?;
            if !cert::is_valid_at(certificate, time) {
                return Err(Error::SigningTimeOutsideValidity);
            }
        }
        Ok(())
    }

    fn signer_certificate(&self, sid: &SignerIdentifier) -> Result<&Certificate> {
        self.certificates
            .iter()
            .find(|c| match sid {
                SignerIdentifier::IssuerAndSerialNumber(ias) => {
                    c.tbs_certificate.issuer == ias.issuer
                        && c.tbs_certificate.serial_number == ias.serial_number
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => {
                    cert::find_extension::<SubjectKeyIdentifier>(c).is_some_and(|own| own == *ski)
                }
            })
            .ok_or(Error::SignerCertificateNotFound)
    }
}

fn signing_time(value: &Any) -> Result<SystemTime> {
    let der = value.to_der().map_err(Error::asn1("signingTime"))?;
    let time = x509_cert::time::Time::from_der(&der).map_err(Error::asn1("signingTime"))?;
    Ok(time.to_system_time())
}

fn children(tlv: &Tlv) -> &[Tlv] {
    match &tlv.value {
        Value::Constructed(children) => children,
        Value::Primitive(_) => &[],
    }
}

/// `certificates [0] IMPLICIT CertificateSet`, keeping the sender's order;
/// other CertificateChoices (attribute certificates, tagged) are skipped.
fn ordered_certificates(fields: &[Tlv]) -> Result<Vec<Certificate>> {
    let Some(set) = fields.iter().find(|t| is_context(t, 0)) else {
        return Ok(Vec::new());
    };
    children(set)
        .iter()
        .filter(|t| t.tag.class == Class::Universal)
        .map(|t| Certificate::from_der(&ber::encode(t)).map_err(Error::asn1("certificate")))
        .collect()
}

/// `signerInfos SET OF SignerInfo` (the last field), keeping the sender's
/// order and each signer's signed attributes re-tagged as the SET OF that
/// RFC 5652 §5.4 says is signed.
fn ordered_signers(fields: &[Tlv]) -> Result<Vec<ParsedSigner>> {
    let Some(set) = fields.last() else {
        return Ok(Vec::new());
    };
    children(set)
        .iter()
        .map(|tlv| {
            let info =
                SignerInfo::from_der(&ber::encode(tlv)).map_err(Error::asn1("SignerInfo"))?;
            let signed_attrs_der = children(tlv)
                .iter()
                .find(|t| is_context(t, 0))
                .map(|attrs| {
                    let mut as_set = attrs.clone();
                    as_set.tag = Tag {
                        class: Class::Universal,
                        constructed: true,
                        number: 0x11,
                    };
                    ber::encode(&as_set)
                });
            Ok(ParsedSigner {
                info,
                signed_attrs_der,
            })
        })
        .collect()
}

fn is_context(tlv: &Tlv, number: u32) -> bool {
    tlv.tag.class == Class::ContextSpecific && tlv.tag.number == number && tlv.tag.constructed
}

/// A certificate set in DER order (a SET OF is sorted by encoding; readers
/// find certificates by issuer and serial number, not by position).
pub(crate) fn certificate_set(certificates: &[Certificate]) -> Result<CertificateSet> {
    let choices = certificates
        .iter()
        .map(|c| CertificateChoices::Certificate(c.clone()))
        .collect::<Vec<_>>();
    Ok(CertificateSet(
        SetOfVec::try_from(choices).map_err(Error::asn1("certificate set"))?,
    ))
}

/// One signer of a [`SignedDataBuilder`].
#[derive(Debug, Clone)]
pub struct Signer<'a> {
    certificate: &'a Certificate,
    key: &'a dyn PrivateKey,
    digest: DigestAlgorithm,
    attributes: Vec<Attribute>,
    signed_attributes: bool,
    signing_time: Option<SystemTime>,
}

impl<'a> Signer<'a> {
    /// A SHA-256 signer with signed attributes (contentType, messageDigest
    /// and signingTime = now).
    pub fn new(certificate: &'a Certificate, key: &'a dyn PrivateKey) -> Self {
        Self {
            certificate,
            key,
            digest: DigestAlgorithm::Sha256,
            attributes: Vec::new(),
            signed_attributes: true,
            signing_time: Some(SystemTime::now()),
        }
    }

    /// Uses another digest algorithm (SHA-384 or SHA-512; SHA-1 cannot sign).
    pub fn digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = digest;
        self
    }

    /// Adds a signed attribute (e.g. a SCEP messageType).
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Sets or removes (`None`) the signingTime attribute.
    pub fn signing_time(mut self, time: Option<SystemTime>) -> Self {
        self.signing_time = time;
        self
    }

    /// Signs the content itself, with no signed attributes (the
    /// `Mdm-Signature` shape); custom attributes are then not allowed.
    pub fn without_signed_attributes(mut self) -> Self {
        self.signed_attributes = false;
        self
    }

    fn build(&self, content_type: ObjectIdentifier, content: &[u8]) -> Result<SignerInfo> {
        let tbs_cert = &self.certificate.tbs_certificate;
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs_cert.issuer.clone(),
            serial_number: tbs_cert.serial_number.clone(),
        });
        let algorithm = SignatureAlgorithm(self.digest);
        let (signed_attrs, signature) = if self.signed_attributes {
            let attrs = self.signed_attribute_set(content_type, content)?;
            let der = attrs.to_der().map_err(Error::asn1("signed attributes"))?;
            (Some(attrs), self.key.sign(algorithm, &der)?)
        } else if self.attributes.is_empty() {
            (None, self.key.sign(algorithm, content)?)
        } else {
            return Err(Error::InvalidSignedData(
                "custom attributes need signed attributes",
            ));
        };
        Ok(SignerInfo {
            version: CmsVersion::V1,
            sid,
            digest_alg: self.digest.identifier(),
            signed_attrs,
            signature_algorithm: spki::AlgorithmIdentifierOwned {
                oid: RSA_ENCRYPTION,
                parameters: Some(Any::from(der::asn1::Null)),
            },
            signature: OctetString::new(signature).map_err(Error::asn1("signature"))?,
            unsigned_attrs: None,
        })
    }

    fn signed_attribute_set(
        &self,
        content_type: ObjectIdentifier,
        content: &[u8],
    ) -> Result<SetOfVec<Attribute>> {
        let mut attrs = vec![
            attribute::single(
                CONTENT_TYPE,
                Any::encode_from(&content_type).map_err(Error::asn1("contentType"))?,
            )?,
            attribute::octets(MESSAGE_DIGEST, &self.digest.digest(content))?,
        ];
        if let Some(time) = self.signing_time {
            let time = UtcTime::from_system_time(time).map_err(Error::asn1("signingTime"))?;
            attrs.push(attribute::single(
                SIGNING_TIME,
                Any::encode_from(&time).map_err(Error::asn1("signingTime"))?,
            )?);
        }
        attrs.extend(self.attributes.iter().cloned());
        SetOfVec::try_from(attrs).map_err(Error::asn1("signed attributes"))
    }
}

/// Builds a SignedData ContentInfo (DER).
#[derive(Debug, Clone)]
pub struct SignedDataBuilder<'a> {
    content: &'a [u8],
    content_type: ObjectIdentifier,
    detached: bool,
    certificates: Vec<Certificate>,
    signers: Vec<Signer<'a>>,
}

impl<'a> SignedDataBuilder<'a> {
    /// Signs `content` of type `id-data`, encapsulated.
    pub fn new(content: &'a [u8]) -> Self {
        Self {
            content,
            content_type: ID_DATA,
            detached: false,
            certificates: Vec::new(),
            signers: Vec::new(),
        }
    }

    /// Sets the encapsulated content type.
    pub fn content_type(mut self, content_type: ObjectIdentifier) -> Self {
        self.content_type = content_type;
        self
    }

    /// Leaves the content out of the message (a detached signature).
    pub fn detached(mut self) -> Self {
        self.detached = true;
        self
    }

    /// Adds a certificate to the message's certificate set (signer
    /// certificates are added automatically).
    pub fn certificate(mut self, certificate: Certificate) -> Self {
        self.certificates.push(certificate);
        self
    }

    /// Adds a signer.
    pub fn signer(mut self, signer: Signer<'a>) -> Self {
        self.signers.push(signer);
        self
    }

    /// Signs and encodes the ContentInfo.
    pub fn build(mut self) -> Result<Vec<u8>> {
        let mut signer_infos = Vec::new();
        let mut digests = Vec::new();
        for signer in &self.signers {
            signer_infos.push(signer.build(self.content_type, self.content)?);
            if !digests.contains(&signer.digest.identifier()) {
                digests.push(signer.digest.identifier());
            }
            if !self.certificates.contains(signer.certificate) {
                self.certificates.push(signer.certificate.clone());
            }
        }
        let econtent = if self.detached {
            None
        } else {
            let octets = OctetString::new(self.content).map_err(Error::asn1("content"))?;
            Some(Any::encode_from(&octets).map_err(Error::asn1("content"))?)
        };
        let signed_data = SignedData {
            version: if self.content_type == ID_DATA {
                CmsVersion::V1
            } else {
                CmsVersion::V3
            },
            digest_algorithms: SetOfVec::try_from(digests)
                .map_err(Error::asn1("digest algorithms"))?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: self.content_type,
                econtent,
            },
            certificates: Some(certificate_set(&self.certificates)?),
            crls: None,
            signer_infos: SignerInfos(
                SetOfVec::try_from(signer_infos).map_err(Error::asn1("signer infos"))?,
            ),
        };
        encode_content_info(ID_SIGNED_DATA, &signed_data)
    }
}
