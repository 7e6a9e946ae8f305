//! Fuzzes the Munki plist types (manifest, pkginfo, catalog, icon hashes):
//! whatever parses must encode and parse back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use munki::{Catalog, IconHashes, Manifest, Pkginfo};

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = Manifest::from_bytes(data) {
        assert_eq!(Manifest::from_bytes(&manifest.to_xml()).ok(), Some(manifest.clone()));
        let _ = manifest.all_included_manifests();
    }
    if let Ok(info) = Pkginfo::from_bytes(data) {
        assert_eq!(Pkginfo::from_bytes(&info.to_xml()).ok(), Some(info));
    }
    if let Ok(catalog) = Catalog::from_bytes(data) {
        assert_eq!(Catalog::from_bytes(&catalog.to_xml()).ok(), Some(catalog));
    }
    if let Ok(hashes) = IconHashes::from_bytes(data) {
        assert_eq!(IconHashes::from_bytes(&hashes.to_xml()).ok(), Some(hashes));
    }
});
