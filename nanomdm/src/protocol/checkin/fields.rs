//! Serde field helpers working around two plist 1.10 quirks.
//!
//! - `<data>` reaches `deserialize_byte_buf`, which `Vec<u8>`'s own
//!   `Deserialize` (a sequence) rejects; going through [`plist::Data`]
//!   works.
//! - A struct with a `#[serde(flatten)]` field is read as a map, and inside
//!   a map plist expects `Option`s in its explicit `{Some: …}` encoding, so
//!   a plain `Option<String>` field fails on a real check-in. Optional
//!   fields therefore use `#[serde(default, deserialize_with = "…")]` with
//!   [`some`] or [`some_bytes`]: an absent key is `None`, a present one is
//!   deserialised as the inner type.

use serde::{Deserialize, Deserializer};

/// A required `<data>` value.
pub(super) fn bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    plist::Data::deserialize(deserializer).map(Vec::from)
}

/// An optional `<data>` value (with `#[serde(default)]`).
pub(super) fn some_bytes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<u8>>, D::Error> {
    bytes(deserializer).map(Some)
}

/// An optional value of any other type (with `#[serde(default)]`).
pub(super) fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}
