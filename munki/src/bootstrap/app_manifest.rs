//! The InstallApplication / InstallEnterpriseApplication manifest.

use std::io::{Read, Seek, SeekFrom};

use cryptoutil::DigestAlgorithm;
use md5::{Digest, Md5};
use serde::Serialize;

use super::xar::FlatPackage;
use crate::repo::memory::hex;
use crate::{Error, Result};

/// The chunk size of the hashes when none is given: 10 MiB, as Apple's
/// examples and MicroMDM's `appmanifest` use.
pub const DEFAULT_CHUNK_BYTES: u64 = 10 << 20;

/// The manifest a `ManifestURL` serves (Apple's "Manifest" dictionary for
/// InstallApplication): one item, one `software-package` asset with MD5
/// and SHA-256 chunk hashes (the device prefers SHA-256; the chunks let it
/// resume and verify as it downloads). Ported from MicroMDM's
/// `appmanifest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppManifest {
    /// `items`: always one.
    pub items: Vec<Item>,
}

/// One entry of `items`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `assets`: the package.
    pub assets: Vec<Asset>,
    /// `metadata`.
    pub metadata: Metadata,
}

/// A `software-package` asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    /// `kind`: `software-package`.
    pub kind: String,
    /// `url`: where the device downloads the package (no authentication:
    /// make it unguessable).
    pub url: String,
    /// `md5-size`: bytes per MD5 chunk.
    #[serde(rename = "md5-size")]
    pub md5_size: u64,
    /// `md5s`: lower-case hex MD5 of each chunk.
    pub md5s: Vec<String>,
    /// `sha256-size`: bytes per SHA-256 chunk.
    #[serde(rename = "sha256-size")]
    pub sha256_size: u64,
    /// `sha256s`: lower-case hex SHA-256 of each chunk.
    pub sha256s: Vec<String>,
}

/// An item's `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// `bundle-identifier`.
    #[serde(rename = "bundle-identifier")]
    pub bundle_identifier: String,
    /// `bundle-version`.
    #[serde(rename = "bundle-version")]
    pub bundle_version: String,
    /// `kind`: `software`.
    pub kind: String,
    /// `title`.
    pub title: String,
    /// `sizeInBytes`: the package's length.
    #[serde(rename = "sizeInBytes")]
    pub size_in_bytes: u64,
}

impl AppManifest {
    /// Encodes as an XML plist (what the `ManifestURL` serves).
    pub fn to_xml(&self) -> Vec<u8> {
        crate::dict::to_xml(self)
    }
}

/// Reads a flat package once for its identity and once, chunk by chunk,
/// for its hashes (never whole in memory), and builds the manifest.
/// `title` defaults to the bundle identifier; `chunk_bytes` to
/// [`DEFAULT_CHUNK_BYTES`].
pub fn build_app_manifest<R: Read + Seek>(
    package: &mut R,
    url: &str,
    title: Option<&str>,
    chunk_bytes: Option<u64>,
) -> Result<AppManifest> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::Bootstrap("the package URL must be http(s)"));
    }
    let chunk = chunk_bytes.unwrap_or(DEFAULT_CHUNK_BYTES);
    if chunk == 0 {
        return Err(Error::Bootstrap("the chunk size must not be zero"));
    }
    let identity = FlatPackage::read(package)?.identity(package)?;
    package.seek(SeekFrom::Start(0)).map_err(Error::Io)?;
    let (md5s, sha256s, size) = chunk_hashes(package, chunk)?;
    Ok(AppManifest {
        items: vec![Item {
            assets: vec![Asset {
                kind: "software-package".into(),
                url: url.to_owned(),
                md5_size: chunk,
                md5s,
                sha256_size: chunk,
                sha256s,
            }],
            metadata: Metadata {
                title: title.map_or_else(|| identity.identifier.clone(), str::to_owned),
                bundle_identifier: identity.identifier,
                bundle_version: identity.version,
                kind: "software".into(),
                size_in_bytes: size,
            },
        }],
    })
}

/// MD5 and SHA-256 of each `chunk`-byte piece (the last may be shorter),
/// and the total length.
fn chunk_hashes(input: &mut impl Read, chunk: u64) -> Result<(Vec<String>, Vec<String>, u64)> {
    let (mut md5s, mut sha256s, mut total) = (Vec::new(), Vec::new(), 0u64);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        input.take(chunk).read_to_end(&mut buf).map_err(Error::Io)?;
        if buf.is_empty() {
            break;
        }
        total += buf.len() as u64;
        md5s.push(hex(&Md5::digest(&buf)));
        sha256s.push(hex(&DigestAlgorithm::Sha256.digest(&buf)));
        if (buf.len() as u64) < chunk {
            break;
        }
    }
    Ok((md5s, sha256s, total))
}
