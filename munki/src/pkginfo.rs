//! pkginfo: what Munki knows about one version of one item.
//!
//! Keys follow the Munki wiki's "Supported Pkginfo Keys"; every other key
//! is kept in `other`. `makecatalogs` copies pkginfo files into catalogs.

use crate::dict::plist_dict;

plist_dict! {
    /// A pkginfo dictionary (one file under `pkgsinfo/`, one entry of a
    /// catalog). Ported from Munki's pkginfo plist format.
    ///
    /// Munki requires `name`; `makecatalogs` drops an item without it.
    pub struct Pkginfo {
        /// `name`: the item name manifests refer to.
        "name" => name: String,
        /// `version`: compared with Munki's loose version rules.
        "version" => version: String,
        /// `display_name`: the name shown to users.
        "display_name" => display_name: String,
        /// `description`.
        "description" => description: String,
        /// `catalogs`: the catalogs this item is listed in.
        "catalogs" => catalogs: Vec<String>,
        /// `installer_item_location`: path under `pkgs/`.
        "installer_item_location" => installer_item_location: String,
        /// `installer_item_hash`: SHA-256 (hex) the client verifies.
        "installer_item_hash" => installer_item_hash: String,
        /// `installer_item_size`: KiB.
        "installer_item_size" => installer_item_size: u64,
        /// `installed_size`: KiB.
        "installed_size" => installed_size: u64,
        /// `installer_type`: absent for a package; `copy_from_dmg`, `nopkg`,
        /// `profile`, `stage_os_installer`, `startosinstall`, ...
        "installer_type" => installer_type: String,
        /// `receipts`: package receipts that show the item is installed.
        "receipts" => receipts: Vec<Receipt>,
        /// `installs`: applications, bundles, plists or files that show the
        /// item is installed.
        "installs" => installs: Vec<InstallsItem>,
        /// `minimum_os_version`.
        "minimum_os_version" => minimum_os_version: String,
        /// `maximum_os_version`.
        "maximum_os_version" => maximum_os_version: String,
        /// `supported_architectures`: `x86_64`, `arm64`.
        "supported_architectures" => supported_architectures: Vec<String>,
        /// `requires`: items to install first.
        "requires" => requires: Vec<String>,
        /// `update_for`: items this one updates.
        "update_for" => update_for: Vec<String>,
        /// `uninstallable`.
        "uninstallable" => uninstallable: bool,
        /// `uninstall_method`: `removepackages`, `remove_copied_items`,
        /// `uninstall_script`, a path, ...
        "uninstall_method" => uninstall_method: String,
        /// `uninstaller_item_location`: path under `pkgs/`.
        "uninstaller_item_location" => uninstaller_item_location: String,
        /// `unattended_install`.
        "unattended_install" => unattended_install: bool,
        /// `unattended_uninstall`.
        "unattended_uninstall" => unattended_uninstall: bool,
        /// `preinstall_script`.
        "preinstall_script" => preinstall_script: String,
        /// `postinstall_script`.
        "postinstall_script" => postinstall_script: String,
        /// `installcheck_script`.
        "installcheck_script" => installcheck_script: String,
        /// `uninstallcheck_script`.
        "uninstallcheck_script" => uninstallcheck_script: String,
        /// `preuninstall_script`.
        "preuninstall_script" => preuninstall_script: String,
        /// `postuninstall_script`.
        "postuninstall_script" => postuninstall_script: String,
        /// `blocking_applications`: applications that must quit first.
        "blocking_applications" => blocking_applications: Vec<String>,
        /// `RestartAction`: `RequireRestart`, `RecommendRestart`,
        /// `RequireLogout`, `RequireShutdown`, `None`.
        "RestartAction" => restart_action: String,
        /// `force_install_after_date`.
        "force_install_after_date" => force_install_after_date: plist::Date,
        /// `autoremove`.
        "autoremove" => autoremove: bool,
        /// `OnDemand`.
        "OnDemand" => on_demand: bool,
        /// `precache`.
        "precache" => precache: bool,
        /// `icon_name`: file under `icons/`.
        "icon_name" => icon_name: String,
        /// `icon_hash`: SHA-256 (hex) of the icon.
        "icon_hash" => icon_hash: String,
        /// `category`.
        "category" => category: String,
        /// `developer`.
        "developer" => developer: String,
        /// `items_to_copy`: for `copy_from_dmg`.
        "items_to_copy" => items_to_copy: Vec<ItemToCopy>,
        /// `PackageCompleteURL`: the full download URL, overriding the repo.
        "PackageCompleteURL" => package_complete_url: String,
        /// `PackageURL`: a base URL for `installer_item_location`.
        "PackageURL" => package_url: String,
        /// `notes`: admin notes, left out of catalogs.
        "notes" => notes: String,
    }
}

plist_dict! {
    /// One entry of a pkginfo's `receipts`. Ported from Munki's receipt
    /// dictionaries.
    pub struct Receipt {
        /// `packageid`.
        "packageid" => packageid: String,
        /// `version`.
        "version" => version: String,
        /// `installed_size`: KiB.
        "installed_size" => installed_size: u64,
        /// `optional`: a missing receipt does not mean "not installed".
        "optional" => optional: bool,
        /// `name`.
        "name" => name: String,
        /// `filename`.
        "filename" => filename: String,
    }
}

plist_dict! {
    /// One entry of a pkginfo's `installs`. Ported from Munki's installs
    /// item dictionaries.
    pub struct InstallsItem {
        /// `type`: `application`, `bundle`, `plist` or `file`.
        "type" => kind: String,
        /// `path`.
        "path" => path: String,
        /// `CFBundleIdentifier`.
        "CFBundleIdentifier" => bundle_identifier: String,
        /// `CFBundleName`.
        "CFBundleName" => bundle_name: String,
        /// `CFBundleShortVersionString`.
        "CFBundleShortVersionString" => short_version_string: String,
        /// `CFBundleVersion`.
        "CFBundleVersion" => bundle_version: String,
        /// `version_comparison_key`: which key holds the version.
        "version_comparison_key" => version_comparison_key: String,
        /// `md5checksum`: for `file` items.
        "md5checksum" => md5checksum: String,
        /// `minosversion`.
        "minosversion" => minosversion: String,
    }
}

plist_dict! {
    /// One entry of a pkginfo's `items_to_copy`. Ported from Munki's
    /// copy_from_dmg item dictionaries.
    pub struct ItemToCopy {
        /// `source_item`: path inside the disk image.
        "source_item" => source_item: String,
        /// `destination_path`.
        "destination_path" => destination_path: String,
        /// `destination_item`: a new name at the destination.
        "destination_item" => destination_item: String,
        /// `user`.
        "user" => user: String,
        /// `group`.
        "group" => group: String,
        /// `mode`.
        "mode" => mode: String,
    }
}

impl Pkginfo {
    /// Whether the item has no installer item in `pkgs/` to check: Munki's
    /// `nopkg` and `apple_update_metadata` types, and items downloaded from
    /// elsewhere (`PackageCompleteURL`, `PackageURL`).
    pub fn has_no_local_installer_item(&self) -> bool {
        matches!(
            self.installer_type.as_deref(),
            Some("nopkg" | "apple_update_metadata")
        ) || self
            .package_complete_url
            .as_deref()
            .is_some_and(|u| !u.is_empty())
            || self.package_url.as_deref().is_some_and(|u| !u.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use plist::Value;

    use super::*;

    const FIREFOX: &[u8] = include_bytes!("../tests/fixtures/Firefox-120.0.plist");

    #[test]
    fn a_munkiimport_style_pkginfo_parses_every_documented_key() {
        let info = Pkginfo::from_bytes(FIREFOX).unwrap();
        assert_eq!(info.name.as_deref(), Some("Firefox"));
        assert_eq!(info.installer_item_size, Some(135_211));
        assert_eq!(info.restart_action, None);
        assert_eq!(info.unattended_install, Some(true));
        assert_eq!(info.supported_architectures.as_ref().map(Vec::len), Some(2));
        assert!(info.force_install_after_date.is_some());
        let app = &info.installs.as_ref().unwrap()[0];
        assert_eq!(app.kind.as_deref(), Some("application"));
        assert_eq!(
            app.bundle_identifier.as_deref(),
            Some("org.mozilla.firefox")
        );
        assert_eq!(
            info.receipts.as_ref().unwrap()[0].packageid.as_deref(),
            Some("org.mozilla.firefox")
        );
        assert_eq!(
            info.other["x_admin_ticket"],
            Value::String("IT-1234".into())
        );
        assert!(info.other.contains_key("_metadata"));
        assert!(!info.has_no_local_installer_item());
    }

    #[test]
    fn a_pkginfo_round_trips_through_xml_equal_as_a_plist() {
        let info = Pkginfo::from_bytes(FIREFOX).unwrap();
        let again = info.to_xml();
        let original = Value::from_reader_xml(FIREFOX).unwrap();
        assert_eq!(Value::from_reader_xml(&again[..]).unwrap(), original);
        assert_eq!(Pkginfo::from_bytes(&again).unwrap(), info);
    }

    #[test]
    fn nopkg_and_remote_items_have_no_local_installer_item() {
        let nopkg = Pkginfo {
            installer_type: Some("nopkg".into()),
            ..Pkginfo::default()
        };
        let remote = Pkginfo {
            package_complete_url: Some("https://cdn.example.test/x.pkg".into()),
            ..Pkginfo::default()
        };
        assert!(nopkg.has_no_local_installer_item());
        assert!(remote.has_no_local_installer_item());
        assert!(!Pkginfo::default().has_no_local_installer_item());
    }
}
