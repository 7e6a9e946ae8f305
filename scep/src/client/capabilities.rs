//! GetCACaps keywords (RFC 8894 §3.5.2).

use cryptoutil::ContentEncryption;

/// The capabilities a server lists in its GetCACaps answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    keywords: Vec<String>,
}

impl Capabilities {
    /// Parses a GetCACaps body: one keyword per line (LF or CRLF), blank
    /// lines ignored.
    pub fn parse(body: &str) -> Self {
        let keywords = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        Self { keywords }
    }

    /// Whether the server lists `keyword` (compared case-insensitively).
    pub fn has(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }

    /// The keywords, as the server spelled them.
    pub fn keywords(&self) -> impl Iterator<Item = &str> {
        self.keywords.iter().map(String::as_str)
    }

    /// PKIOperation may be POSTed (`POSTPKIOperation`, or `SCEPStandard`
    /// which implies it).
    pub fn supports_post(&self) -> bool {
        self.has("POSTPKIOperation") || self.has("SCEPStandard")
    }

    /// AES-128-CBC envelopes are understood (`AES` or `SCEPStandard`).
    pub fn supports_aes(&self) -> bool {
        self.has("AES") || self.has("SCEPStandard")
    }

    /// SHA-256 signatures are understood (`SHA-256` or `SCEPStandard`).
    pub fn supports_sha256(&self) -> bool {
        self.has("SHA-256") || self.has("SCEPStandard")
    }

    /// The content cipher to encrypt requests with: AES-128-CBC when the
    /// server supports it, else DES-EDE3-CBC.
    pub fn request_cipher(&self) -> ContentEncryption {
        if self.supports_aes() {
            ContentEncryption::Aes128Cbc
        } else {
            ContentEncryption::DesEde3Cbc
        }
    }
}
