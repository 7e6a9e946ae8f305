//! OpenSSL's "traditional" PEM encryption (RFC 1421 headers
//! `Proc-Type: 4,ENCRYPTED` and `DEK-Info: <cipher>,<hex IV>`), as
//! `openssl rsa -traditional -des3` and micromdm's `scepserver ca -init`
//! write `RSA PRIVATE KEY` blocks.
//!
//! The key is OpenSSL's `EVP_BytesToKey` with MD5, one iteration and the
//! first 8 bytes of the IV as salt; the cipher runs in CBC mode with PKCS#7
//! padding. This is a weak key derivation, kept for interoperability only:
//! [`blocks`](super::blocks) still refuses these blocks, so decryption
//! happens only when a caller asks for it here.

use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipher, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use der::pem as rfc7468;
use des::TdesEde3;
use md5::{Digest, Md5};

use crate::error::{Error, Result};

/// A cipher OpenSSL names in `DEK-Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CbcCipher {
    DesEde3,
    Aes128,
    Aes192,
    Aes256,
}

impl CbcCipher {
    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "DES-EDE3-CBC" => Some(Self::DesEde3),
            "AES-128-CBC" => Some(Self::Aes128),
            "AES-192-CBC" => Some(Self::Aes192),
            "AES-256-CBC" => Some(Self::Aes256),
            _ => None,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::DesEde3 => "DES-EDE3-CBC",
            Self::Aes128 => "AES-128-CBC",
            Self::Aes192 => "AES-192-CBC",
            Self::Aes256 => "AES-256-CBC",
        }
    }

    const fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::DesEde3 | Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    const fn iv_len(self) -> usize {
        match self {
            Self::DesEde3 => 8,
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
        }
    }
}

/// Decrypts the first PEM block of `pem_text`, which must carry
/// `Proc-Type: 4,ENCRYPTED` and a `DEK-Info` naming DES-EDE3-CBC,
/// AES-128-CBC, AES-192-CBC or AES-256-CBC, and returns its label and DER
/// contents.
///
/// A wrong password is an error (the padding and the outer DER SEQUENCE are
/// checked), never garbage.
pub fn decrypt(pem_text: &str, password: &[u8]) -> Result<(String, Vec<u8>)> {
    let block = EncryptedBlock::parse(pem_text)?;
    let key = bytes_to_key(password, &block.iv[..8], block.cipher.key_len());
    let plaintext = cbc_decrypt(block.cipher, &key, &block.iv, &block.ciphertext)
        .filter(|p| is_one_der_sequence(p))
        .ok_or_else(|| {
            Error::Pem(format!(
                "{}: wrong password, or corrupted data",
                block.label
            ))
        })?;
    Ok((block.label, plaintext))
}

/// Encrypts `der` under `label` as OpenSSL's `-traditional -des3` does:
/// DES-EDE3-CBC, a random IV, LF line endings.
pub fn encrypt_des3(label: &str, der: &[u8], password: &[u8]) -> Result<String> {
    let cipher = CbcCipher::DesEde3;
    let mut iv = [0u8; 8];
    crate::algorithm::fill_random(&mut iv)?;
    let key = bytes_to_key(password, &iv, cipher.key_len());
    let ciphertext = cbc::Encryptor::<TdesEde3>::new_from_slices(&key, &iv)
        .map_err(|_| Error::Encrypt("bad key or IV length"))?
        .encrypt_padded_vec_mut::<Pkcs7>(der);
    let body = rfc7468::encode_string(label, rfc7468::LineEnding::LF, &ciphertext)
        .map_err(|e| Error::Pem(format!("{label}: {e}")))?;
    let (begin, rest) = body
        .split_once('\n')
        .ok_or_else(|| Error::Pem("encoder wrote no BEGIN line".into()))?;
    Ok(format!(
        "{begin}\nProc-Type: 4,ENCRYPTED\nDEK-Info: {},{}\n\n{rest}",
        cipher.name(),
        hex_upper(&iv)
    ))
}

/// The parts of an encrypted block.
struct EncryptedBlock {
    label: String,
    cipher: CbcCipher,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl EncryptedBlock {
    fn parse(text: &str) -> Result<Self> {
        const BEGIN: &str = "-----BEGIN ";
        let start = text
            .find(BEGIN)
            .ok_or_else(|| Error::Pem("no BEGIN line".into()))?;
        let mut lines = text[start..].lines();
        let begin_line = lines.next().unwrap_or_default().trim_end();
        let label = begin_line
            .strip_prefix(BEGIN)
            .and_then(|l| l.strip_suffix("-----"))
            .ok_or_else(|| Error::Pem("malformed BEGIN line".into()))?
            .to_owned();
        let (mut encrypted, mut dek_info) = (false, None);
        for line in lines.by_ref() {
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            // A line without a colon is base64: the block has no headers.
            let Some((name, value)) = line.split_once(':') else {
                break;
            };
            match name.trim() {
                "Proc-Type" => encrypted = value.trim() == "4,ENCRYPTED",
                "DEK-Info" => dek_info = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        let dek_info = dek_info
            .filter(|_| encrypted)
            .ok_or_else(|| Error::Pem(format!("{label} is not legacy-encrypted")))?;
        let (cipher, iv) = parse_dek_info(&label, &dek_info)?;
        let end_line = format!("-----END {label}-----");
        let body: Vec<&str> = lines
            .map(str::trim_end)
            .take_while(|l| *l != end_line)
            .collect();
        // Re-wrap the base64 body without headers for the RFC 7468 decoder.
        let clean = format!("{begin_line}\n{}\n{end_line}\n", body.join("\n"));
        let (_, ciphertext) = rfc7468::decode_vec(clean.as_bytes())
            .map_err(|e| Error::Pem(format!("{label}: {e}")))?;
        Ok(Self {
            label,
            cipher,
            iv,
            ciphertext,
        })
    }
}

fn parse_dek_info(label: &str, dek_info: &str) -> Result<(CbcCipher, Vec<u8>)> {
    let (name, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| Error::Pem(format!("{label}: malformed DEK-Info")))?;
    let cipher = CbcCipher::from_name(name.trim()).ok_or_else(|| {
        Error::Pem(format!(
            "{label}: unsupported DEK-Info cipher {}",
            name.trim()
        ))
    })?;
    let iv = hex_decode(iv_hex.trim())
        .filter(|iv| iv.len() == cipher.iv_len())
        .ok_or_else(|| Error::Pem(format!("{label}: malformed DEK-Info IV")))?;
    Ok((cipher, iv))
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one iteration.
fn bytes_to_key(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(len + 16);
    let mut previous: Vec<u8> = Vec::new();
    while key.len() < len {
        let mut md5 = Md5::new();
        md5.update(&previous);
        md5.update(password);
        md5.update(salt);
        previous = md5.finalize().to_vec();
        key.extend_from_slice(&previous);
    }
    key.truncate(len);
    key
}

fn cbc_decrypt(cipher: CbcCipher, key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    fn run<C>(key: &[u8], iv: &[u8], ct: &[u8]) -> Option<Vec<u8>>
    where
        cbc::Decryptor<C>: KeyIvInit + BlockDecryptMut,
        C: BlockDecryptMut + BlockCipher,
    {
        cbc::Decryptor::<C>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<Pkcs7>(ct)
            .ok()
    }
    match cipher {
        CbcCipher::DesEde3 => run::<TdesEde3>(key, iv, ciphertext),
        CbcCipher::Aes128 => run::<Aes128>(key, iv, ciphertext),
        CbcCipher::Aes192 => run::<Aes192>(key, iv, ciphertext),
        CbcCipher::Aes256 => run::<Aes256>(key, iv, ciphertext),
    }
}

/// Whether `bytes` is exactly one DER SEQUENCE (tag and length checked),
/// which every key a PEM block holds is.
fn is_one_der_sequence(bytes: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = bytes else {
        return false;
    };
    let (length, contents) = match *first {
        short @ 0..=0x7f => (usize::from(short), rest),
        long @ 0x81..=0x84 => {
            let n = usize::from(long & 0x7f);
            if rest.len() < n {
                return false;
            }
            let length = rest[..n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (length, &rest[n..])
        }
        _ => return false,
    };
    contents.len() == length
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests;
