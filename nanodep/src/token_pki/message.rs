//! The text layers of a token file: the S/MIME envelope around the CMS
//! bytes, and the message wrapping the token JSON inside.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::OAuth1Tokens;
use crate::error::TokenError;

const BEGIN: &str = "-----BEGIN MESSAGE-----";
const END: &str = "-----END MESSAGE-----";

/// Splits RFC 822-style text into its header lines and the rest after the
/// first empty line; `None` without an empty line.
fn split_headers(text: &str) -> Option<(Vec<&str>, &str)> {
    let mut headers = Vec::new();
    let mut rest = text;
    loop {
        let (line, tail) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => return None,
        };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return Some((headers, tail));
        }
        headers.push(line);
        rest = tail;
    }
}

/// Reads the S/MIME text of a `.p7m` token file and returns the CMS bytes
/// (BER) inside. Ported from Go `tokenpki.UnwrapSMIME`, but base64 errors
/// are reported rather than ignored.
pub fn unwrap_smime(p7m: &[u8]) -> Result<Vec<u8>, TokenError> {
    let text = std::str::from_utf8(p7m).map_err(|_| TokenError::NotSmime("not text"))?;
    let (headers, body) =
        split_headers(text).ok_or(TokenError::NotSmime("no MIME headers before a blank line"))?;
    let content_type = headers
        .iter()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.trim().to_ascii_lowercase())
        .ok_or(TokenError::NotSmime("no Content-Type header"))?;
    if !content_type.starts_with("application/pkcs7-mime")
        && !content_type.starts_with("application/x-pkcs7-mime")
    {
        return Err(TokenError::NotSmime(
            "Content-Type is not application/pkcs7-mime",
        ));
    }
    let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if base64.is_empty() {
        return Err(TokenError::Truncated("empty S/MIME body".into()));
    }
    STANDARD
        .decode(base64)
        .map_err(|e| TokenError::Truncated(Box::new(e)))
}

/// Wraps CMS bytes in S/MIME text as Apple's token files are, with 76
/// characters per base64 line.
pub fn wrap_smime(cms: &[u8]) -> Vec<u8> {
    let mut out = String::from(
        "Content-Type: application/pkcs7-mime; name=\"smime.p7m\"; smime-type=enveloped-data\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\
         Content-Description: S/MIME Encrypted Message\r\n\r\n",
    );
    let encoded = STANDARD.encode(cms);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Extracts the token JSON from the decrypted message (optional MIME
/// headers, then the JSON between `-----BEGIN MESSAGE-----` and
/// `-----END MESSAGE-----`, line breaks dropped). Ported from Go
/// `tokenpki.UnwrapTokenJSON`.
pub fn unwrap_token_message(plaintext: &[u8]) -> Result<OAuth1Tokens, TokenError> {
    let text = std::str::from_utf8(plaintext).map_err(|_| TokenError::Message("not UTF-8 text"))?;
    let start = text
        .find(BEGIN)
        .ok_or(TokenError::Message("no BEGIN MESSAGE line"))?
        + BEGIN.len();
    let len = text[start..]
        .find(END)
        .ok_or(TokenError::Message("no END MESSAGE line"))?;
    let json: String = text[start..start + len]
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .collect();
    serde_json::from_str(&json).map_err(TokenError::Json)
}

/// The decrypted message Apple's portal wraps a token in.
pub fn wrap_token_message(tokens: &OAuth1Tokens) -> Result<Vec<u8>, TokenError> {
    let json = serde_json::to_string(tokens).map_err(TokenError::Json)?;
    Ok(format!(
        "Content-Type: text/plain;charset=UTF-8\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n{BEGIN}\n{json}\n{END}\n"
    )
    .into_bytes())
}
