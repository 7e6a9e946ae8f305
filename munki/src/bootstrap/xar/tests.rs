//! Flat packages made here, the way `xar -cf` lays them out: a 28-byte
//! big-endian header (`xar!`, header size 28, version 1, compressed and
//! uncompressed TOC lengths, checksum algorithm 0 = none), the TOC XML
//! compressed with zlib, then the heap with each file's bytes at the
//! `<offset>` its `<data>` names (stored as is for
//! `application/octet-stream`, zlib-compressed for `application/x-gzip`).
//! Signatures and checksums are left out: nothing here reads them.

use std::io::{Cursor, Write};
use std::process::{Command, Stdio};

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::*;
use crate::bootstrap::build_app_manifest;

const DISTRIBUTION: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<installer-gui-script minSpecVersion="2">
    <title>Munki - Software Management for macOS</title>
    <pkg-ref id="com.googlecode.munki.core" version="7.0.0.5000" onConclusion="none">#munkitools_core.pkg</pkg-ref>
    <product id="com.googlecode.munki" version="7.0.0.5000"/>
</installer-gui-script>
"#;
const PACKAGE_INFO: &str = r#"<pkg-info format-version="2" identifier="com.googlecode.munki.core" version="7.0.0.5000" auth="root"/>"#;

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// (path, content, compress) → a xar archive. Paths with one `/` become a
/// `<file>` nested in a directory `<file>`.
fn xar(files: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut heap = Vec::new();
    let mut toc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><xar><toc>");
    let mut open_dir: Option<String> = None;
    for (id, (path, content, compress)) in files.iter().enumerate() {
        let (dir, name) = path
            .rsplit_once('/')
            .map_or((None, *path), |(d, n)| (Some(d), n));
        if open_dir.as_deref() != dir {
            if open_dir.take().is_some() {
                toc.push_str("</file>");
            }
            if let Some(dir) = dir {
                toc.push_str(&format!(
                    "<file id=\"d{id}\"><name>{dir}</name><type>directory</type>"
                ));
                open_dir = Some(dir.to_owned());
            }
        }
        let stored = if *compress {
            zlib(content)
        } else {
            content.to_vec()
        };
        let style = if *compress {
            "application/x-gzip"
        } else {
            "application/octet-stream"
        };
        toc.push_str(&format!(
            "<file id=\"{id}\"><data><length>{}</length><offset>{}</offset><size>{}</size>\
             <encoding style=\"{style}\"/></data><name>{name}</name><type>file</type></file>",
            stored.len(),
            heap.len(),
            content.len()
        ));
        heap.extend_from_slice(&stored);
    }
    if open_dir.is_some() {
        toc.push_str("</file>");
    }
    toc.push_str("</toc></xar>");
    let compressed = zlib(toc.as_bytes());
    let mut out = Vec::new();
    out.extend_from_slice(b"xar!");
    out.extend_from_slice(&28u16.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(compressed.len() as u64).to_be_bytes());
    out.extend_from_slice(&(toc.len() as u64).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&compressed);
    out.extend_from_slice(&heap);
    out
}

fn payload() -> Vec<u8> {
    (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn product_archive() -> Vec<u8> {
    let payload = payload();
    xar(&[
        ("Distribution", DISTRIBUTION.as_bytes(), false),
        (
            "munkitools_core.pkg/PackageInfo",
            PACKAGE_INFO.as_bytes(),
            true,
        ),
        ("munkitools_core.pkg/Payload", &payload, false),
    ])
}

#[test]
fn a_product_archive_is_named_by_its_distribution_product() {
    let bytes = product_archive();
    let mut reader = Cursor::new(&bytes);
    let package = FlatPackage::read(&mut reader).unwrap();
    let paths: Vec<&str> = package.entries().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Distribution",
            "munkitools_core.pkg/PackageInfo",
            "munkitools_core.pkg/Payload",
            "munkitools_core.pkg"
        ]
    );
    assert_eq!(
        package
            .file(&mut reader, "munkitools_core.pkg/PackageInfo")
            .unwrap()
            .unwrap(),
        PACKAGE_INFO.as_bytes()
    );
    let identity = package.identity(&mut reader).unwrap();
    assert_eq!(
        identity,
        PackageIdentity {
            identifier: "com.googlecode.munki".into(),
            version: "7.0.0.5000".into()
        }
    );
}

#[test]
fn a_component_package_is_named_by_its_package_info() {
    let bytes = xar(&[
        ("PackageInfo", PACKAGE_INFO.as_bytes(), true),
        ("Payload", b"x", false),
    ]);
    let mut reader = Cursor::new(&bytes);
    let identity = FlatPackage::read(&mut reader)
        .unwrap()
        .identity(&mut reader)
        .unwrap();
    assert_eq!(identity.identifier, "com.googlecode.munki.core");
    // A Distribution without product falls back to its first pkg-ref.
    let pkg_ref_only = DISTRIBUTION.replace(
        "<product id=\"com.googlecode.munki\" version=\"7.0.0.5000\"/>",
        "",
    );
    let bytes = xar(&[("Distribution", pkg_ref_only.as_bytes(), true)]);
    let mut reader = Cursor::new(&bytes);
    let identity = FlatPackage::read(&mut reader)
        .unwrap()
        .identity(&mut reader)
        .unwrap();
    assert_eq!(identity.identifier, "com.googlecode.munki.core");
}

#[test]
fn broken_packages_are_errors_not_panics() {
    let good = product_archive();
    let mut bad_magic = good.clone();
    bad_magic[0] = b'y';
    let no_identity = xar(&[("Payload", b"x", false)]);
    let mut lying_size = good.clone();
    lying_size[16..24].copy_from_slice(&5u64.to_be_bytes());
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("magic", bad_magic),
        ("truncated TOC", good[..40].to_vec()),
        ("TOC size", lying_size),
        ("no identity", no_identity),
    ] {
        let mut reader = Cursor::new(&bytes);
        let result = FlatPackage::read(&mut reader).and_then(|p| p.identity(&mut reader));
        assert!(result.is_err(), "{what}");
    }
}

/// Hex digest of `data` by `openssl dgst` (an independent implementation).
fn openssl_digest(algorithm: &str, data: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(["dgst", algorithm, "-r"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed (./test.sh installs it)");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn the_app_manifest_hashes_every_chunk_as_openssl_does() {
    let bytes = product_archive();
    let chunk = 40_000;
    let manifest = build_app_manifest(
        &mut Cursor::new(&bytes),
        "https://mdm.example.test/munki.pkg",
        Some("Munki"),
        Some(chunk),
    )
    .unwrap();
    let item = &manifest.items[0];
    let asset = &item.assets[0];
    assert_eq!(asset.kind, "software-package");
    assert_eq!((asset.md5_size, asset.sha256_size), (chunk, chunk));
    let chunks: Vec<&[u8]> = bytes.chunks(chunk as usize).collect();
    assert_eq!(chunks.len(), 3);
    let md5s: Vec<String> = chunks.iter().map(|c| openssl_digest("-md5", c)).collect();
    let sha256s: Vec<String> = chunks
        .iter()
        .map(|c| openssl_digest("-sha256", c))
        .collect();
    assert_eq!(asset.md5s, md5s);
    assert_eq!(asset.sha256s, sha256s);
    assert_eq!(item.metadata.bundle_identifier, "com.googlecode.munki");
    assert_eq!(item.metadata.bundle_version, "7.0.0.5000");
    assert_eq!(
        (item.metadata.kind.as_str(), item.metadata.title.as_str()),
        ("software", "Munki")
    );
    assert_eq!(item.metadata.size_in_bytes, bytes.len() as u64);

    let plist = plist::Value::from_reader_xml(&manifest.to_xml()[..]).unwrap();
    let asset = &plist.as_dictionary().unwrap()["items"].as_array().unwrap()[0]
        .as_dictionary()
        .unwrap()["assets"];
    let asset = asset.as_array().unwrap()[0].as_dictionary().unwrap();
    assert_eq!(asset["md5-size"], plist::Value::Integer(chunk.into()));
    assert_eq!(asset["sha256s"].as_array().unwrap().len(), 3);
    assert_eq!(
        asset["url"].as_string(),
        Some("https://mdm.example.test/munki.pkg")
    );
}

#[test]
fn a_package_of_exactly_whole_chunks_has_no_empty_last_chunk() {
    let bytes = product_archive();
    let len = bytes.len() as u64;
    let manifest = build_app_manifest(
        &mut Cursor::new(&bytes),
        "https://x.example.test/p.pkg",
        None,
        Some(len),
    )
    .unwrap();
    assert_eq!(
        manifest.items[0].assets[0].sha256s,
        [openssl_digest("-sha256", &bytes)]
    );
    assert_eq!(manifest.items[0].metadata.title, "com.googlecode.munki");
    let ftp = build_app_manifest(&mut Cursor::new(&bytes), "ftp://x", None, None);
    assert!(matches!(ftp, Err(Error::Bootstrap(_))));
}
