//! A Munki repository on disk, built the way an admin would: pkgsinfo,
//! packages, icons, client resources and manifests, then `makecatalogs`.

use std::fs;
use std::path::Path;

use munki::catalog::makecatalogs::{Options, makecatalogs};
use munki::{FileRepo, Manifest, Pkginfo};

/// The package's path under `pkgs/` (a space, so URLs percent-encode).
pub(crate) const PKG: &str = "apps/Tool 1.0.pkg";
/// Its length: several streaming chunks.
pub(crate) const PKG_LEN: usize = 700_000;
/// The serial number whose manifest exists.
pub(crate) const SERIAL: &str = "C02XL0XXJGH5";

/// Deterministic, non-repeating package content.
pub(crate) fn pkg_bytes() -> Vec<u8> {
    (0..PKG_LEN).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn list(names: &[&str]) -> Option<Vec<String>> {
    Some(names.iter().map(|n| (*n).to_owned()).collect())
}

fn write(root: &Path, relative: &str, content: &[u8]) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// Writes the repository into `root` and builds its catalogs.
pub(crate) async fn build_repo(root: &Path) -> FileRepo {
    write(root, &format!("pkgs/{PKG}"), &pkg_bytes());
    let tool = Pkginfo {
        name: Some("Tool".into()),
        version: Some("1.0".into()),
        catalogs: list(&["production"]),
        installer_item_location: Some(PKG.into()),
        installer_item_size: Some((PKG_LEN / 1024) as u64),
        icon_name: Some("Tool.png".into()),
        ..Pkginfo::default()
    };
    write(root, "pkgsinfo/apps/Tool-1.0.plist", &tool.to_xml());
    write(root, "icons/Tool.png", b"\x89PNG\r\n\x1a\nnot really");
    write(root, "client_resources/site_default.zip", b"PK\x05\x06zip");
    let host = Manifest {
        catalogs: list(&["production"]),
        included_manifests: list(&["groups/base"]),
        ..Manifest::default()
    };
    write(root, &format!("manifests/{SERIAL}"), &host.to_xml());
    let base = Manifest {
        managed_installs: list(&["Tool"]),
        ..Manifest::default()
    };
    write(root, "manifests/groups/base", &base.to_xml());
    write(
        root,
        "manifests/site_default",
        &Manifest::default().to_xml(),
    );
    let repo = FileRepo::open(root).unwrap();
    let report = makecatalogs(&repo, Options::default()).await.unwrap();
    assert_eq!(report.problems, []);
    repo
}
