//! PKCS#10 certificate signing requests (RFC 2986): parse, check the
//! self-signature, read the challenge password and requested SANs, build.

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, SetOfVec};
use der::{Decode, Encode, Reader, SliceReader};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::Extension;
use x509_cert::name::Name;

use crate::algorithm::SignatureAlgorithm;
use crate::attribute::{self, Attribute};
use crate::error::{Error, Result};
use crate::key::{PrivateKey, PublicKey};

/// `challengePassword` (1.2.840.113549.1.9.7).
pub const CHALLENGE_PASSWORD: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.7");
/// `extensionRequest` (1.2.840.113549.1.9.14).
pub const EXTENSION_REQUEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");

/// CertificationRequestInfo with the version read as any small integer:
/// Apple's SCEP CSRs carry version 2 where RFC 2986 says 0, and strict
/// parsers (x509-cert's `CertReq`) reject them.
#[derive(Debug, Clone, der::Sequence)]
struct LenientInfo {
    version: u8,
    subject: Name,
    public_key: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    attributes: SetOfVec<Attribute>,
}

#[derive(Debug, Clone, der::Sequence)]
struct LenientRequest {
    info: LenientInfo,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A parsed certificate signing request.
#[derive(Debug, Clone)]
pub struct Csr {
    info: LenientInfo,
    info_der: Vec<u8>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    public_key: PublicKey,
    der: Vec<u8>,
}

impl Csr {
    /// Parses a DER CSR. The self-signature is not checked here: call
    /// [`verify_signature`](Self::verify_signature).
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let request =
            LenientRequest::from_der(der).map_err(Error::asn1("certificate signing request"))?;
        let info_der = first_element(der).map_err(Error::asn1("certificate signing request"))?;
        let public_key = PublicKey::from_spki(request.info.public_key.clone())?;
        Ok(Self {
            info: request.info,
            info_der: info_der.to_vec(),
            algorithm: request.algorithm,
            signature: request.signature,
            public_key,
            der: der.to_vec(),
        })
    }

    /// Checks the request's signature with its own public key, over the
    /// CertificationRequestInfo bytes exactly as received.
    pub fn verify_signature(&self) -> Result<()> {
        let algorithm = SignatureAlgorithm::from_oid(self.algorithm.oid)?;
        let signature = self
            .signature
            .as_bytes()
            .ok_or(Error::InvalidCsr("signature has unused bits"))?;
        self.public_key.verify(algorithm, &self.info_der, signature)
    }

    /// The requested subject.
    pub fn subject(&self) -> &Name {
        &self.info.subject
    }

    /// The requested public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The version field as sent (0 per RFC 2986; Apple sends 2).
    pub fn version(&self) -> u8 {
        self.info.version
    }

    /// The challenge password, if the request carries one.
    pub fn challenge_password(&self) -> Option<String> {
        attribute::find(self.info.attributes.iter(), CHALLENGE_PASSWORD)
            .and_then(attribute::any_to_string)
    }

    /// The extensions requested through `extensionRequest` (e.g.
    /// subjectAltName); empty when there are none or they are malformed.
    pub fn requested_extensions(&self) -> Vec<Extension> {
        attribute::find(self.info.attributes.iter(), EXTENSION_REQUEST)
            .and_then(|any| any.to_der().ok())
            .and_then(|der| Vec::<Extension>::from_der(&der).ok())
            .unwrap_or_default()
    }

    /// The request as received (DER).
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }
}

/// The raw bytes of the first element inside the outer SEQUENCE of `der`.
pub(crate) fn first_element(der: &[u8]) -> der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    let _outer = der::Header::decode(&mut reader)?;
    reader.tlv_bytes()
}

/// Builds and signs a CSR (SHA-256 with RSA) for `subject`, with an optional
/// challenge password and requested extensions.
pub fn build(
    subject: Name,
    key: &dyn PrivateKey,
    challenge_password: Option<&str>,
    extensions: &[Extension],
) -> Result<Vec<u8>> {
    let mut attributes = Vec::new();
    if let Some(challenge) = challenge_password {
        attributes.push(attribute::utf8(CHALLENGE_PASSWORD, challenge)?);
    }
    if !extensions.is_empty() {
        let value =
            der::Any::encode_from(&extensions.to_vec()).map_err(Error::asn1("extensionRequest"))?;
        attributes.push(attribute::single(EXTENSION_REQUEST, value)?);
    }
    let info = LenientInfo {
        version: 0,
        subject,
        public_key: key.public_key().spki().clone(),
        attributes: SetOfVec::try_from(attributes).map_err(Error::asn1("CSR attributes"))?,
    };
    let info_der = info
        .to_der()
        .map_err(Error::asn1("CertificationRequestInfo"))?;
    let algorithm = SignatureAlgorithm::RSA_SHA256;
    let signature = key.sign(algorithm, &info_der)?;
    LenientRequest {
        info,
        algorithm: algorithm.identifier(),
        signature: BitString::from_bytes(&signature).map_err(Error::asn1("signature"))?,
    }
    .to_der()
    .map_err(Error::asn1("certificate signing request"))
}
