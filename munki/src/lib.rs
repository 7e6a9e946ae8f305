#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod catalog;
mod dict;
mod error;
pub mod http;
pub mod manifest;
pub mod pkginfo;
pub mod repo;
#[cfg(feature = "testing")]
pub mod testing;

pub use catalog::{Catalog, IconHashes};
pub use error::{BoxError, Error, Result, StoreError};
pub use manifest::{ConditionalItem, Manifest};
pub use pkginfo::Pkginfo;
pub use repo::{FileRepo, MemoryRepo, Repo, ResourceKind, ResourcePath};
