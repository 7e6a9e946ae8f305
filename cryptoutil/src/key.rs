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
use der::asn1::UintRef;
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
    /// Keys of 2048 bits or more go through aws-lc-rs. Keys of 1024 to 2047
    /// bits, which aws-lc-rs refuses but Apple devices generate when a SCEP
    /// payload asks for them (the payload's default `Keysize` is 1024), go
    /// through a public-key-only fallback. Smaller keys are refused with
    /// [`Error::RsaKeyTooSmall`], plaintexts longer than the key's size in
    /// bytes minus 11 with [`Error::PlaintextTooLong`].
    pub fn encrypt_pkcs1v15(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let rsa =
            RsaPublicKeyDer::from_der(self.pkcs1_der()).map_err(Error::asn1("RSAPublicKey"))?;
        let modulus = rsa.modulus.as_bytes();
        let bits = modulus_bits(modulus);
        if bits < MIN_ENCRYPTION_BITS {
            return Err(Error::RsaKeyTooSmall {
                bits,
                min: MIN_ENCRYPTION_BITS,
            });
        }
        let max = modulus.len() - PKCS1_V15_OVERHEAD;
        if plaintext.len() > max {
            return Err(Error::PlaintextTooLong {
                len: plaintext.len(),
                max,
            });
        }
        if bits < AWS_LC_MIN_BITS {
            return legacy_rsa::encrypt(modulus, rsa.public_exponent.as_bytes(), plaintext);
        }
        self.encrypt_with_aws_lc(plaintext)
    }

    fn encrypt_with_aws_lc(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let der = self.spki.to_der().map_err(Error::asn1("public key"))?;
        let key = PublicEncryptingKey::from_der(&der)
            .map_err(|_| Error::Encrypt("recipient RSA key rejected"))?;
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

/// Smallest RSA key [`PublicKey::encrypt_pkcs1v15`] encrypts to.
const MIN_ENCRYPTION_BITS: usize = 1024;
/// Smallest RSA key aws-lc-rs encrypts to; smaller keys use [`legacy_rsa`].
const AWS_LC_MIN_BITS: usize = 2048;
/// RSAES-PKCS1-v1_5 padding takes at least 11 bytes (RFC 8017 §7.2.1).
const PKCS1_V15_OVERHEAD: usize = 11;

/// PKCS#1 RSAPublicKey (RFC 8017 §A.1.1).
#[derive(der::Sequence)]
struct RsaPublicKeyDer<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// Bit length of a big-endian unsigned integer without leading zero bytes.
fn modulus_bits(modulus: &[u8]) -> usize {
    modulus.first().map_or(0, |first| {
        modulus.len() * 8 - first.leading_zeros() as usize
    })
}

/// RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1) to 1024..2047-bit keys,
/// with `num-bigint`.
///
/// `num-bigint` is not constant time, which is acceptable here and only
/// here: this is the public-key operation, so no private key is involved
/// and the exponent and modulus are public. The Marvin advisory
/// (RUSTSEC-2023-0071) concerns decryption, where an attacker submits
/// chosen ciphertexts and times the private-key operation to learn about
/// the key. Here no input is attacker-chosen, and the only secret is a
/// fresh random content-encryption key (with fresh random padding) per
/// message, which its recipient can decrypt anyway. Private-key operations
/// stay in aws-lc-rs; never use this module with a private key.
mod legacy_rsa {
    use num_bigint::BigUint;

    use super::PKCS1_V15_OVERHEAD;
    use crate::algorithm::fill_random;
    use crate::error::{Error, Result};

    /// Encrypts `plaintext` to the key (`modulus`, `exponent`), both
    /// big-endian without leading zeros; the caller has checked the sizes.
    pub(super) fn encrypt(modulus: &[u8], exponent: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let n = BigUint::from_bytes_be(modulus);
        let e = BigUint::from_bytes_be(exponent);
        // An RSA modulus is odd (so never zero, which `modpow` refuses), and
        // the exponent an odd number from 3 to n - 1.
        if !n.bit(0) || !e.bit(0) || e < BigUint::from(3u8) || e >= n {
            return Err(Error::InvalidPublicKey);
        }
        let k = modulus.len();
        let em = encode(k, plaintext)?;
        let c = BigUint::from_bytes_be(&em).modpow(&e, &n).to_bytes_be();
        // I2OSP(c, k): c < n < 256^k, so it fits; pad with leading zeros.
        let mut out = vec![0u8; k];
        out[k - c.len()..].copy_from_slice(&c);
        Ok(out)
    }

    /// EM = 0x00 || 0x02 || PS || 0x00 || M, `k` bytes long, PS nonzero
    /// random bytes (at least 8).
    pub(super) fn encode(k: usize, message: &[u8]) -> Result<Vec<u8>> {
        let ps_len = k
            .checked_sub(message.len() + 3)
            .filter(|len| *len >= PKCS1_V15_OVERHEAD - 3)
            .ok_or_else(|| Error::PlaintextTooLong {
                len: message.len(),
                max: k.saturating_sub(PKCS1_V15_OVERHEAD),
            })?;
        let mut ps = vec![0u8; ps_len];
        fill_nonzero(&mut ps)?;
        let mut em = Vec::with_capacity(k);
        em.extend_from_slice(&[0x00, 0x02]);
        em.extend_from_slice(&ps);
        em.push(0x00);
        em.extend_from_slice(message);
        Ok(em)
    }

    /// Fills `buf` with random nonzero bytes, drawing zero bytes again.
    fn fill_nonzero(buf: &mut [u8]) -> Result<()> {
        fill_random(buf)?;
        for byte in buf.iter_mut() {
            while *byte == 0 {
                let mut one = [0u8];
                fill_random(&mut one)?;
                *byte = one[0];
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::{legacy_rsa, modulus_bits};
    use crate::Error;

    #[test]
    fn the_legacy_padding_is_zero_two_nonzero_random_zero_message() {
        let message = [0xaa; 16];
        let em = legacy_rsa::encode(128, &message).unwrap();
        assert_eq!(em.len(), 128);
        assert_eq!(em[..2], [0x00, 0x02]);
        let ps = &em[2..128 - 17];
        assert!(ps.iter().all(|b| *b != 0), "{ps:?}");
        assert_eq!(em[128 - 17], 0x00);
        assert_eq!(em[128 - 16..], message);
        assert_ne!(em, legacy_rsa::encode(128, &message).unwrap());
    }

    #[test]
    fn the_legacy_padding_needs_eight_bytes_of_ps() {
        let em = legacy_rsa::encode(128, &[1; 117]).unwrap();
        assert!(em[2..10].iter().all(|b| *b != 0), "{em:?}");
        assert_eq!(em[10], 0x00);
        let err = legacy_rsa::encode(128, &[1; 118]).unwrap_err();
        assert!(
            matches!(err, Error::PlaintextTooLong { len: 118, max: 117 }),
            "{err:?}"
        );
    }

    #[test]
    fn modulus_bits_ignore_leading_zero_bits_of_the_first_byte() {
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0x0f, 0]), 12);
    }
}
