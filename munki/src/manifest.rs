//! Manifests: which catalogs a client reads and which items it installs,
//! removes, updates or offers.
//!
//! Keys follow the Munki wiki ("Manifests", "Conditional Items"); every
//! other key is kept in `other`. [`resolve`] follows `included_manifests`
//! the way the client does and finds a client's primary manifest.

use crate::dict::plist_dict;

pub mod resolve;
pub mod template;

plist_dict! {
    /// A manifest (one file under `manifests/`). Ported from Munki's
    /// manifest plist format.
    pub struct Manifest {
        /// `catalogs`: searched in order, first match wins; an included
        /// manifest without them uses its parent's.
        "catalogs" => catalogs: Vec<String>,
        /// `included_manifests`: processed before this manifest's items.
        "included_manifests" => included_manifests: Vec<String>,
        /// `managed_installs`.
        "managed_installs" => managed_installs: Vec<String>,
        /// `managed_uninstalls`.
        "managed_uninstalls" => managed_uninstalls: Vec<String>,
        /// `managed_updates`.
        "managed_updates" => managed_updates: Vec<String>,
        /// `optional_installs`: offered in Managed Software Center.
        "optional_installs" => optional_installs: Vec<String>,
        /// `featured_items`.
        "featured_items" => featured_items: Vec<String>,
        /// `default_installs`: optional items installed once by default.
        "default_installs" => default_installs: Vec<String>,
        /// `conditional_items`: blocks applied when their predicate holds.
        "conditional_items" => conditional_items: Vec<ConditionalItem>,
        /// `display_name`: admin metadata.
        "display_name" => display_name: String,
        /// `notes`: admin metadata.
        "notes" => notes: String,
    }
}

plist_dict! {
    /// One entry of `conditional_items`: an NSPredicate `condition` plus the
    /// manifest keys that apply when it holds, nestable. Ported from
    /// Munki's conditional items.
    ///
    /// The condition is evaluated by the client against its own facts; a
    /// server only carries it.
    pub struct ConditionalItem {
        /// `condition`: an NSPredicate format string.
        "condition" => condition: String,
        /// `catalogs`.
        "catalogs" => catalogs: Vec<String>,
        /// `included_manifests`.
        "included_manifests" => included_manifests: Vec<String>,
        /// `managed_installs`.
        "managed_installs" => managed_installs: Vec<String>,
        /// `managed_uninstalls`.
        "managed_uninstalls" => managed_uninstalls: Vec<String>,
        /// `managed_updates`.
        "managed_updates" => managed_updates: Vec<String>,
        /// `optional_installs`.
        "optional_installs" => optional_installs: Vec<String>,
        /// `featured_items`.
        "featured_items" => featured_items: Vec<String>,
        /// `default_installs`.
        "default_installs" => default_installs: Vec<String>,
        /// `conditional_items`: nested blocks.
        "conditional_items" => conditional_items: Vec<ConditionalItem>,
    }
}

impl Manifest {
    /// Every manifest name this one may include, in the client's order:
    /// `included_manifests`, then those inside `conditional_items` (any
    /// depth), whatever their conditions. Empty names are skipped, as the
    /// client skips them.
    pub fn all_included_manifests(&self) -> Vec<&str> {
        let mut names = Vec::new();
        push_names(&mut names, self.included_manifests.as_deref());
        collect_conditional(&mut names, self.conditional_items.as_deref());
        names
    }
}

fn push_names<'a>(out: &mut Vec<&'a str>, names: Option<&'a [String]>) {
    out.extend(
        names
            .unwrap_or_default()
            .iter()
            .map(String::as_str)
            .filter(|n| !n.is_empty()),
    );
}

fn collect_conditional<'a>(out: &mut Vec<&'a str>, items: Option<&'a [ConditionalItem]>) {
    for item in items.unwrap_or_default() {
        push_names(out, item.included_manifests.as_deref());
        collect_conditional(out, item.conditional_items.as_deref());
    }
}

#[cfg(test)]
mod tests;
