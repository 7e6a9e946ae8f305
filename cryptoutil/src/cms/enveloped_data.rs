//! CMS EnvelopedData (RFC 5652 §6) with RSA PKCS#1 v1.5 key transport:
//! decrypt (AES-128/192/256-CBC, DES-EDE3-CBC, single DES-CBC) and encrypt
//! (AES-128-CBC by default, DES-EDE3-CBC on request).

use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::CmsVersion;
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use der::Any;
use der::asn1::{Null, OctetString, SetOfVec};
use des::{Des, TdesEde3};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::{ID_DATA, ID_ENVELOPED_DATA, decode_content_info, encode_content_info};
use crate::algorithm::{ContentEncryption, RSA_ENCRYPTION, fill_random};
use crate::ber::{self, Class, Limits, Tlv, Value};
use crate::cert;
use crate::error::{Error, Result};
use crate::key::PrivateKey;

/// A parsed EnvelopedData, not yet decrypted.
#[derive(Debug, Clone)]
pub struct EnvelopedMessage {
    enveloped: EnvelopedData,
}

impl EnvelopedMessage {
    /// Parses a BER or DER ContentInfo holding EnvelopedData.
    pub fn from_ber(input: &[u8]) -> Result<Self> {
        let mut tree = ber::parse(input, Limits::default())?;
        collapse_encrypted_content(&mut tree)?;
        let der = ber::encode(&tree);
        let content = decode_content_info(&der, ID_ENVELOPED_DATA)?;
        let enveloped = content.decode_as().map_err(Error::asn1("EnvelopedData"))?;
        Ok(Self { enveloped })
    }

    /// The content-encryption algorithm.
    pub fn content_encryption(&self) -> Result<ContentEncryption> {
        ContentEncryption::from_oid(self.enveloped.encrypted_content.content_enc_alg.oid)
    }

    /// The raw EnvelopedData.
    pub fn enveloped_data(&self) -> &EnvelopedData {
        &self.enveloped
    }

    /// Decrypts the content with the key of `recipient`, choosing the
    /// KeyTransRecipientInfo addressed to that certificate (by issuer and
    /// serial number, or by subject key identifier).
    ///
    /// Every failure after the recipient is found is reported as
    /// [`Error::Decrypt`], so a peer cannot tell a bad key transport from bad
    /// padding.
    pub fn decrypt(&self, recipient: &Certificate, key: &dyn PrivateKey) -> Result<Vec<u8>> {
        let ktri = self.recipient_info(recipient)?;
        if ktri.key_enc_alg.oid != RSA_ENCRYPTION {
            return Err(Error::UnsupportedAlgorithm {
                kind: "key transport",
                oid: ktri.key_enc_alg.oid,
            });
        }
        let eci = &self.enveloped.encrypted_content;
        let (cipher, iv) = ContentEncryption::from_identifier(&eci.content_enc_alg)?;
        let ciphertext = eci
            .encrypted_content
            .as_ref()
            .ok_or(Error::InvalidEnvelopedData("no encrypted content"))?;
        let cek = key.decrypt_pkcs1v15(ktri.enc_key.as_bytes())?;
        cbc_decrypt(cipher, &cek, &iv, ciphertext.as_bytes())
    }

    fn recipient_info(&self, recipient: &Certificate) -> Result<&KeyTransRecipientInfo> {
        let tbs = &recipient.tbs_certificate;
        let ski = cert::find_extension::<SubjectKeyIdentifier>(recipient);
        self.enveloped
            .recip_infos
            .0
            .iter()
            .filter_map(|ri| match ri {
                RecipientInfo::Ktri(ktri) => Some(ktri),
                _ => None,
            })
            .find(|ktri| match &ktri.rid {
                RecipientIdentifier::IssuerAndSerialNumber(ias) => {
                    ias.issuer == tbs.issuer && ias.serial_number == tbs.serial_number
                }
                RecipientIdentifier::SubjectKeyIdentifier(id) => ski.as_ref() == Some(id),
            })
            .ok_or(Error::NoMatchingRecipient)
    }
}

/// Decrypts a BER or DER EnvelopedData ContentInfo for `recipient`.
pub fn decrypt(input: &[u8], recipient: &Certificate, key: &dyn PrivateKey) -> Result<Vec<u8>> {
    EnvelopedMessage::from_ber(input)?.decrypt(recipient, key)
}

/// Encrypts `content` (type `id-data`) to every certificate in
/// `recipients` with a fresh key of `cipher`, and encodes the ContentInfo.
///
/// Single DES is refused: it is accepted on input only.
pub fn encrypt(
    content: &[u8],
    recipients: &[Certificate],
    cipher: ContentEncryption,
) -> Result<Vec<u8>> {
    if cipher == ContentEncryption::DesCbc {
        return Err(Error::Encrypt("single DES is never produced"));
    }
    if recipients.is_empty() {
        return Err(Error::Encrypt("no recipients"));
    }
    let mut cek = vec![0u8; cipher.key_len()];
    fill_random(&mut cek)?;
    let mut iv = vec![0u8; cipher.iv_len()];
    fill_random(&mut iv)?;
    let ciphertext = cbc_encrypt(cipher, &cek, &iv, content)?;
    let infos = recipients
        .iter()
        .map(|r| key_trans_recipient(r, &cek))
        .collect::<Result<Vec<_>>>()?;
    let enveloped = EnvelopedData {
        version: CmsVersion::V0,
        originator_info: None,
        recip_infos: RecipientInfos(
            SetOfVec::try_from(infos).map_err(Error::asn1("recipient infos"))?,
        ),
        encrypted_content: EncryptedContentInfo {
            content_type: ID_DATA,
            content_enc_alg: cipher.identifier(&iv)?,
            encrypted_content: Some(
                OctetString::new(ciphertext).map_err(Error::asn1("encrypted content"))?,
            ),
        },
        unprotected_attrs: None,
    };
    encode_content_info(ID_ENVELOPED_DATA, &enveloped)
}

fn key_trans_recipient(recipient: &Certificate, cek: &[u8]) -> Result<RecipientInfo> {
    let tbs = &recipient.tbs_certificate;
    let enc_key = cert::public_key(recipient)?.encrypt_pkcs1v15(cek)?;
    Ok(RecipientInfo::Ktri(KeyTransRecipientInfo {
        version: CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        key_enc_alg: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::from(Null)),
        },
        enc_key: OctetString::new(enc_key).map_err(Error::asn1("encrypted key"))?,
    }))
}

fn cbc_decrypt(
    cipher: ContentEncryption,
    key: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    fn run<C>(key: &[u8], iv: &[u8], ct: &[u8]) -> Result<Vec<u8>>
    where
        cbc::Decryptor<C>: KeyIvInit + BlockDecryptMut,
        C: BlockDecryptMut + cbc::cipher::BlockCipher,
    {
        cbc::Decryptor::<C>::new_from_slices(key, iv)
            .map_err(|_| Error::Decrypt)?
            .decrypt_padded_vec_mut::<Pkcs7>(ct)
            .map_err(|_| Error::Decrypt)
    }
    match cipher {
        ContentEncryption::Aes128Cbc => run::<Aes128>(key, iv, ciphertext),
        ContentEncryption::Aes192Cbc => run::<Aes192>(key, iv, ciphertext),
        ContentEncryption::Aes256Cbc => run::<Aes256>(key, iv, ciphertext),
        ContentEncryption::DesEde3Cbc => run::<TdesEde3>(key, iv, ciphertext),
        ContentEncryption::DesCbc => run::<Des>(key, iv, ciphertext),
    }
}

fn cbc_encrypt(
    cipher: ContentEncryption,
    key: &[u8],
    iv: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    fn run<C>(key: &[u8], iv: &[u8], pt: &[u8]) -> Result<Vec<u8>>
    where
        cbc::Encryptor<C>: KeyIvInit + BlockEncryptMut,
        C: BlockEncryptMut + cbc::cipher::BlockCipher,
    {
        Ok(cbc::Encryptor::<C>::new_from_slices(key, iv)
            .map_err(|_| Error::Encrypt("bad key or IV length"))?
            .encrypt_padded_vec_mut::<Pkcs7>(pt))
    }
    match cipher {
        ContentEncryption::Aes128Cbc => run::<Aes128>(key, iv, plaintext),
        ContentEncryption::Aes192Cbc => run::<Aes192>(key, iv, plaintext),
        ContentEncryption::Aes256Cbc => run::<Aes256>(key, iv, plaintext),
        ContentEncryption::DesEde3Cbc => run::<TdesEde3>(key, iv, plaintext),
        ContentEncryption::DesCbc => run::<Des>(key, iv, plaintext),
    }
}

/// Streaming encoders (`openssl cms -stream`, Apple's DEP token files) send
/// encryptedContent, an IMPLICIT `[0]` OCTET STRING, in constructed form as
/// a series of OCTET STRING segments. Only the schema knows that `[0]` hides
/// an OCTET STRING, so the fix-up happens here rather than in the generic
/// BER normaliser.
fn collapse_encrypted_content(content_info: &mut Tlv) -> Result<()> {
    let Some(enveloped) = children_mut(content_info)
        .and_then(|c| c.get_mut(1))
        .and_then(|explicit| children_mut(explicit))
        .and_then(|c| c.get_mut(0))
    else {
        return Ok(()); // not the expected shape: let the decoder report it
    };
    let Some(eci) = children_mut(enveloped).and_then(|c| {
        c.iter_mut()
            .find(|t| t.tag.class == Class::Universal && t.tag.number == 0x10)
    }) else {
        return Ok(());
    };
    if let Some(content) = children_mut(eci).and_then(|c| c.get_mut(2))
        && content.tag.class == Class::ContextSpecific
        && content.tag.number == 0
        && content.tag.constructed
    {
        content.collapse_to_primitive()?;
    }
    Ok(())
}

fn children_mut(tlv: &mut Tlv) -> Option<&mut Vec<Tlv>> {
    match &mut tlv.value {
        Value::Constructed(children) => Some(children),
        Value::Primitive(_) => None,
    }
}
