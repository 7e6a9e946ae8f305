//! `munki`'s repository conformance suite on [`MunkiRepo`], on SQLite and
//! on MySQL, with the default chunk size and with tiny chunks (so ranges
//! cross chunk boundaries).

use bytes::Bytes;
use fleet_server::store::MunkiRepo;
use munki::{Repo, ResourceKind, ResourcePath};

mod sqlite {
    munki::repo_conformance!({
        let (db, dir) = crate::sqlite_db().await;
        (fleet_server::store::MunkiRepo::new(db), dir)
    });
}

mod sqlite_tiny_chunks {
    munki::repo_conformance!({
        let (db, dir) = crate::sqlite_db().await;
        (
            fleet_server::store::MunkiRepo::new(db).with_chunk_size(3),
            dir,
        )
    });
}

mod mysql {
    munki::repo_conformance!({
        let Some((db, test_db)) = crate::mysql_db("munki_conformance").await else {
            return;
        };
        (fleet_server::store::MunkiRepo::new(db), test_db)
    });
}

mod mysql_tiny_chunks {
    munki::repo_conformance!({
        let Some((db, test_db)) = crate::mysql_db("munki_tiny_chunks").await else {
            return;
        };
        (
            fleet_server::store::MunkiRepo::new(db).with_chunk_size(3),
            test_db,
        )
    });
}

/// Every range of a package written in 7-byte chunks reads back exactly,
/// and content written with one chunk size reads back with another.
async fn every_range_reads_back_across_chunks_and_chunk_sizes(repo: MunkiRepo, other: MunkiRepo) {
    let content: Vec<u8> = (0..=255u8).cycle().take(100).collect();
    let path = ResourcePath::new(ResourceKind::Pkgs, "apps/Big 1.0.pkg").unwrap();
    repo.put(&path, Bytes::from(content.clone())).await.unwrap();
    for offset in [0usize, 1, 6, 7, 8, 50, 99] {
        for len in [0usize, 1, 6, 7, 8, 30, 200] {
            let got = other.read_range(&path, offset as u64, len).await.unwrap();
            let end = content.len().min(offset + len);
            assert_eq!(
                &got[..],
                &content[offset..end],
                "offset {offset}, len {len}"
            );
        }
    }
    assert_eq!(other.read(&path).await.unwrap(), content);
}

#[tokio::test]
async fn sqlite_every_range_reads_back_across_chunks_and_chunk_sizes() {
    let (db, _dir) = crate::sqlite_db().await;
    let repo = MunkiRepo::new(db.clone()).with_chunk_size(7);
    every_range_reads_back_across_chunks_and_chunk_sizes(repo, MunkiRepo::new(db)).await;
}

#[tokio::test]
async fn mysql_every_range_reads_back_across_chunks_and_chunk_sizes() {
    let Some((db, _test_db)) = crate::mysql_db("munki_ranges").await else {
        return;
    };
    let repo = MunkiRepo::new(db.clone()).with_chunk_size(7);
    every_range_reads_back_across_chunks_and_chunk_sizes(repo, MunkiRepo::new(db)).await;
}
