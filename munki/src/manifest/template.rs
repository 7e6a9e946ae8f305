//! Per-host manifests generated from a template.

use plist::{Dictionary, Value};

use crate::{Error, Manifest, Result};

/// A manifest with `{{placeholder}}`s, rendered once per host so every
/// enrolled Mac gets its own manifest (named after its `ClientIdentifier`)
/// that includes shared ones.
///
/// Placeholders may appear in any string of the manifest, at any depth
/// (names in lists, `display_name`, `notes`, conditions, unknown keys);
/// dictionary keys are left alone. Rendering with a placeholder that has
/// no value is an error, so a typo never ships as literal braces.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestTemplate {
    template: Dictionary,
}

impl ManifestTemplate {
    /// Wraps a manifest as a template.
    pub fn new(template: Manifest) -> Self {
        Self {
            template: template.into(),
        }
    }

    /// The usual per-host manifest: `catalogs`, `included_manifests` and a
    /// `display_name` of `{{hostname}}`, with empty `managed_installs`
    /// for host-specific additions.
    pub fn standard(catalogs: &[&str], included_manifests: &[&str]) -> Self {
        let list = |names: &[&str]| Some(names.iter().map(|n| (*n).to_owned()).collect());
        Self::new(Manifest {
            catalogs: list(catalogs),
            included_manifests: list(included_manifests),
            managed_installs: Some(Vec::new()),
            display_name: Some("{{hostname}}".to_owned()),
            ..Manifest::default()
        })
    }

    /// Renders for one host: every `{{name}}` replaced by its value from
    /// `vars` (e.g. `("serial_number", "C02XL0XXJGH5")`).
    pub fn render(&self, vars: &[(&str, &str)]) -> Result<Manifest> {
        let mut dict = self.template.clone();
        for (_, value) in dict.iter_mut() {
            substitute(value, vars)?;
        }
        Manifest::try_from(dict)
    }
}

fn substitute(value: &mut Value, vars: &[(&str, &str)]) -> Result<()> {
    match value {
        Value::String(s) => *s = render_string(s, vars)?,
        Value::Array(items) => {
            for item in items {
                substitute(item, vars)?;
            }
        }
        Value::Dictionary(dict) => {
            for (_, item) in dict.iter_mut() {
                substitute(item, vars)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn render_string(input: &str, vars: &[(&str, &str)]) -> Result<String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| Error::Template(format!("unclosed placeholder in {input:?}")))?;
        let name = after[..end].trim();
        let value = vars
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
            .ok_or_else(|| Error::Template(format!("no value for {{{{{name}}}}}")))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_at_any_depth_is_rendered() {
        let mut manifest = Manifest {
            notes: Some("serial {{serial_number}}".into()),
            ..Manifest::default()
        };
        manifest
            .other
            .insert("owner".into(), Value::Array(vec!["{{ user }}".into()]));
        let template = ManifestTemplate::new(manifest);
        let out = template
            .render(&[("serial_number", "C02X"), ("user", "ada")])
            .unwrap();
        assert_eq!(out.notes.as_deref(), Some("serial C02X"));
        assert_eq!(out.other["owner"], Value::Array(vec!["ada".into()]));
    }

    #[test]
    fn the_standard_template_names_the_host_and_includes_the_shared_manifests() {
        let template = ManifestTemplate::standard(&["production"], &["site_default"]);
        let out = template
            .render(&[("hostname", "mac-01.example.test")])
            .unwrap();
        assert_eq!(out.display_name.as_deref(), Some("mac-01.example.test"));
        assert_eq!(out.catalogs, Some(vec!["production".to_owned()]));
        assert_eq!(
            out.included_manifests,
            Some(vec!["site_default".to_owned()])
        );
        assert_eq!(out.managed_installs, Some(vec![]));
    }

    #[test]
    fn a_placeholder_without_a_value_or_closing_braces_is_an_error() {
        let template = ManifestTemplate::standard(&[], &[]);
        assert!(matches!(template.render(&[]), Err(Error::Template(_))));
        let open = ManifestTemplate::new(Manifest {
            notes: Some("{{serial".into()),
            ..Manifest::default()
        });
        assert!(matches!(
            open.render(&[("serial", "x")]),
            Err(Error::Template(_))
        ));
    }
}
