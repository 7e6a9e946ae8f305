//! Following `included_manifests`, and finding a client's primary manifest,
//! as the Munki client does (`updatecheck/manifests.swift`).

use crate::{Error, Manifest, Repo, Result, StoreError};

use super::ConditionalItem;

/// What the client knows about itself when it picks its primary manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFacts {
    /// The `ClientIdentifier` preference (or the client certificate's CN
    /// when `UseClientCertificateCNAsClientIdentifier` is on).
    pub client_identifier: Option<String>,
    /// The host name as `uname` reports it, often a fully qualified name.
    pub hostname: Option<String>,
    /// The hardware serial number.
    pub serial_number: Option<String>,
}

impl ClientFacts {
    /// The manifest names the client requests, in order, stopping at the
    /// first that exists. Ported from Munki's `getPrimaryManifest`: the
    /// `ClientIdentifier` alone when set; otherwise the host name, the
    /// short host name (when different), the serial number (unless
    /// unknown), then `site_default`.
    pub fn manifest_candidates(&self) -> Vec<String> {
        if let Some(id) = self
            .client_identifier
            .as_deref()
            .filter(|id| !id.is_empty())
        {
            return vec![id.to_owned()];
        }
        let mut names = Vec::new();
        if let Some(host) = self.hostname.as_deref().filter(|h| !h.is_empty()) {
            names.push(host.to_owned());
            let short = host.split('.').next().unwrap_or_default();
            if !short.is_empty() && short != host {
                names.push(short.to_owned());
            }
        }
        if let Some(serial) = self.serial_number.as_deref()
            && !serial.is_empty()
            && serial != "UNKNOWN"
        {
            names.push(serial.to_owned());
        }
        names.push("site_default".to_owned());
        names
    }
}

/// The primary manifest the client would end up with: the first
/// candidate that exists and parses (the client moves on past a missing or
/// invalid manifest). Its name and content.
pub async fn primary_manifest(repo: &dyn Repo, facts: &ClientFacts) -> Result<(String, Manifest)> {
    let candidates = facts.manifest_candidates();
    for name in &candidates {
        match repo.manifest(name).await {
            Ok(manifest) => return Ok((name.clone(), manifest)),
            Err(Error::Store(StoreError::NotFound) | Error::Plist(_) | Error::Key { .. }) => {}
            Err(Error::Path(_)) => {} // a host name no path can hold
            Err(other) => return Err(other),
        }
    }
    Err(Error::NoPrimaryManifest(candidates))
}

/// One manifest reached from a primary manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedManifest {
    /// Its name under `manifests/`.
    pub name: String,
    /// Its content.
    pub manifest: Manifest,
    /// The catalogs its items are looked up in: its own, else those of the
    /// manifest (or conditional item) that included it.
    pub catalogs: Vec<String>,
}

/// Reads `root` and every manifest it includes, at any depth, including
/// those named inside `conditional_items` whatever their conditions (the
/// server cannot evaluate them). Each manifest appears once, in the
/// order the client first reaches it (depth first, includes before
/// conditional items). A manifest that includes itself, directly or
/// through others, is an [`Error::ManifestCycle`]; a missing one is an
/// [`Error::MissingIncludedManifest`]: the client would stop there too.
pub async fn resolve_included(repo: &dyn Repo, root: &str) -> Result<Vec<ResolvedManifest>> {
    let manifest = repo.manifest(root).await?;
    let catalogs = manifest.catalogs.clone().unwrap_or_default();
    let mut out = Vec::new();
    // Depth first with an explicit stack of the current path, which is
    // exactly what a cycle leads back into. A manifest is recorded when
    // first reached, as the client processes it.
    let mut stack = vec![Frame::enter(root.to_owned(), manifest, catalogs, &mut out)];
    while let Some(top) = stack.last_mut() {
        let Some((child, parent_catalogs)) = top.children.pop() else {
            stack.pop();
            continue;
        };
        if let Some(at) = stack.iter().position(|f| f.name == child) {
            let mut cycle: Vec<String> = stack[at..].iter().map(|f| f.name.clone()).collect();
            cycle.push(child);
            return Err(Error::ManifestCycle(cycle));
        }
        if out.iter().any(|r: &ResolvedManifest| r.name == child) {
            continue; // reached before through another path
        }
        let manifest = match repo.manifest(&child).await {
            Err(Error::Store(StoreError::NotFound)) => {
                let parent = stack.last().map(|f| f.name.clone()).unwrap_or_default();
                return Err(Error::MissingIncludedManifest {
                    missing: child,
                    parent,
                });
            }
            other => other?,
        };
        let catalogs = manifest
            .catalogs
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or(parent_catalogs);
        stack.push(Frame::enter(child, manifest, catalogs, &mut out));
    }
    Ok(out)
}

struct Frame {
    name: String,
    /// Included names still to visit (with the catalogs they inherit),
    /// last first.
    children: Vec<(String, Vec<String>)>,
}

impl Frame {
    fn enter(
        name: String,
        manifest: Manifest,
        catalogs: Vec<String>,
        out: &mut Vec<ResolvedManifest>,
    ) -> Self {
        let mut children = Vec::new();
        for child in manifest
            .included_manifests
            .iter()
            .flatten()
            .filter(|n| !n.is_empty())
        {
            children.push((child.clone(), catalogs.clone()));
        }
        conditional_children(
            manifest.conditional_items.as_deref(),
            &catalogs,
            &mut children,
        );
        children.reverse();
        out.push(ResolvedManifest {
            name: name.clone(),
            manifest,
            catalogs,
        });
        Self { name, children }
    }
}

fn conditional_children(
    items: Option<&[ConditionalItem]>,
    catalogs: &[String],
    out: &mut Vec<(String, Vec<String>)>,
) {
    for item in items.unwrap_or_default() {
        let own = item
            .catalogs
            .as_deref()
            .filter(|c| !c.is_empty())
            .unwrap_or(catalogs);
        for child in item
            .included_manifests
            .iter()
            .flatten()
            .filter(|n| !n.is_empty())
        {
            out.push((child.clone(), own.to_vec()));
        }
        conditional_children(item.conditional_items.as_deref(), own, out);
    }
}
