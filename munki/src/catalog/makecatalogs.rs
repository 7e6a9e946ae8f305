//! `makecatalogs`: catalogs from `pkgsinfo/`, and the icon hash list.

use std::collections::BTreeMap;

use bytes::Bytes;
use cryptoutil::DigestAlgorithm;
use plist::{Dictionary, Value};

use crate::repo::memory::hex;
use crate::repo::{ResourceKind, ResourcePath};
use crate::{Pkginfo, Repo, StoreError};

/// How [`makecatalogs`] treats problems. Ported from Munki's
/// `MakeCatalogOptions`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Do not check that installer items exist (`--skip-pkg-check`).
    pub skip_pkg_check: bool,
    /// Add items whose installer item is missing anyway (`--force`).
    pub force: bool,
}

/// Something `makecatalogs` found wrong. Items with a problem are left out
/// of the catalogs unless noted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The pkginfo file is not a plist dictionary, or a key Munki defines
    /// has the wrong type.
    BadPkginfo {
        /// Path under `pkgsinfo/`.
        pkginfo: String,
        /// What is wrong.
        error: String,
    },
    /// The pkginfo has no `name`.
    MissingName {
        /// Path under `pkgsinfo/`.
        pkginfo: String,
    },
    /// `installer_item_location` or `uninstaller_item_location` is empty.
    EmptyItemLocation {
        /// Path under `pkgsinfo/`.
        pkginfo: String,
    },
    /// The installer or uninstaller item is not in `pkgs/` (left out
    /// unless [`Options::force`]).
    MissingItem {
        /// Path under `pkgsinfo/`.
        pkginfo: String,
        /// The missing path under `pkgs/`.
        item: String,
    },
    /// The item exists only with different letter case (kept: it works on
    /// case-insensitive file systems).
    ItemCaseMismatch {
        /// Path under `pkgsinfo/`.
        pkginfo: String,
        /// The path the pkginfo names.
        item: String,
        /// The path in `pkgs/`.
        found: String,
    },
    /// No `catalogs` array, or an empty one: the item is only in `all`.
    NoCatalogs {
        /// Path under `pkgsinfo/`.
        pkginfo: String,
    },
    /// Catalog names that differ only in case.
    CatalogCaseClash(Vec<String>),
    /// An icon could not be read for hashing.
    UnreadableIcon {
        /// Path under `icons/`.
        icon: String,
    },
}

/// What [`makecatalogs`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Catalogs written, with their item counts (`all` included).
    pub catalogs: BTreeMap<String, usize>,
    /// Catalogs deleted because no pkginfo names them any more.
    pub removed: Vec<String>,
    /// Icons hashed into `icons/_icon_hashes.plist`.
    pub icons: usize,
    /// Everything found wrong, in pkginfo order.
    pub problems: Vec<Problem>,
}

/// Builds the catalogs from pkgsinfo files: `all`, and one per name in
/// each item's `catalogs`, items in sorted pkgsinfo path order. Admin
/// `notes` and `_`-prefixed keys (`_metadata`) are left out, other keys
/// are copied as they are. Pure; [`makecatalogs`] does the I/O. Ported from
/// Munki's `CatalogsMaker.processPkgsinfo`.
pub fn build_catalogs(
    pkgsinfo: &[(String, Bytes)],
    pkgs: &[String],
    options: Options,
) -> (BTreeMap<String, Vec<Dictionary>>, Vec<Problem>) {
    let mut catalogs: BTreeMap<String, Vec<Dictionary>> = BTreeMap::new();
    catalogs.insert("all".to_owned(), Vec::new());
    let mut problems = Vec::new();
    for (name, bytes) in pkgsinfo {
        let Some(dict) = read_pkginfo(name, bytes, &mut problems) else {
            continue;
        };
        if !options.skip_pkg_check && !verify(name, &dict, pkgs, &mut problems) && !options.force {
            continue;
        }
        let listed: Vec<String> = match dict.get("catalogs") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_string().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if listed.is_empty() {
            problems.push(Problem::NoCatalogs {
                pkginfo: name.clone(),
            });
        }
        for catalog in listed {
            catalogs.entry(catalog).or_default().push(dict.clone());
        }
        catalogs.entry("all".to_owned()).or_default().push(dict);
    }
    let lower: Vec<String> = catalogs.keys().map(|k| k.to_lowercase()).collect();
    let clash: Vec<String> = catalogs
        .keys()
        .zip(&lower)
        .filter(|(_, l)| lower.iter().filter(|o| o == l).count() > 1)
        .map(|(k, _)| k.clone())
        .collect();
    if !clash.is_empty() {
        problems.push(Problem::CatalogCaseClash(clash));
    }
    (catalogs, problems)
}

/// Parses and checks one pkginfo; `None` when it cannot go in a catalog.
fn read_pkginfo(name: &str, bytes: &[u8], problems: &mut Vec<Problem>) -> Option<Dictionary> {
    let bad = |error: String| Problem::BadPkginfo {
        pkginfo: name.to_owned(),
        error,
    };
    let mut dict: Dictionary = match plist::from_bytes(bytes) {
        Ok(dict) => dict,
        Err(e) => {
            problems.push(bad(e.to_string()));
            return None;
        }
    };
    dict.remove("notes");
    let private: Vec<String> = dict
        .keys()
        .filter(|k| k.starts_with('_'))
        .cloned()
        .collect();
    for key in private {
        dict.remove(&key);
    }
    // Typed check only: the catalog gets the dictionary as written.
    if let Err(e) = Pkginfo::try_from(dict.clone()) {
        let error = std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        problems.push(bad(error));
        return None;
    }
    if !dict.contains_key("name") {
        problems.push(Problem::MissingName {
            pkginfo: name.to_owned(),
        });
        return None;
    }
    Some(dict)
}

/// Whether the installer (and uninstaller) item exist. Ported from
/// Munki's `CatalogsMaker.verify`.
fn verify(name: &str, dict: &Dictionary, pkgs: &[String], problems: &mut Vec<Problem>) -> bool {
    let text = |key: &str| dict.get(key).and_then(Value::as_string).unwrap_or_default();
    if matches!(text("installer_type"), "nopkg" | "apple_update_metadata")
        || !text("PackageCompleteURL").is_empty()
        || !text("PackageURL").is_empty()
    {
        return true;
    }
    let mut locations = vec![text("installer_item_location")];
    if dict.contains_key("uninstaller_item_location") {
        locations.push(text("uninstaller_item_location"));
    }
    for item in locations {
        if item.is_empty() {
            problems.push(Problem::EmptyItemLocation {
                pkginfo: name.to_owned(),
            });
            return false;
        }
        if pkgs.iter().any(|p| p == item) {
            continue;
        }
        match pkgs
            .iter()
            .find(|p| p.to_lowercase() == item.to_lowercase())
        {
            Some(found) => problems.push(Problem::ItemCaseMismatch {
                pkginfo: name.to_owned(),
                item: item.to_owned(),
                found: found.clone(),
            }),
            None => {
                problems.push(Problem::MissingItem {
                    pkginfo: name.to_owned(),
                    item: item.to_owned(),
                });
                return false;
            }
        }
    }
    true
}

/// Rebuilds `catalogs/` from `pkgsinfo/` and writes
/// `icons/_icon_hashes.plist`; deletes catalogs no pkginfo names any more.
/// Empty catalogs are not written. Ported from Munki's
/// `CatalogsMaker.makecatalogs`.
///
/// Problems with single files are reported, not fatal; a failing
/// repository is.
pub async fn makecatalogs(repo: &dyn Repo, options: Options) -> Result<Report, StoreError> {
    let mut pkgsinfo = Vec::new();
    for name in repo.list(ResourceKind::Pkgsinfo).await? {
        let path = ResourcePath::new(ResourceKind::Pkgsinfo, &name)?;
        pkgsinfo.push((name, repo.read(&path).await?));
    }
    let pkgs = repo.list(ResourceKind::Pkgs).await?;
    let (catalogs, problems) = build_catalogs(&pkgsinfo, &pkgs, options);
    let mut report = Report {
        problems,
        ..Report::default()
    };

    for old in repo.list(ResourceKind::Catalogs).await? {
        if catalogs.get(&old).is_none_or(Vec::is_empty) {
            repo.delete(&ResourcePath::new(ResourceKind::Catalogs, &old)?)
                .await?;
            report.removed.push(old);
        }
    }
    for (name, items) in catalogs.into_iter().filter(|(_, items)| !items.is_empty()) {
        let path = ResourcePath::new(ResourceKind::Catalogs, &name)?;
        report.catalogs.insert(name, items.len());
        repo.put(&path, Bytes::from(crate::dict::to_xml(&items)))
            .await?;
    }
    hash_icons(repo, &mut report).await?;
    Ok(report)
}

async fn hash_icons(repo: &dyn Repo, report: &mut Report) -> Result<(), StoreError> {
    let mut hashes = BTreeMap::new();
    for icon in repo.list(ResourceKind::Icons).await? {
        if icon == crate::repo::ICON_HASHES {
            continue;
        }
        let path = ResourcePath::new(ResourceKind::Icons, &icon)?;
        match repo.read(&path).await {
            Ok(bytes) => {
                hashes.insert(icon, hex(&DigestAlgorithm::Sha256.digest(&bytes)));
            }
            Err(StoreError::NotFound) => report.problems.push(Problem::UnreadableIcon { icon }),
            Err(e) => return Err(e),
        }
    }
    report.icons = hashes.len();
    if !hashes.is_empty() {
        let path = ResourcePath::new(ResourceKind::Icons, crate::repo::ICON_HASHES)?;
        repo.put(&path, Bytes::from(crate::dict::to_xml(&hashes)))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
