//! The [`Repo`] contract, one function per sentence; each panics when the
//! repository breaks it.
#![expect(clippy::unwrap_used, reason = "conformance checks fail by panicking")]

use bytes::Bytes;

use crate::{Repo, ResourceKind, ResourcePath, StoreError};

fn path(kind: ResourceKind, name: &str) -> ResourcePath {
    ResourcePath::new(kind, name).unwrap()
}

/// A resource that was put reads back whole, with its length in its
/// metadata.
pub async fn a_put_resource_reads_back_whole_with_its_length(repo: &dyn Repo) {
    let p = path(ResourceKind::Pkgs, "apps/Tool 1.0.pkg");
    repo.put(&p, Bytes::from_static(b"0123456789"))
        .await
        .unwrap();
    assert_eq!(repo.read(&p).await.unwrap(), &b"0123456789"[..]);
    assert_eq!(repo.metadata(&p).await.unwrap().len, 10);
}

/// Reading, measuring or deleting a missing resource is `NotFound`.
pub async fn a_missing_resource_is_not_found(repo: &dyn Repo) {
    let p = path(ResourceKind::Manifests, "nobody");
    assert!(matches!(repo.read(&p).await, Err(StoreError::NotFound)));
    assert!(matches!(repo.metadata(&p).await, Err(StoreError::NotFound)));
    assert!(matches!(
        repo.read_range(&p, 0, 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(repo.delete(&p).await, Err(StoreError::NotFound)));
}

/// `read_range` returns the bytes from `offset`, at most `len`, fewer at
/// the end and none past it.
pub async fn read_range_returns_at_most_len_bytes_from_offset(repo: &dyn Repo) {
    let p = path(ResourceKind::Pkgs, "range.pkg");
    repo.put(&p, Bytes::from_static(b"0123456789"))
        .await
        .unwrap();
    assert_eq!(repo.read_range(&p, 2, 3).await.unwrap(), &b"234"[..]);
    assert_eq!(repo.read_range(&p, 8, 5).await.unwrap(), &b"89"[..]);
    assert_eq!(repo.read_range(&p, 10, 5).await.unwrap(), &b""[..]);
    assert_eq!(repo.read_range(&p, 99, 5).await.unwrap(), &b""[..]);
}

/// Putting new content replaces the old and changes the etag.
pub async fn new_content_replaces_the_old_and_changes_the_etag(repo: &dyn Repo) {
    let p = path(ResourceKind::Catalogs, "all");
    repo.put(&p, Bytes::from_static(b"old")).await.unwrap();
    let before = repo.metadata(&p).await.unwrap().etag;
    repo.put(&p, Bytes::from_static(b"new!")).await.unwrap();
    assert_eq!(repo.read(&p).await.unwrap(), &b"new!"[..]);
    assert_ne!(repo.metadata(&p).await.unwrap().etag, before);
}

/// The etag is a quoted strong validator, the same on every call while the
/// content stays.
pub async fn the_etag_is_quoted_and_stable_while_the_content_stays(repo: &dyn Repo) {
    let p = path(ResourceKind::Icons, "Tool.png");
    repo.put(&p, Bytes::from_static(b"png")).await.unwrap();
    let etag = repo.metadata(&p).await.unwrap().etag;
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{etag}"
    );
    assert!(!etag.starts_with("W/"));
    assert!(!etag[1..etag.len() - 1].contains('"'));
    assert_eq!(repo.metadata(&p).await.unwrap().etag, etag);
}

/// `list` returns every resource of a kind, recursively, as sorted
/// relative paths, hidden files left out.
pub async fn list_is_recursive_sorted_and_skips_hidden_files(repo: &dyn Repo) {
    for name in ["b", "a/z", "a/b/c", "c d"] {
        repo.put(
            &path(ResourceKind::Pkgsinfo, name),
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        repo.list(ResourceKind::Pkgsinfo).await.unwrap(),
        ["a/b/c", "a/z", "b", "c d"]
    );
}

/// Listing a kind with no resources returns an empty list.
pub async fn listing_an_empty_kind_is_an_empty_list(repo: &dyn Repo) {
    assert_eq!(
        repo.list(ResourceKind::ClientResources).await.unwrap(),
        Vec::<String>::new()
    );
}

/// Kinds are separate namespaces: the same name under two kinds is two
/// resources.
pub async fn kinds_are_separate_namespaces(repo: &dyn Repo) {
    repo.put(
        &path(ResourceKind::Manifests, "same"),
        Bytes::from_static(b"m"),
    )
    .await
    .unwrap();
    repo.put(
        &path(ResourceKind::Catalogs, "same"),
        Bytes::from_static(b"c"),
    )
    .await
    .unwrap();
    assert_eq!(
        repo.read(&path(ResourceKind::Manifests, "same"))
            .await
            .unwrap(),
        &b"m"[..]
    );
    assert_eq!(
        repo.read(&path(ResourceKind::Catalogs, "same"))
            .await
            .unwrap(),
        &b"c"[..]
    );
    assert_eq!(
        repo.list(ResourceKind::Pkgs).await.unwrap(),
        Vec::<String>::new()
    );
}

/// A deleted resource is gone from reads and lists.
pub async fn a_deleted_resource_is_gone(repo: &dyn Repo) {
    let p = path(ResourceKind::Manifests, "site_default");
    repo.put(&p, Bytes::from_static(b"m")).await.unwrap();
    repo.delete(&p).await.unwrap();
    assert!(matches!(repo.read(&p).await, Err(StoreError::NotFound)));
    assert_eq!(
        repo.list(ResourceKind::Manifests).await.unwrap(),
        Vec::<String>::new()
    );
}
