//! Digest, signature and content-encryption algorithms, with their OIDs.

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc5911, rfc5912};
use der::asn1::{Null, OctetString};
use der::{Any, Decode, Encode};
use spki::AlgorithmIdentifierOwned;

use crate::error::{Error, Result};

/// `sha1` (1.3.14.3.2.26).
pub const ID_SHA1: ObjectIdentifier = rfc5912::ID_SHA_1;
/// `rsaEncryption` (1.2.840.113549.1.1.1).
pub const RSA_ENCRYPTION: ObjectIdentifier = rfc5912::RSA_ENCRYPTION;
/// `des-cbc` (1.3.14.3.2.7), single DES: only old SCEP clients send it.
pub const DES_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.7");

/// A message digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-1: only for verifying what devices and old clients send.
    Sha1,
    /// SHA-256, the default for everything this crate produces.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha1 => ID_SHA1,
            Self::Sha256 => rfc5912::ID_SHA_256,
            Self::Sha384 => rfc5912::ID_SHA_384,
            Self::Sha512 => rfc5912::ID_SHA_512,
        }
    }

    /// Looks up a digest OID. `rsaEncryption` used as a digest OID means
    /// SHA-1: old SCEP clients send it that way.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self> {
        Ok(match oid {
            o if o == ID_SHA1 || o == RSA_ENCRYPTION => Self::Sha1,
            o if o == rfc5912::ID_SHA_256 => Self::Sha256,
            o if o == rfc5912::ID_SHA_384 => Self::Sha384,
            o if o == rfc5912::ID_SHA_512 => Self::Sha512,
            oid => {
                return Err(Error::UnsupportedAlgorithm {
                    kind: "digest",
                    oid,
                });
            }
        })
    }

    /// The AlgorithmIdentifier as written in CMS (parameters absent, as
    /// RFC 5754 prefers).
    pub fn identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(self.aws(), data)
            .as_ref()
            .to_vec()
    }

    fn aws(self) -> &'static aws_lc_rs::digest::Algorithm {
        match self {
            Self::Sha1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &aws_lc_rs::digest::SHA256,
            Self::Sha384 => &aws_lc_rs::digest::SHA384,
            Self::Sha512 => &aws_lc_rs::digest::SHA512,
        }
    }
}

/// An RSA PKCS#1 v1.5 signature algorithm, named by its digest.
///
/// Signing supports SHA-256, SHA-384 and SHA-512; SHA-1 signatures can only
/// be verified (devices sign `Mdm-Signature` with SHA-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureAlgorithm(pub DigestAlgorithm);

impl SignatureAlgorithm {
    /// `sha256WithRSAEncryption`, the default.
    pub const RSA_SHA256: Self = Self(DigestAlgorithm::Sha256);

    /// The `shaXWithRSAEncryption` OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self.0 {
            DigestAlgorithm::Sha1 => rfc5912::SHA_1_WITH_RSA_ENCRYPTION,
            DigestAlgorithm::Sha256 => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            DigestAlgorithm::Sha384 => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
            DigestAlgorithm::Sha512 => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        }
    }

    /// The AlgorithmIdentifier with the NULL parameters RFC 4055 requires.
    pub fn identifier(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(Any::from(Null)),
        }
    }

    /// Looks up a `shaXWithRSAEncryption` OID.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self> {
        let digest = match oid {
            o if o == rfc5912::SHA_1_WITH_RSA_ENCRYPTION => DigestAlgorithm::Sha1,
            o if o == rfc5912::SHA_256_WITH_RSA_ENCRYPTION => DigestAlgorithm::Sha256,
            o if o == rfc5912::SHA_384_WITH_RSA_ENCRYPTION => DigestAlgorithm::Sha384,
            o if o == rfc5912::SHA_512_WITH_RSA_ENCRYPTION => DigestAlgorithm::Sha512,
            oid => {
                return Err(Error::UnsupportedAlgorithm {
                    kind: "signature",
                    oid,
                });
            }
        };
        Ok(Self(digest))
    }
}

/// A CMS content-encryption algorithm (CBC mode, PKCS#7 padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// AES-128-CBC, the default (what SCEP's `AES` capability means).
    Aes128Cbc,
    /// AES-192-CBC.
    Aes192Cbc,
    /// AES-256-CBC.
    Aes256Cbc,
    /// DES-EDE3-CBC, for clients that cannot do AES.
    DesEde3Cbc,
    /// Single DES-CBC: decrypt only, for old SCEP clients (micromdm's
    /// scepclient, the mdmb simulator). Never produced.
    DesCbc,
}

impl ContentEncryption {
    /// The algorithm's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Aes128Cbc => rfc5911::ID_AES_128_CBC,
            Self::Aes192Cbc => rfc5911::ID_AES_192_CBC,
            Self::Aes256Cbc => rfc5911::ID_AES_256_CBC,
            Self::DesEde3Cbc => rfc5911::DES_EDE_3_CBC,
            Self::DesCbc => DES_CBC,
        }
    }

    /// Looks up a content-encryption OID.
    pub fn from_oid(oid: ObjectIdentifier) -> Result<Self> {
        [
            Self::Aes128Cbc,
            Self::Aes192Cbc,
            Self::Aes256Cbc,
            Self::DesEde3Cbc,
            Self::DesCbc,
        ]
        .into_iter()
        .find(|alg| alg.oid() == oid)
        .ok_or(Error::UnsupportedAlgorithm {
            kind: "content encryption",
            oid,
        })
    }

    /// Length of the content-encryption key in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Cbc => 16,
            Self::Aes192Cbc | Self::DesEde3Cbc => 24,
            Self::Aes256Cbc => 32,
            Self::DesCbc => 8,
        }
    }

    /// Length of the IV (the cipher's block size) in bytes.
    pub fn iv_len(self) -> usize {
        match self {
            Self::Aes128Cbc | Self::Aes192Cbc | Self::Aes256Cbc => 16,
            Self::DesEde3Cbc | Self::DesCbc => 8,
        }
    }

    /// The AlgorithmIdentifier carrying `iv` as its OCTET STRING parameter.
    pub(crate) fn identifier(self, iv: &[u8]) -> Result<AlgorithmIdentifierOwned> {
        let iv = OctetString::new(iv).map_err(Error::asn1("IV"))?;
        let parameters = Any::encode_from(&iv).map_err(Error::asn1("IV"))?;
        Ok(AlgorithmIdentifierOwned {
            oid: self.oid(),
            parameters: Some(parameters),
        })
    }

    /// Reads the algorithm and its IV from an AlgorithmIdentifier.
    pub(crate) fn from_identifier(alg: &AlgorithmIdentifierOwned) -> Result<(Self, Vec<u8>)> {
        let cipher = Self::from_oid(alg.oid)?;
        let params = alg.parameters.as_ref().ok_or(Error::InvalidEnvelopedData(
            "content encryption algorithm has no IV",
        ))?;
        let der = params.to_der().map_err(Error::asn1("IV"))?;
        let iv = OctetString::from_der(&der).map_err(Error::asn1("IV"))?;
        if iv.as_bytes().len() != cipher.iv_len() {
            return Err(Error::InvalidEnvelopedData(
                "IV length does not match the cipher",
            ));
        }
        Ok((cipher, iv.as_bytes().to_vec()))
    }
}

/// Fills `buf` with cryptographically secure random bytes (nonces, serial
/// numbers, content-encryption keys).
pub fn fill_random(buf: &mut [u8]) -> Result<()> {
    aws_lc_rs::rand::fill(buf).map_err(|_| Error::Encrypt("random number generator failed"))
}

/// A random version-4 UUID in upper case, as Apple's tools write them
/// (`PayloadUUID`, `CommandUUID`, APNs topics).
pub fn random_uuid() -> Result<String> {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_uuids_are_distinct_upper_case_version_4() {
        let a = super::random_uuid().unwrap();
        let b = super::random_uuid().unwrap();
        assert_ne!(a, b);
        assert_eq!(a, a.to_ascii_uppercase());
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(matches!(&groups[3][..1], "8" | "9" | "A" | "B"), "{a}");
    }
}
