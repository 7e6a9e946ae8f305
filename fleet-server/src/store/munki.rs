//! `munki`'s [`Repo`] on the database: `munki_resources` (one row per
//! resource) and `munki_resource_chunks` (its content in chunks).
//!
//! A range read loads only the chunks that overlap the range, so serving a
//! package never holds more of it in memory than the range asked for plus
//! one chunk. `put` receives the whole content (the trait hands it over as
//! one `Bytes`) and writes it chunk by chunk in one transaction.

use std::time::SystemTime;

use async_trait::async_trait;
use aws_lc_rs::digest::{SHA256, digest};
use bytes::{Bytes, BytesMut};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
use diesel_async::RunQueryDsl;
use munki::repo::Metadata;
use munki::{Repo, ResourceKind, ResourcePath, StoreError};

use crate::db::{Db, transaction, with_conn};
use crate::schema::{munki_resource_chunks as ch, munki_resources as r};
use crate::store::{Failure, from_unix_seconds, unix_seconds};

/// Chunk size unless configured otherwise: 1 MiB, well under MariaDB's
/// default 16 MiB `max_allowed_packet` and MEDIUMBLOB's limit.
const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// A Munki repository on MySQL or SQLite.
#[derive(Debug, Clone)]
pub struct MunkiRepo {
    db: Db,
    chunk_size: usize,
}

impl MunkiRepo {
    /// A repository on `db` (migrated, [`crate::db::prepare_db`]).
    pub fn new(db: Db) -> Self {
        Self {
            db,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// The same repository writing new content in chunks of `chunk_size`
    /// bytes (at least 1, at most 8 MiB). Content already stored keeps
    /// the chunk size it was written with.
    #[must_use]
    pub fn with_chunk_size(mut self, chunk_size: usize) -> Self {
        self.chunk_size = chunk_size.clamp(1, 8 << 20);
        self
    }
}

/// A `munki_resources` row's length, chunk size, etag and modification
/// time.
type Row = (i64, i32, String, i64);

fn not_found(path: &ResourcePath) -> Failure {
    Failure::NotFound(path.to_string())
}

fn etag(content: &[u8]) -> String {
    let hash = digest(&SHA256, content);
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// A column value that cannot be negative as the unsigned number it is.
fn unsigned(value: i64, what: &str) -> Result<u64, Failure> {
    u64::try_from(value).map_err(|_| Failure::Corrupt(format!("munki_resources.{what}")))
}

impl MunkiRepo {
    async fn row(&self, path: &ResourcePath) -> Result<Row, Failure> {
        let (kind, name) = (path.kind().dir(), path.name());
        let row: Option<Row> = with_conn!(self.db, conn => {
            r::table
                .find((kind, name))
                .select((r::len, r::chunk_size, r::etag, r::modified_at))
                .first(conn)
                .await
                .optional()?
        });
        row.ok_or_else(|| not_found(path))
    }

    async fn range(&self, path: &ResourcePath, offset: u64, len: usize) -> Result<Bytes, Failure> {
        let (total, chunk_size, _, _) = self.row(path).await?;
        let total = unsigned(total, "len")?;
        let chunk_size = unsigned(i64::from(chunk_size), "chunk_size")?.max(1);
        let end = total.min(offset.saturating_add(len as u64));
        if offset >= end {
            return Ok(Bytes::new());
        }
        let first = i32::try_from(offset / chunk_size).map_err(|_| not_found(path))?;
        let last = i32::try_from((end - 1) / chunk_size).map_err(|_| not_found(path))?;
        let (kind, name) = (path.kind().dir(), path.name());
        let chunks: Vec<(i32, Vec<u8>)> = with_conn!(self.db, conn => {
            ch::table
                .filter(ch::kind.eq(kind))
                .filter(ch::path.eq(name))
                .filter(ch::seq.between(first, last))
                .order(ch::seq.asc())
                .select((ch::seq, ch::data))
                .load(conn)
                .await?
        });
        let wanted = usize::try_from(end - offset).unwrap_or(usize::MAX);
        let mut out = BytesMut::with_capacity(wanted);
        for (seq, data) in chunks {
            let start = u64::try_from(seq).unwrap_or(0) * chunk_size;
            let from = usize::try_from(offset.saturating_sub(start)).unwrap_or(usize::MAX);
            let to = usize::try_from(end - start).unwrap_or(usize::MAX);
            if let Some(part) = data.get(from.min(data.len())..to.min(data.len())) {
                out.extend_from_slice(part);
            }
        }
        if out.len() != wanted {
            // Replaced between the two queries: the caller retries, and
            // never gets a mix of two versions.
            return Err(Failure::Conflict(format!(
                "{path} changed while being read"
            )));
        }
        Ok(out.freeze())
    }

    async fn store(&self, path: &ResourcePath, content: &[u8]) -> Result<(), Failure> {
        let (kind, name) = (path.kind().dir(), path.name());
        let len = i64::try_from(content.len())
            .map_err(|_| Failure::Invalid(format!("{path}: too large")))?;
        let chunk_size = self.chunk_size;
        let stored_chunk_size = i32::try_from(chunk_size).unwrap_or(i32::MAX);
        let etag = etag(content);
        let modified = unix_seconds(SystemTime::now());
        transaction!(self.db, conn => {
            diesel::delete(r::table.find((kind, name))).execute(conn).await?;
            diesel::insert_into(r::table)
                .values((
                    r::kind.eq(kind),
                    r::path.eq(name),
                    r::len.eq(len),
                    r::chunk_size.eq(stored_chunk_size),
                    r::etag.eq(&etag),
                    r::modified_at.eq(modified),
                ))
                .execute(conn)
                .await?;
            for (seq, chunk) in content.chunks(chunk_size).enumerate() {
                let seq = i32::try_from(seq)
                    .map_err(|_| Failure::Invalid(format!("{path}: too many chunks")))?;
                diesel::insert_into(ch::table)
                    .values((ch::kind.eq(kind), ch::path.eq(name), ch::seq.eq(seq), ch::data.eq(chunk)))
                    .execute(conn)
                    .await?;
            }
            Ok::<_, Failure>(())
        })
    }

    async fn remove(&self, path: &ResourcePath) -> Result<(), Failure> {
        let (kind, name) = (path.kind().dir(), path.name());
        let deleted = with_conn!(self.db, conn => {
            diesel::delete(r::table.find((kind, name))).execute(conn).await?
        });
        if deleted == 0 {
            return Err(not_found(path));
        }
        Ok(())
    }

    async fn paths(&self, kind: ResourceKind) -> Result<Vec<String>, Failure> {
        let kind = kind.dir();
        let mut paths: Vec<String> = with_conn!(self.db, conn => {
            r::table.filter(r::kind.eq(kind)).select(r::path).load(conn).await?
        });
        paths.retain(|p| !p.split('/').any(|part| part.starts_with('.')));
        // Byte order, whatever the database's collation.
        paths.sort();
        Ok(paths)
    }
}

#[async_trait]
impl Repo for MunkiRepo {
    async fn metadata(&self, path: &ResourcePath) -> Result<Metadata, StoreError> {
        let (len, _, etag, modified) = self.row(path).await?;
        Ok(Metadata {
            len: unsigned(len, "len")?,
            modified: from_unix_seconds(modified),
            etag,
        })
    }

    async fn read(&self, path: &ResourcePath) -> Result<Bytes, StoreError> {
        Ok(self.range(path, 0, usize::MAX).await?)
    }

    async fn read_range(
        &self,
        path: &ResourcePath,
        offset: u64,
        len: usize,
    ) -> Result<Bytes, StoreError> {
        Ok(self.range(path, offset, len).await?)
    }

    async fn put(&self, path: &ResourcePath, content: Bytes) -> Result<(), StoreError> {
        Ok(self.store(path, &content).await?)
    }

    async fn delete(&self, path: &ResourcePath) -> Result<(), StoreError> {
        Ok(self.remove(path).await?)
    }

    async fn list(&self, kind: ResourceKind) -> Result<Vec<String>, StoreError> {
        Ok(self.paths(kind).await?)
    }
}
