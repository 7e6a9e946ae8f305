use std::time::UNIX_EPOCH;

use super::*;
use crate::{Catalog, IconHashes, MemoryRepo};

fn pkginfo(name: &str, catalogs: &[&str], location: Option<&str>) -> Bytes {
    let info = Pkginfo {
        name: Some(name.into()),
        version: Some("1.0".into()),
        catalogs: Some(catalogs.iter().map(|c| (*c).to_owned()).collect()),
        installer_item_location: location.map(str::to_owned),
        notes: Some("admin only".into()),
        ..Pkginfo::default()
    };
    Bytes::from(info.to_xml())
}

fn put(repo: &MemoryRepo, kind: ResourceKind, name: &str, content: Bytes) {
    repo.put_at(&ResourcePath::new(kind, name).unwrap(), content, UNIX_EPOCH);
}

#[test]
fn items_go_to_all_and_to_each_named_catalog_without_notes_or_private_keys() {
    let mut with_metadata =
        Pkginfo::from_bytes(&pkginfo("B", &["production"], Some("b.pkg"))).unwrap();
    with_metadata
        .other
        .insert("_metadata".into(), Value::Dictionary(Dictionary::new()));
    let input = vec![
        (
            "a.plist".to_owned(),
            pkginfo("A", &["testing", "production"], Some("apps/a.pkg")),
        ),
        ("b.plist".to_owned(), Bytes::from(with_metadata.to_xml())),
    ];
    let pkgs = ["apps/a.pkg".to_owned(), "b.pkg".to_owned()];
    let (catalogs, problems) = build_catalogs(&input, &pkgs, Options::default());
    assert_eq!(problems, []);
    let names = |c: &str| -> Vec<String> {
        catalogs[c]
            .iter()
            .map(|d| d["name"].as_string().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("all"), ["A", "B"]);
    assert_eq!(names("production"), ["A", "B"]);
    assert_eq!(names("testing"), ["A"]);
    assert!(
        catalogs["all"]
            .iter()
            .all(|d| !d.contains_key("notes") && !d.contains_key("_metadata"))
    );
}

#[test]
fn problems_are_reported_and_broken_items_left_out() {
    let input = vec![
        ("bad.plist".to_owned(), Bytes::from_static(b"<plist><dict><key>name</key>")),
        ("wrong-type.plist".to_owned(), Bytes::from_static(
            b"<plist><dict><key>name</key><string>W</string><key>installer_item_size</key><string>big</string></dict></plist>",
        )),
        ("noname.plist".to_owned(), Bytes::from_static(b"<plist><dict><key>version</key><string>1</string></dict></plist>")),
        ("missing.plist".to_owned(), pkginfo("M", &["production"], Some("gone.pkg"))),
        ("empty.plist".to_owned(), pkginfo("E", &["production"], None)),
        ("case.plist".to_owned(), pkginfo("C", &["Production"], Some("CASE.pkg"))),
        ("nocat.plist".to_owned(), pkginfo("N", &[], Some("case.pkg"))),
    ];
    let pkgs = ["case.pkg".to_owned()];
    let (catalogs, problems) = build_catalogs(&input, &pkgs, Options::default());
    assert!(matches!(&problems[0], Problem::BadPkginfo { pkginfo, .. } if pkginfo == "bad.plist"));
    match &problems[1] {
        Problem::BadPkginfo { pkginfo, error } => {
            assert_eq!(pkginfo, "wrong-type.plist");
            assert!(error.contains("installer_item_size"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        problems[2..],
        [
            Problem::MissingName {
                pkginfo: "noname.plist".into()
            },
            Problem::MissingItem {
                pkginfo: "missing.plist".into(),
                item: "gone.pkg".into()
            },
            Problem::EmptyItemLocation {
                pkginfo: "empty.plist".into()
            },
            Problem::ItemCaseMismatch {
                pkginfo: "case.plist".into(),
                item: "CASE.pkg".into(),
                found: "case.pkg".into()
            },
            Problem::NoCatalogs {
                pkginfo: "nocat.plist".into()
            },
        ]
    );
    let all: Vec<&str> = catalogs["all"]
        .iter()
        .map(|d| d["name"].as_string().unwrap())
        .collect();
    assert_eq!(all, ["C", "N"]);

    let (forced, _) = build_catalogs(
        &input,
        &pkgs,
        Options {
            force: true,
            ..Options::default()
        },
    );
    assert_eq!(
        forced["production"].len(),
        2,
        "missing and empty locations are kept with force"
    );
    let (unchecked, problems) = build_catalogs(
        &input,
        &pkgs,
        Options {
            skip_pkg_check: true,
            ..Options::default()
        },
    );
    assert_eq!(unchecked["all"].len(), 4);
    assert!(
        !problems
            .iter()
            .any(|p| matches!(p, Problem::MissingItem { .. }))
    );
}

#[test]
fn catalog_names_differing_only_in_case_are_reported() {
    let input = vec![
        ("a.plist".to_owned(), pkginfo("A", &["Production"], None)),
        ("b.plist".to_owned(), pkginfo("B", &["production"], None)),
    ];
    let (_, problems) = build_catalogs(
        &input,
        &[],
        Options {
            skip_pkg_check: true,
            ..Options::default()
        },
    );
    assert_eq!(
        problems,
        [Problem::CatalogCaseClash(vec![
            "Production".into(),
            "production".into()
        ])]
    );
}

#[test]
fn nopkg_and_remote_items_need_no_installer_item() {
    let nopkg = Pkginfo {
        name: Some("N".into()),
        installer_type: Some("nopkg".into()),
        catalogs: Some(vec!["p".into()]),
        ..Pkginfo::default()
    };
    let input = vec![("n.plist".to_owned(), Bytes::from(nopkg.to_xml()))];
    let (catalogs, problems) = build_catalogs(&input, &[], Options::default());
    assert_eq!(problems, []);
    assert_eq!(catalogs["p"].len(), 1);
}

#[tokio::test]
async fn makecatalogs_writes_catalogs_and_icon_hashes_and_removes_stale_catalogs() {
    let repo = MemoryRepo::new();
    put(
        &repo,
        ResourceKind::Pkgsinfo,
        "apps/a.plist",
        pkginfo("A", &["production"], Some("a.pkg")),
    );
    put(
        &repo,
        ResourceKind::Pkgs,
        "a.pkg",
        Bytes::from_static(b"pkg"),
    );
    put(
        &repo,
        ResourceKind::Catalogs,
        "retired",
        Bytes::from_static(b"<plist><array/></plist>"),
    );
    put(
        &repo,
        ResourceKind::Icons,
        "A.png",
        Bytes::from_static(b"png"),
    );
    let report = makecatalogs(&repo, Options::default()).await.unwrap();
    assert_eq!(
        report.catalogs,
        BTreeMap::from([("all".into(), 1), ("production".into(), 1)])
    );
    assert_eq!(report.removed, ["retired"]);
    assert_eq!(report.icons, 1);
    let repo: &dyn Repo = &repo;
    let production = repo.catalog("production").await.unwrap();
    assert_eq!(
        production,
        Catalog::from_bytes(&repo.catalog("all").await.unwrap().to_xml()).unwrap()
    );
    assert_eq!(production.items_named("A").count(), 1);
    let hashes: IconHashes = repo.icon_hashes().await.unwrap();
    // SHA-256("png"), from `printf png | sha256sum`.
    assert_eq!(
        hashes.0["A.png"],
        "8f8cbb7dcf46e0bc7d53265749a6c17d116093a6ba95e442764060c76fd4a86c"
    );
    assert_eq!(
        repo.list(ResourceKind::Catalogs).await.unwrap(),
        ["all", "production"]
    );
}
