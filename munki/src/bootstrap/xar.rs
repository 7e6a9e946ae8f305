//! Flat installer packages (`.pkg`): xar archives whose table of contents
//! is zlib-compressed XML, followed by a heap of file data.
//!
//! Only what is needed to name a package is read: the TOC, and the
//! `Distribution` (product archives) or `PackageInfo` (component packages)
//! files. Layout: a big-endian header (`xar!`, header size, version,
//! compressed and uncompressed TOC lengths, checksum algorithm), the TOC,
//! then the heap; each file's `<data>` gives its heap offset, archived
//! length, size and encoding.

use std::io::{Read, Seek, SeekFrom};

use flate2::read::ZlibDecoder;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::{Error, Result};

/// Largest TOC or metadata file read (the real ones are a few KiB).
const MAX_XML_BYTES: u64 = 16 << 20;

/// One file in the archive's table of contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TocEntry {
    /// Path inside the archive (`Distribution`, `core.pkg/PackageInfo`).
    pub path: String,
    /// Offset in the heap.
    pub offset: u64,
    /// Bytes stored in the heap.
    pub length: u64,
    /// Bytes once decoded.
    pub size: u64,
    /// The `encoding` style (`application/octet-stream`,
    /// `application/x-gzip`), if any.
    pub encoding: Option<String>,
}

/// The bundle identifier and version a package installs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageIdentity {
    /// `product id` or `pkg-ref id` (Distribution), or `pkg-info
    /// identifier` (PackageInfo).
    pub identifier: String,
    /// The matching `version`.
    pub version: String,
}

/// An opened flat package: the TOC, and where the heap starts.
#[derive(Debug, Clone)]
pub struct FlatPackage {
    entries: Vec<TocEntry>,
    heap_start: u64,
}

impl FlatPackage {
    /// Reads the header and table of contents.
    pub fn read<R: Read + Seek>(reader: &mut R) -> Result<Self> {
        let mut header = [0u8; 28];
        reader.seek(SeekFrom::Start(0)).map_err(Error::Io)?;
        reader
            .read_exact(&mut header)
            .map_err(|_| Error::Package("shorter than a xar header"))?;
        if &header[..4] != b"xar!" {
            return Err(Error::Package("no xar magic"));
        }
        let header_size = u64::from(u16::from_be_bytes([header[4], header[5]]));
        let be64 = |at: usize| u64::from_be_bytes(header[at..at + 8].try_into().expect("8 bytes"));
        let (compressed, uncompressed) = (be64(8), be64(16));
        if header_size < 28 || uncompressed > MAX_XML_BYTES || compressed > MAX_XML_BYTES {
            return Err(Error::Package("implausible xar header"));
        }
        reader
            .seek(SeekFrom::Start(header_size))
            .map_err(Error::Io)?;
        let toc = inflate(reader.take(compressed), uncompressed)?;
        Ok(Self {
            entries: parse_toc(&toc)?,
            heap_start: header_size + compressed,
        })
    }

    /// Every file in the TOC, in order.
    pub fn entries(&self) -> &[TocEntry] {
        &self.entries
    }

    /// The decoded content of the file at `path`, for small metadata files
    /// (up to 16 MiB).
    pub fn file<R: Read + Seek>(&self, reader: &mut R, path: &str) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.entries.iter().find(|e| e.path == path) else {
            return Ok(None);
        };
        if entry.size > MAX_XML_BYTES || entry.length > MAX_XML_BYTES {
            return Err(Error::Package("metadata file too large"));
        }
        let start = self
            .heap_start
            .checked_add(entry.offset)
            .ok_or(Error::Package("bad heap offset"))?;
        reader.seek(SeekFrom::Start(start)).map_err(Error::Io)?;
        let stored = reader.take(entry.length);
        match entry.encoding.as_deref() {
            None | Some("application/octet-stream") => {
                let mut out = Vec::new();
                stored
                    .take(entry.length)
                    .read_to_end(&mut out)
                    .map_err(Error::Io)?;
                if out.len() as u64 != entry.length {
                    return Err(Error::Package("file data runs past the end"));
                }
                Ok(Some(out))
            }
            // xar calls zlib streams "x-gzip".
            Some("application/x-gzip") => inflate(stored, entry.size).map(Some),
            Some(_) => Err(Error::Package("unsupported file encoding")),
        }
    }

    /// The identifier and version: from `Distribution` (`product`, else
    /// the first `pkg-ref` with both), else from a top-level `PackageInfo`
    /// (`pkg-info`), else from the first component's `PackageInfo`.
    pub fn identity<R: Read + Seek>(&self, reader: &mut R) -> Result<PackageIdentity> {
        if let Some(xml) = self.file(reader, "Distribution")? {
            for (element, id) in [("product", "id"), ("pkg-ref", "id")] {
                if let Some(found) = find_attributes(&xml, element, id)? {
                    return Ok(found);
                }
            }
        }
        let mut infos: Vec<&str> = self
            .entries
            .iter()
            .map(|e| e.path.as_str())
            .filter(|p| p.ends_with("PackageInfo"))
            .collect();
        infos.sort_by_key(|p| p.matches('/').count());
        for path in infos {
            if let Some(xml) = self.file(reader, path)?
                && let Some(found) = find_attributes(&xml, "pkg-info", "identifier")?
            {
                return Ok(found);
            }
        }
        Err(Error::PackageIdentity)
    }
}

fn inflate(input: impl Read, expected: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    // One byte over the limit tells a lying size from an exact one.
    ZlibDecoder::new(input)
        .take(expected.min(MAX_XML_BYTES) + 1)
        .read_to_end(&mut out)
        .map_err(|_| Error::Package("corrupt zlib data"))?;
    if out.len() as u64 != expected {
        return Err(Error::Package("decoded size differs from the TOC"));
    }
    Ok(out)
}

/// Files of the TOC, with paths joined through nested `<file>` elements.
fn parse_toc(xml: &[u8]) -> Result<Vec<TocEntry>> {
    let mut reader = Reader::from_reader(xml);
    let mut files: Vec<TocEntry> = Vec::new(); // open <file> elements
    let mut path: Vec<String> = Vec::new(); // open element names
    let mut out = Vec::new();
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| Error::Package("malformed TOC XML"))?;
        match event {
            Event::Start(start) => {
                let name = start.local_name().as_ref().to_owned();
                if name == "file" {
                    files.push(TocEntry::default());
                }
                path.push(name);
            }
            Event::Empty(empty) if empty.local_name().as_ref() == "encoding" => {
                if let (Some(file), Some(style)) = (files.last_mut(), attribute(&empty, "style")) {
                    file.encoding = Some(style);
                }
            }
            Event::Text(text) => {
                // Names with entity references arrive split; none of the
                // files read here (Distribution, PackageInfo) has one.
                toc_text(&path, &mut files, text.xml10_content().trim())?;
            }
            // Every end tag pops (the guard runs for each); only a file
            // end records an entry.
            Event::End(_) if path.pop().as_deref() == Some("file") => {
                let mut file = files.pop().ok_or(Error::Package("malformed TOC XML"))?;
                let parents: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
                if !parents.is_empty() {
                    file.path = format!("{}/{}", parents.join("/"), file.path);
                }
                out.push(file);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Text inside `<file><name>` or `<file><data><offset|length|size>`.
fn toc_text(path: &[String], files: &mut [TocEntry], value: &str) -> Result<()> {
    let Some(file) = files.last_mut() else {
        return Ok(());
    };
    let tail: Vec<&str> = path.iter().rev().take(3).map(String::as_str).collect();
    let number = || {
        value
            .parse::<u64>()
            .map_err(|_| Error::Package("bad number in TOC"))
    };
    match tail.as_slice() {
        ["name", "file", ..] => file.path = value.to_owned(),
        ["offset", "data", "file"] => file.offset = number()?,
        ["length", "data", "file"] => file.length = number()?,
        ["size", "data", "file"] => file.size = number()?,
        _ => {}
    }
    Ok(())
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
        .map(|v| v.into_owned())
}

/// The first `element` with a non-empty `id_attribute` and `version`.
fn find_attributes(
    xml: &[u8],
    element: &str,
    id_attribute: &str,
) -> Result<Option<PackageIdentity>> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|_| Error::Package("malformed metadata XML"))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == element => {
                let id = attribute(&e, id_attribute).filter(|v| !v.is_empty());
                let version = attribute(&e, "version").filter(|v| !v.is_empty());
                if let (Some(identifier), Some(version)) = (id, version) {
                    return Ok(Some(PackageIdentity {
                        identifier,
                        version,
                    }));
                }
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests;
