//! PEM documents holding several blocks (certificate chains, cert + key).

pub mod legacy;

use der::pem::{self as rfc7468, LineEnding};

use crate::error::{Error, Result};

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The label after `BEGIN`, e.g. `CERTIFICATE`.
    pub label: String,
    /// The decoded contents.
    pub der: Vec<u8>,
}

/// Decodes every PEM block of `text`, in order, ignoring text between blocks.
///
/// Legacy OpenSSL encryption headers (`Proc-Type: 4,ENCRYPTED`) are refused
/// with a message saying so.
pub fn blocks(text: &str) -> Result<Vec<Block>> {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let block_text = &rest[start..];
        let label_end = block_text[BEGIN.len()..]
            .find("-----")
            .ok_or_else(|| Error::Pem("unterminated BEGIN line".into()))?;
        let label = &block_text[BEGIN.len()..BEGIN.len() + label_end];
        let end_marker = format!("-----END {label}-----");
        let end = block_text
            .find(&end_marker)
            .ok_or_else(|| Error::Pem(format!("no END line for {label}")))?;
        let block_text = &block_text[..end + end_marker.len()];
        if block_text.contains("Proc-Type:") {
            return Err(Error::Pem(format!(
                "{label} uses legacy OpenSSL encryption, which is not supported"
            )));
        }
        let (decoded_label, der) = rfc7468::decode_vec(block_text.as_bytes())
            .map_err(|e| Error::Pem(format!("{label}: {e}")))?;
        out.push(Block {
            label: decoded_label.to_owned(),
            der,
        });
        rest = &rest[start + block_text.len()..];
    }
    Ok(out)
}

/// Encodes `der` as a PEM block with `label` and LF line endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    // Encoding only fails for labels that are not valid RFC 7468 labels,
    // and every caller passes a constant one.
    rfc7468::encode_string(label, LineEnding::LF, der).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_blocks_are_decoded_in_order_with_text_between_them() {
        let a = encode("CERTIFICATE", b"one");
        let b = encode("PRIVATE KEY", b"two");
        let text = format!("subject=foo\n{a}\nsome text\n{b}");
        let blocks = blocks(&text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].der, b"one");
        assert_eq!(blocks[1].label, "PRIVATE KEY");
        assert_eq!(blocks[1].der, b"two");
    }

    #[test]
    fn a_block_without_end_line_is_an_error() {
        let err = blocks("-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap_err();
        assert!(err.to_string().contains("no END line"), "{err}");
    }

    #[test]
    fn legacy_encrypted_keys_are_refused_by_name() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        let err = blocks(text).unwrap_err();
        assert!(
            err.to_string().contains("legacy OpenSSL encryption"),
            "{err}"
        );
    }

    #[test]
    fn bad_base64_is_an_error_naming_the_label() {
        let err =
            blocks("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").unwrap_err();
        assert!(err.to_string().contains("CERTIFICATE"), "{err}");
    }
}
