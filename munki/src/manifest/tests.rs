use plist::Value;

use super::resolve::{ClientFacts, primary_manifest, resolve_included};
use super::*;
use crate::{Error, MemoryRepo, Repo, ResourceKind, ResourcePath};

const SITE_DEFAULT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>catalogs</key>
	<array><string>testing</string><string>production</string></array>
	<key>included_manifests</key>
	<array><string>groups/office</string></array>
	<key>managed_installs</key>
	<array><string>Firefox</string></array>
	<key>conditional_items</key>
	<array>
		<dict>
			<key>condition</key>
			<string>machine_type == "laptop"</string>
			<key>managed_installs</key>
			<array><string>BatteryTool</string></array>
			<key>conditional_items</key>
			<array>
				<dict>
					<key>condition</key>
					<string>os_vers_major &gt;= 14</string>
					<key>included_manifests</key>
					<array><string>groups/sonoma-laptops</string></array>
					<key>x_vendor_flag</key>
					<true/>
				</dict>
			</array>
		</dict>
	</array>
	<key>display_name</key>
	<string>Site default</string>
	<key>_metadata</key>
	<dict>
		<key>created_by</key>
		<string>admin</string>
		<key>creation_date</key>
		<date>2024-05-01T10:20:30Z</date>
		<key>blob</key>
		<data>AAEC</data>
	</dict>
</dict>
</plist>
"#;

fn parsed(xml: &[u8]) -> Value {
    Value::from_reader(std::io::Cursor::new(xml)).unwrap()
}

#[test]
fn a_real_manifest_parses_with_nested_conditional_items_and_unknown_keys() {
    let manifest = Manifest::from_bytes(SITE_DEFAULT.as_bytes()).unwrap();
    assert_eq!(
        manifest.catalogs,
        Some(vec!["testing".into(), "production".into()])
    );
    assert_eq!(manifest.display_name.as_deref(), Some("Site default"));
    let outer = &manifest.conditional_items.as_ref().unwrap()[0];
    assert_eq!(
        outer.condition.as_deref(),
        Some(r#"machine_type == "laptop""#)
    );
    let inner = &outer.conditional_items.as_ref().unwrap()[0];
    assert_eq!(inner.condition.as_deref(), Some("os_vers_major >= 14"));
    assert_eq!(inner.other["x_vendor_flag"], Value::Boolean(true));
    let metadata = manifest.other["_metadata"].as_dictionary().unwrap();
    assert!(matches!(metadata["creation_date"], Value::Date(_)));
    assert_eq!(metadata["blob"], Value::Data(vec![0, 1, 2]));
    // Keys Munki does not define, and those it does but we leave out, are
    // absent rather than defaulted.
    assert_eq!(manifest.managed_uninstalls, None);
}

#[test]
fn a_manifest_round_trips_through_xml_and_binary_without_losing_a_key() {
    let manifest = Manifest::from_bytes(SITE_DEFAULT.as_bytes()).unwrap();
    let xml = manifest.to_xml();
    assert_eq!(parsed(&xml), parsed(SITE_DEFAULT.as_bytes()));
    let mut binary = Vec::new();
    plist::to_writer_binary(&mut binary, &manifest).unwrap();
    assert_eq!(Manifest::from_bytes(&binary).unwrap(), manifest);
}

#[test]
fn included_manifests_are_listed_from_every_depth_of_conditional_items() {
    let manifest = Manifest::from_bytes(SITE_DEFAULT.as_bytes()).unwrap();
    assert_eq!(
        manifest.all_included_manifests(),
        ["groups/office", "groups/sonoma-laptops"]
    );
}

#[test]
fn a_key_of_the_wrong_type_is_an_error_naming_the_key() {
    let xml = br#"<plist version="1.0"><dict><key>catalogs</key><string>production</string></dict></plist>"#;
    let err = Manifest::from_bytes(xml).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Key {
                key: "catalogs",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        Manifest::from_bytes(b"<plist><array/></plist>"),
        Err(Error::Plist(_))
    ));
}

fn repo_with(manifests: &[(&str, Manifest)]) -> MemoryRepo {
    let repo = MemoryRepo::new();
    for (name, manifest) in manifests {
        let path = ResourcePath::new(ResourceKind::Manifests, name).unwrap();
        repo.put_at(&path, manifest.to_xml().into(), std::time::UNIX_EPOCH);
    }
    repo
}

fn including(names: &[&str]) -> Manifest {
    Manifest {
        included_manifests: Some(names.iter().map(|n| (*n).to_owned()).collect()),
        ..Manifest::default()
    }
}

#[tokio::test]
async fn included_manifests_resolve_depth_first_once_each_inheriting_catalogs() {
    let mut root = including(&["a", "b"]);
    root.catalogs = Some(vec!["production".into()]);
    root.conditional_items = Some(vec![ConditionalItem {
        catalogs: Some(vec!["testing".into()]),
        included_manifests: Some(vec!["c".into()]),
        ..ConditionalItem::default()
    }]);
    let mut b = including(&["shared"]);
    b.catalogs = Some(vec!["beta".into()]);
    let repo = repo_with(&[
        ("root", root),
        ("a", including(&["shared"])),
        ("b", b),
        ("c", Manifest::default()),
        ("shared", Manifest::default()),
    ]);
    let resolved = resolve_included(&repo, "root").await.unwrap();
    let order: Vec<(&str, Vec<String>)> = resolved
        .iter()
        .map(|r| (r.name.as_str(), r.catalogs.clone()))
        .collect();
    assert_eq!(
        order,
        [
            ("root", vec!["production".to_owned()]),
            ("a", vec!["production".to_owned()]),
            ("shared", vec!["production".to_owned()]),
            ("b", vec!["beta".to_owned()]),
            ("c", vec!["testing".to_owned()]),
        ]
    );
}

#[tokio::test]
async fn an_include_cycle_is_reported_with_its_path() {
    let c = Manifest {
        conditional_items: Some(vec![ConditionalItem {
            included_manifests: Some(vec!["a".into()]),
            ..ConditionalItem::default()
        }]),
        ..Manifest::default()
    };
    let repo = repo_with(&[
        ("root", including(&["a"])),
        ("a", including(&["b"])),
        ("b", including(&["c"])),
        ("c", c),
    ]);
    let err = resolve_included(&repo, "root").await.unwrap_err();
    match err {
        Error::ManifestCycle(path) => assert_eq!(path, ["a", "b", "c", "a"]),
        other => panic!("{other:?}"),
    }
    let selfish = repo_with(&[("me", including(&["me"]))]);
    assert!(matches!(
        resolve_included(&selfish, "me").await,
        Err(Error::ManifestCycle(_))
    ));
}

#[tokio::test]
async fn a_missing_included_manifest_names_its_parent() {
    let repo = repo_with(&[("root", including(&["a"])), ("a", including(&["gone"]))]);
    match resolve_included(&repo, "root").await.unwrap_err() {
        Error::MissingIncludedManifest { missing, parent } => {
            assert_eq!((missing.as_str(), parent.as_str()), ("gone", "a"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn candidates_follow_the_client_order() {
    let facts = ClientFacts {
        client_identifier: None,
        hostname: Some("mac-01.corp.example.test".into()),
        serial_number: Some("C02XL0XXJGH5".into()),
    };
    assert_eq!(
        facts.manifest_candidates(),
        [
            "mac-01.corp.example.test",
            "mac-01",
            "C02XL0XXJGH5",
            "site_default"
        ]
    );
    let short_only = ClientFacts {
        hostname: Some("mac-01".into()),
        serial_number: Some("UNKNOWN".into()),
        ..ClientFacts::default()
    };
    assert_eq!(short_only.manifest_candidates(), ["mac-01", "site_default"]);
    let with_id = ClientFacts {
        client_identifier: Some("hosts/C02X".into()),
        ..facts
    };
    assert_eq!(with_id.manifest_candidates(), ["hosts/C02X"]);
}

#[tokio::test]
async fn the_primary_manifest_is_the_first_candidate_that_exists_and_parses() {
    let repo = repo_with(&[
        ("C02X", including(&[])),
        ("site_default", Manifest::default()),
    ]);
    let bad = ResourcePath::new(ResourceKind::Manifests, "mac-01").unwrap();
    repo.put(&bad, "not a plist".into()).await.unwrap();
    let facts = ClientFacts {
        hostname: Some("mac-01.example.test".into()),
        serial_number: Some("C02X".into()),
        ..ClientFacts::default()
    };
    let (name, _) = primary_manifest(&repo, &facts).await.unwrap();
    assert_eq!(name, "C02X");

    let only_default = repo_with(&[("site_default", Manifest::default())]);
    assert_eq!(
        primary_manifest(&only_default, &facts).await.unwrap().0,
        "site_default"
    );

    // A set ClientIdentifier has no fallback.
    let pinned = ClientFacts {
        client_identifier: Some("missing".into()),
        ..facts
    };
    match primary_manifest(&only_default, &pinned).await.unwrap_err() {
        Error::NoPrimaryManifest(tried) => assert_eq!(tried, ["missing"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_binary_plist_with_a_uid_is_refused_rather_than_unwritable() {
    let mut dict = plist::Dictionary::new();
    dict.insert("catalogs".into(), Value::Array(vec!["production".into()]));
    dict.insert(
        "x".into(),
        Value::Array(vec![Value::Uid(plist::Uid::new(1))]),
    );
    let mut binary = Vec::new();
    Value::Dictionary(dict)
        .to_writer_binary(&mut binary)
        .unwrap();
    assert!(matches!(Manifest::from_bytes(&binary), Err(Error::Uid)));
    assert!(crate::Catalog::from_bytes(&binary).is_err());
}
