//! Resource kinds and validated resource paths.

use std::fmt;

use crate::Error;

/// The icon hash list's name under `icons/`.
pub(crate) const ICON_HASHES: &str = "_icon_hashes.plist";

/// A top-level directory of a Munki repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ResourceKind {
    /// `catalogs/`: built by `makecatalogs`.
    Catalogs,
    /// `manifests/`.
    Manifests,
    /// `pkgsinfo/`: admin-side, never served to clients.
    Pkgsinfo,
    /// `pkgs/`: installer items.
    Pkgs,
    /// `icons/`: PNG icons and `_icon_hashes.plist`.
    Icons,
    /// `client_resources/`: `<name>.zip` branding for Managed Software
    /// Center.
    ClientResources,
}

impl ResourceKind {
    /// Every kind, in layout order.
    pub const ALL: [Self; 6] = [
        Self::Catalogs,
        Self::Manifests,
        Self::Pkgsinfo,
        Self::Pkgs,
        Self::Icons,
        Self::ClientResources,
    ];

    /// The directory name in the repository and in client URLs.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Catalogs => "catalogs",
            Self::Manifests => "manifests",
            Self::Pkgsinfo => "pkgsinfo",
            Self::Pkgs => "pkgs",
            Self::Icons => "icons",
            Self::ClientResources => "client_resources",
        }
    }

    /// The kind whose directory is `dir`.
    pub fn from_dir(dir: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.dir() == dir)
    }

    /// Whether clients fetch this kind (all but `pkgsinfo`).
    pub fn is_served(self) -> bool {
        self != Self::Pkgsinfo
    }
}

/// A path inside one kind's directory, checked to stay there: relative,
/// `/`-separated, no empty, `.`, `..` or hidden (`.`-prefixed) component,
/// no backslash or NUL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePath {
    kind: ResourceKind,
    name: String,
}

impl ResourcePath {
    /// Checks `name` (already percent-decoded) and pairs it with `kind`.
    pub fn new(kind: ResourceKind, name: &str) -> Result<Self, Error> {
        let refused = || Error::Path(format!("{}/{name}", kind.dir()));
        if name.is_empty() || name.contains(['\\', '\0']) {
            return Err(refused());
        }
        // Rejecting every dot-first component covers `.`, `..` and hidden
        // files (`.git`, `.DS_Store`) alike; an empty one is `//` or a
        // leading `/` (absolute).
        if name
            .split('/')
            .any(|part| part.is_empty() || part.starts_with('.'))
        {
            return Err(refused());
        }
        Ok(Self {
            kind,
            name: name.to_owned(),
        })
    }

    /// The kind (top-level directory).
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// The path inside the kind's directory.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.dir(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_absolute_and_hidden_paths_are_refused() {
        for name in [
            "",
            "..",
            "../etc/passwd",
            "a/../../b",
            "/etc/passwd",
            "a//b",
            "a/",
            ".hidden",
            "apps/.git/config",
            "a\\..\\b",
            "a\0b",
            "./a",
        ] {
            assert!(
                ResourcePath::new(ResourceKind::Pkgs, name).is_err(),
                "{name:?}"
            );
        }
    }

    #[test]
    fn nested_names_with_spaces_and_dots_inside_are_accepted() {
        let path = ResourcePath::new(ResourceKind::Pkgs, "apps/Firefox 120.0.pkg").unwrap();
        assert_eq!(path.to_string(), "pkgs/apps/Firefox 120.0.pkg");
        assert_eq!(
            ResourceKind::from_dir("client_resources"),
            Some(ResourceKind::ClientResources)
        );
        assert_eq!(ResourceKind::from_dir("etc"), None);
    }
}
