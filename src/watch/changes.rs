//! From changed file paths to what a rebuild must read again: the map from inputs to the parts
//! of the workspace they feed. Pure, so it is tested without a file system.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::theme::is_editor_temp;
use crate::workspace::Changed;

/// The input folders, as the watcher reports paths in them.
#[derive(Debug, Clone)]
pub struct InputRoots {
    pub tenants: PathBuf,
    pub themes: PathBuf,
    pub help: PathBuf,
    /// The output folder: never an input, even when it lies inside one.
    pub out: PathBuf,
}

/// One batch of edits.
#[derive(Debug, Default)]
pub struct Edit {
    pub changed: Changed,
    /// The edited inputs, relative to their input folder's parent where possible.
    pub inputs: Vec<PathBuf>,
    /// Every edited input is a theme stylesheet: open pages can swap the stylesheet in place.
    pub stylesheets_only: bool,
}

/// What `paths` change, or `None` when none of them is an input.
pub fn classify<'a>(
    roots: &InputRoots,
    org_ids: &BTreeSet<String>,
    paths: impl IntoIterator<Item = &'a Path>,
) -> Option<Edit> {
    let mut edit = Edit {
        stylesheets_only: true,
        ..Edit::default()
    };
    for path in paths {
        if path.starts_with(&roots.out) || is_editor_temp(file_name(path)) {
            continue;
        }
        let relevant = if let Ok(rel) = path.strip_prefix(&roots.tenants) {
            let relevant = tenant_input(rel, org_ids, &mut edit.changed);
            edit.stylesheets_only &= !relevant;
            relevant
        } else if let Ok(rel) = path.strip_prefix(&roots.themes) {
            let mut parts = rel.components();
            match parts.next().and_then(|c| c.as_os_str().to_str()) {
                Some(theme) if parts.next().is_some() => {
                    edit.changed.themes.insert(theme.to_owned());
                    edit.stylesheets_only &= rel.starts_with(Path::new(theme).join("styles"));
                    true
                }
                _ => false,
            }
        } else if path.starts_with(&roots.help) {
            edit.changed.help = true;
            edit.stylesheets_only = false;
            true
        } else {
            false
        };
        if relevant && !edit.inputs.iter().any(|p| p == path) {
            edit.inputs.push(path.to_path_buf());
        }
    }
    (!edit.inputs.is_empty()).then_some(edit)
}

/// A path under `tenants/`: a config file, or a file of one organization's own folder. Files in
/// a folder no organization owns may be shared brand files, so every organization is reloaded.
fn tenant_input(rel: &Path, org_ids: &BTreeSet<String>, changed: &mut Changed) -> bool {
    let mut parts = rel.components();
    let first = parts.next().and_then(|c| c.as_os_str().to_str());
    let nested = parts.next().is_some();
    match first {
        Some(name) if !nested => {
            let is_config = matches!(
                Path::new(name).extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            );
            changed.tenant_files |= is_config;
            is_config
        }
        Some(dir) if org_ids.contains(dir) => {
            changed.orgs.insert(dir.to_owned());
            true
        }
        Some(_) => {
            changed.tenant_files = true;
            changed.orgs.extend(org_ids.iter().cloned());
            true
        }
        None => false,
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> InputRoots {
        InputRoots {
            tenants: "/w/tenants".into(),
            themes: "/w/themes".into(),
            help: "/w/help".into(),
            out: "/w/themes/dist".into(),
        }
    }

    fn edit(paths: &[&str]) -> Option<Edit> {
        let orgs: BTreeSet<String> = ["lumio".to_owned()].into();
        classify(&roots(), &orgs, paths.iter().map(Path::new))
    }

    #[test]
    fn stylesheet_edits_are_told_apart_from_other_theme_edits() {
        let css = edit(&["/w/themes/default/styles/main.css"]).unwrap();
        assert!(css.stylesheets_only);
        assert_eq!(css.changed.themes, BTreeSet::from(["default".to_owned()]));
        let both = edit(&[
            "/w/themes/default/styles/main.css",
            "/w/themes/default/templates/layout.html",
        ])
        .unwrap();
        assert!(!both.stylesheets_only);
    }

    #[test]
    fn tenant_files_and_own_folders_map_to_their_parts() {
        let config = edit(&["/w/tenants/lumio.yaml"]).unwrap();
        assert!(config.changed.tenant_files && config.changed.orgs.is_empty());
        assert!(!config.stylesheets_only);
        let own = edit(&["/w/tenants/lumio/logo.svg"]).unwrap();
        assert!(!own.changed.tenant_files);
        assert_eq!(own.changed.orgs, BTreeSet::from(["lumio".to_owned()]));
        let shared = edit(&["/w/tenants/shared/font.woff2"]).unwrap();
        assert!(shared.changed.tenant_files && shared.changed.orgs.contains("lumio"));
        assert!(edit(&["/w/tenants/README.md"]).is_none());
    }

    #[test]
    fn editor_files_and_the_output_folder_are_not_inputs() {
        assert!(
            edit(&[
                "/w/themes/default/templates/.#layout.html",
                "/w/themes/default/templates/layout.html~",
                "/w/themes/default/templates/4913",
                "/w/themes/dist/lumio/index.html",
                "/elsewhere/file",
            ])
            .is_none()
        );
        let help = edit(&["/w/help/en/billing.md", "/w/help/en/.billing.md.swp"]).unwrap();
        assert!(help.changed.help && !help.stylesheets_only);
        assert_eq!(help.inputs.len(), 1);
    }
}
