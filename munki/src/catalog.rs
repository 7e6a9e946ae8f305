//! Catalogs (`catalogs/<name>`: an array of pkginfo dictionaries) and the
//! icon hash list (`icons/_icon_hashes.plist`).

use std::collections::BTreeMap;

use plist::Dictionary;

use crate::{Error, Pkginfo, Result};

pub mod makecatalogs;

/// A catalog: the pkginfo dictionaries of every item in it, in
/// `makecatalogs` order. Ported from Munki's catalog plist format.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog(pub Vec<Pkginfo>);

impl Catalog {
    /// Parses an XML or binary plist array of pkginfo dictionaries.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let items: Vec<Dictionary> = plist::from_bytes(bytes).map_err(Error::Plist)?;
        items
            .into_iter()
            .map(Pkginfo::try_from)
            .collect::<Result<_>>()
            .map(Self)
    }

    /// Encodes as an XML plist.
    pub fn to_xml(&self) -> Vec<u8> {
        crate::dict::to_xml(&self.0)
    }

    /// The items named `name`, in catalog order.
    pub fn items_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Pkginfo> + 'a {
        self.0
            .iter()
            .filter(move |item| item.name.as_deref() == Some(name))
    }
}

/// `icons/_icon_hashes.plist`: icon file name (relative to `icons/`) →
/// SHA-256 (lower-case hex). The client fetches it to know which icons
/// changed. Ported from Munki's `makecatalogs` icon hashing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IconHashes(pub BTreeMap<String, String>);

impl IconHashes {
    /// Parses the plist dictionary.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        plist::from_bytes(bytes).map(Self).map_err(Error::Plist)
    }

    /// Encodes as an XML plist.
    pub fn to_xml(&self) -> Vec<u8> {
        crate::dict::to_xml(&self.0)
    }
}
