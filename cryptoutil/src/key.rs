//! RSA keys: the [`PrivateKey`] trait every private-key operation goes
//! through, its aws-lc-rs implementation [`RsaPrivateKey`], and
//! [`PublicKey`] for verification and key transport.
//!
//! Private-key operations use aws-lc-rs: constant time, and not affected by
//! the Marvin timing advisory of the `rsa` crate (RUSTSEC-2023-0071), which
//! matters because a SCEP server decrypts attacker-supplied envelopes.

use std::fmt::Debug;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair, KeySize, Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey,
};
use aws_lc_rs::signature::{self as aws_sig, RsaEncoding, UnparsedPublicKey};
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;

use crate::algorithm::{DigestAlgorithm, RSA_ENCRYPTION, SignatureAlgorithm};
use crate::error::{Error, Result};
use crate::pem;

/// A private key that can sign and unwrap content-encryption keys.
///
/// Every private-key operation of this crate goes through this trait, so an
/// embedding server can keep its SCEP CA or DEP token key in an HSM or a KMS.
///
/// Contract (checked for any implementation by
/// `cryptoutil::testing::conformance`):
/// - [`sign`](Self::sign) returns a PKCS#1 v1.5 signature over `message` that
///   verifies with [`public_key`](Self::public_key) and the same algorithm;
/// - [`decrypt_pkcs1v15`](Self::decrypt_pkcs1v15) inverts PKCS#1 v1.5
///   encryption to [`public_key`](Self::public_key);
/// - both return an error, never panic, on input they cannot process
///   (a ciphertext of the wrong length, an unsupported algorithm);
/// - decryption failures carry no detail ([`Error::Decrypt`]).
pub trait PrivateKey: Send + Sync + Debug {
    /// The matching public key.
    fn public_key(&self) -> &PublicKey;

    /// Signs `message` (hashing it with the algorithm's digest).
    fn sign(&self, algorithm: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>>;

    /// Decrypts an RSAES-PKCS1-v1_5 ciphertext (CMS key transport).
    fn decrypt_pkcs1v15(&self, ciphertext: &[u8]) -> Result<Vec<u8>>;
}

/// An RSA public key, kept as its SubjectPublicKeyInfo.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki: SubjectPublicKeyInfoOwned,
}

impl Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.spki.algorithm.oid)
            .field("subject_key_identifier", &self.subject_key_identifier())
            .finish()
    }
}

impl PublicKey {
    /// Wraps an RSA SubjectPublicKeyInfo.
    pub fn from_spki(spki: SubjectPublicKeyInfoOwned) -> Result<Self> {
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(Error::UnsupportedAlgorithm {
                kind: "public key",
                oid: spki.algorithm.oid,
            });
        }
        if spki.subject_public_key.as_bytes().is_none() {
            return Err(Error::InvalidPublicKey);
        }
        Ok(Self { spki })
    }

    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let spki = SubjectPublicKeyInfoOwned::from_der(der)
            .map_err(Error::asn1("SubjectPublicKeyInfo"))?;
        Self::from_spki(spki)
    }

    /// The SubjectPublicKeyInfo.
    pub fn spki(&self) -> &SubjectPublicKeyInfoOwned {
        &self.spki
    }

    /// The PKCS#1 RSAPublicKey DER (the SPKI's BIT STRING contents).
    pub fn pkcs1_der(&self) -> &[u8] {
        self.spki.subject_public_key.raw_bytes()
    }

    /// Subject key identifier: the leftmost 160 bits of SHA-256 over the
    /// RSAPublicKey (RFC 7093 §2 method 1), as micromdm computes it.
    pub fn subject_key_identifier(&self) -> Vec<u8> {
        let mut ski = DigestAlgorithm::Sha256.digest(self.pkcs1_der());
        ski.truncate(20);
        ski
    }

    /// Verifies a PKCS#1 v1.5 `signature` over `message`.
    ///
    /// Keys from 1024 bits are accepted because devices may generate them.
    pub fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        let params: &'static aws_sig::RsaParameters = match algorithm.0 {
            DigestAlgorithm::Sha1 => &aws_sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha256 => &aws_sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            DigestAlgorithm::Sha384 => &aws_sig::RSA_PKCS1_2048_8192_SHA384,
            DigestAlgorithm::Sha512 => &aws_sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
        };
        UnparsedPublicKey::new(params, self.pkcs1_der())
            .verify(message, signature)
            .map_err(|_| Error::BadSignature)
    }

    /// Encrypts `plaintext` (a content-encryption key) with RSAES-PKCS1-v1_5.
    ///
    /// Keys under 2048 bits are refused.
    pub fn encrypt_pkcs1v15(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let der = self.spki.to_der().map_err(Error::asn1("public key"))?;
        let key = PublicEncryptingKey::from_der(&der)
            .map_err(|_| Error::Encrypt("recipient RSA key rejected (under 2048 bits?)"))?;
        let key = Pkcs1PublicEncryptingKey::new(key)
            .map_err(|_| Error::Encrypt("recipient key unusable"))?;
        let mut out = vec![0; key.ciphertext_size()];
        let len = key
            .encrypt(plaintext, &mut out)
            .map_err(|_| Error::Encrypt("RSA encryption failed"))?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

/// An RSA private key held in memory by aws-lc-rs.
pub struct RsaPrivateKey {
    signing: KeyPair,
    decrypting: Pkcs1PrivateDecryptingKey,
    public: PublicKey,
    pkcs8: Vec<u8>,
}

impl Debug for RsaPrivateKey {
    // Never prints key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("bits", &self.bits())
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// Generates a new key of `bits` bits (2048, 3072, 4096 or 8192).
    pub fn generate(bits: usize) -> Result<Self> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => {
                return Err(Error::InvalidPrivateKey(
                    "RSA key size must be 2048, 3072, 4096 or 8192",
                ));
            }
        };
        let key = PrivateDecryptingKey::generate(size)
            .map_err(|_| Error::InvalidPrivateKey("key generation failed"))?;
        let pkcs8 = key
            .as_der()
            .map_err(|_| Error::InvalidPrivateKey("key encoding failed"))?;
        Self::from_pkcs8_der(pkcs8.as_ref())
    }

    /// Loads a PKCS#8 PrivateKeyInfo (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let signing =
            KeyPair::from_pkcs8(der).map_err(|e| Error::InvalidPrivateKey(e.description_()))?;
        let decrypting = PrivateDecryptingKey::from_pkcs8(der)
            .map_err(|e| Error::InvalidPrivateKey(e.description_()))?;
        let public_der = decrypting
            .public_key()
            .as_der()
            .map_err(|_| Error::InvalidPrivateKey("public key encoding failed"))?;
        let public = PublicKey::from_der(public_der.as_ref())?;
        let decrypting = Pkcs1PrivateDecryptingKey::new(decrypting)
            .map_err(|_| Error::InvalidPrivateKey("key unusable for decryption"))?;
        Ok(Self {
            signing,
            decrypting,
            public,
            pkcs8: der.to_vec(),
        })
    }

    /// Loads a PKCS#1 RSAPrivateKey (DER), as OpenSSL's `-traditional` and
    /// micromdm's depots write it.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        let algorithm = spki::AlgorithmIdentifierRef {
            oid: RSA_ENCRYPTION,
            parameters: Some(der::asn1::AnyRef::NULL),
        };
        let info = pkcs8::PrivateKeyInfo::new(algorithm, der);
        let pkcs8 = info.to_der().map_err(Error::asn1("PrivateKeyInfo"))?;
        Self::from_pkcs8_der(&pkcs8)
    }

    /// Loads a DER key in either PKCS#8 or PKCS#1 form.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Self::from_pkcs8_der(der).or_else(|_| Self::from_pkcs1_der(der))
    }

    /// Loads the first private key of a PEM document: `PRIVATE KEY` (PKCS#8)
    /// or `RSA PRIVATE KEY` (PKCS#1). Encrypted keys are refused with a
    /// message saying so.
    pub fn from_pem(pem: &str) -> Result<Self> {
        for block in pem::blocks(pem)? {
            match block.label.as_str() {
                "PRIVATE KEY" => return Self::from_pkcs8_der(&block.der),
                "RSA PRIVATE KEY" => return Self::from_pkcs1_der(&block.der),
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(Error::InvalidPrivateKey(
                        "encrypted private keys are not supported",
                    ));
                }
                _ => {}
            }
        }
        Err(Error::InvalidPrivateKey(
            "no PRIVATE KEY or RSA PRIVATE KEY block in PEM",
        ))
    }

    /// The key as PKCS#8 DER (secret: handle with care).
    pub fn to_pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key as a PKCS#8 PEM document (secret: handle with care).
    pub fn to_pkcs8_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.pkcs8)
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.decrypting.key_size_bits()
    }
}

impl PrivateKey for RsaPrivateKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, algorithm: SignatureAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        let encoding: &'static dyn RsaEncoding = match algorithm.0 {
            DigestAlgorithm::Sha256 => &aws_sig::RSA_PKCS1_SHA256,
            DigestAlgorithm::Sha384 => &aws_sig::RSA_PKCS1_SHA384,
            DigestAlgorithm::Sha512 => &aws_sig::RSA_PKCS1_SHA512,
            DigestAlgorithm::Sha1 => {
                return Err(Error::UnsupportedAlgorithm {
                    kind: "signing",
                    oid: algorithm.oid(),
                });
            }
        };
        let mut signature = vec![0; self.signing.public_modulus_len()];
        self.signing
            .sign(
                encoding,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| Error::Sign)?;
        Ok(signature)
    }

    fn decrypt_pkcs1v15(&self, ciphertext: &[u8]) -> Result<Vec<u8>> {
        if ciphertext.len() != self.decrypting.key_size_bytes() {
            return Err(Error::Decrypt);
        }
        let mut out = vec![0; self.decrypting.min_output_size()];
        let len = self
            .decrypting
            .decrypt(ciphertext, &mut out)
            .map_err(|_| Error::Decrypt)?
            .len();
        out.truncate(len);
        Ok(out)
    }
}
