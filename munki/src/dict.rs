//! Typed views of plist dictionaries that keep the keys they do not name.
//!
//! Munki's plists are open: admins and tools add keys (`_metadata`,
//! `installer_choices_xml`, their own). The types here name the keys Munki
//! documents and keep every other key in `other`, so a read-modify-write
//! never loses data. They go through a [`plist::Dictionary`] rather than
//! `#[serde(flatten)]`: serde buffers flattened maps in its own value type,
//! which loses plist dates and data and trips over `Option` fields.

use plist::{Dictionary, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// Removes `key` from `dict` and decodes it; absent means `None`.
pub(crate) fn take<T: DeserializeOwned>(
    dict: &mut Dictionary,
    key: &'static str,
) -> Result<Option<T>, Error> {
    match dict.remove(key) {
        None => Ok(None),
        Some(value) => plist::from_value(&value)
            .map(Some)
            .map_err(|source| Error::Key { key, source }),
    }
}

/// Encodes `value` under `key` unless it is `None`.
pub(crate) fn put<T: Serialize>(dict: &mut Dictionary, key: &str, value: Option<T>) {
    if let Some(value) = value {
        let value: Value = plist::to_value(&value)
            .expect("strings, booleans, integers, dates, arrays and dictionaries encode");
        dict.insert(key.to_owned(), value);
    }
}

/// Defines a struct over a plist dictionary: one `Option` field per named
/// key plus `other` for the rest, (de)serialized through a [`Dictionary`].
macro_rules! plist_dict {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $key:literal => $field:ident: $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "plist::Dictionary", into = "plist::Dictionary")]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: Option<$ty>,
            )*
            /// Every key this type does not name, as it came.
            pub other: plist::Dictionary,
        }

        impl TryFrom<plist::Dictionary> for $name {
            type Error = $crate::Error;

            fn try_from(mut dict: plist::Dictionary) -> Result<Self, Self::Error> {
                $crate::dict::reject_uids(&dict)?;
                Ok(Self {
                    $($field: $crate::dict::take(&mut dict, $key)?,)*
                    other: dict,
                })
            }
        }

        impl From<$name> for plist::Dictionary {
            fn from(value: $name) -> Self {
                let mut dict = plist::Dictionary::new();
                $($crate::dict::put(&mut dict, $key, value.$field);)*
                for (key, other) in value.other {
                    dict.insert(key, other);
                }
                dict
            }
        }

        impl $name {
            /// Parses an XML or binary plist.
            pub fn from_bytes(bytes: &[u8]) -> $crate::Result<Self> {
                // Through the dictionary, not serde, so a wrong-typed key
                // keeps its name and cause in the error.
                let dict: plist::Dictionary =
                    plist::from_bytes(bytes).map_err($crate::Error::Plist)?;
                Self::try_from(dict)
            }

            /// Encodes as an XML plist, the form Munki tools write.
            pub fn to_xml(&self) -> Vec<u8> {
                $crate::dict::to_xml(self)
            }
        }
    };
}
pub(crate) use plist_dict;

/// Refuses keyed-archiver UIDs anywhere in `dict`: Munki never writes them
/// and an XML plist cannot hold them, so accepting one from a binary plist
/// would make the value impossible to write back.
pub(crate) fn reject_uids(dict: &Dictionary) -> Result<(), Error> {
    fn has_uid(value: &Value) -> bool {
        match value {
            Value::Uid(_) => true,
            Value::Array(items) => items.iter().any(has_uid),
            Value::Dictionary(dict) => dict.values().any(has_uid),
            _ => false,
        }
    }
    if dict.values().any(has_uid) {
        return Err(Error::Uid);
    }
    Ok(())
}

/// Encodes `value` as an XML plist.
pub(crate) fn to_xml<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    plist::to_writer_xml(&mut out, value).expect("writing a plist to memory cannot fail");
    out
}
