//! The `Repo` contract on both backends, and the file backend's confinement.

use std::fs;

use munki::{FileRepo, MemoryRepo, Repo, ResourceKind, ResourcePath, StoreError};

mod memory {
    munki::repo_conformance!(munki::MemoryRepo::new());
}

mod file {
    munki::repo_conformance!({
        let dir = tempfile::tempdir().unwrap();
        (munki::FileRepo::open(dir.path()).unwrap(), dir)
    });
}

#[tokio::test]
async fn symlinks_leaving_the_repository_are_refused_and_unlisted() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("pkgs/inner")).unwrap();
    fs::write(dir.path().join("pkgs/inner/real.pkg"), "pkg").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        dir.path().join("pkgs/leak.pkg"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("pkgs/leakdir")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("pkgs/inner/real.pkg"),
        dir.path().join("pkgs/alias.pkg"),
    )
    .unwrap();
    let repo = FileRepo::open(dir.path()).unwrap();

    let leak = ResourcePath::new(ResourceKind::Pkgs, "leak.pkg").unwrap();
    assert!(matches!(
        repo.read(&leak).await,
        Err(StoreError::InvalidPath(_))
    ));
    assert!(matches!(
        repo.metadata(&leak).await,
        Err(StoreError::InvalidPath(_))
    ));
    let through_dir = ResourcePath::new(ResourceKind::Pkgs, "leakdir/secret").unwrap();
    assert!(matches!(
        repo.read(&through_dir).await,
        Err(StoreError::InvalidPath(_))
    ));
    assert!(matches!(
        repo.put(
            &ResourcePath::new(ResourceKind::Pkgs, "leakdir/new").unwrap(),
            "x".into()
        )
        .await,
        Err(StoreError::InvalidPath(_))
    ));
    assert!(!outside.path().join("new").exists());
    assert!(repo.local_path(&leak).is_none());

    // A link that stays inside is an ordinary resource.
    let alias = ResourcePath::new(ResourceKind::Pkgs, "alias.pkg").unwrap();
    assert_eq!(repo.read(&alias).await.unwrap(), "pkg");
    assert_eq!(
        repo.list(ResourceKind::Pkgs).await.unwrap(),
        ["alias.pkg", "inner/real.pkg"]
    );
}

#[tokio::test]
async fn a_put_is_visible_in_the_standard_layout_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let repo = FileRepo::open(dir.path()).unwrap();
    let path = ResourcePath::new(ResourceKind::ClientResources, "site_default.zip").unwrap();
    repo.put(&path, "zip".into()).await.unwrap();
    assert_eq!(
        fs::read(dir.path().join("client_resources/site_default.zip")).unwrap(),
        b"zip"
    );
    assert_eq!(
        repo.local_path(&path).unwrap(),
        dir.path()
            .canonicalize()
            .unwrap()
            .join("client_resources/site_default.zip")
    );
    let memory = MemoryRepo::new();
    assert!(memory.local_path(&path).is_none());
}
