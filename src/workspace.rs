//! Loading everything a build needs, once: tenant configs, the themes they use, the shared help
//! center and each organization's own files. Problems are collected, not fatal: whatever can be
//! built still is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::build::files::{ContentHash, combined_hash};
use crate::config::{self, LoadedTenants, PlanConfig, TenantConfig};
use crate::diagnostics::Diagnostics;
use crate::help::{self, ArticlesByLocale, HelpCenter};
use crate::theme::{self, LoadedTheme, Theme};

/// The input folders.
#[derive(Debug, Clone)]
pub struct WorkspacePaths {
    pub tenants: PathBuf,
    pub themes: PathBuf,
    pub help: PathBuf,
}

/// Which inputs changed since a workspace was loaded: what `Workspace::reload` reads again.
#[derive(Debug, Clone, Default)]
pub struct Changed {
    /// Some `tenants/*.yaml` was edited, added or removed.
    pub tenant_files: bool,
    /// Themes with an edited file.
    pub themes: BTreeSet<String>,
    /// The shared help center.
    pub help: bool,
    /// Organizations whose own folder (`tenants/<org>/`) changed.
    pub orgs: BTreeSet<String>,
}

#[derive(Debug)]
pub struct Workspace {
    /// Every tenant whose config parsed, including those that cannot be built (see `failed_orgs`).
    pub tenants: Vec<TenantConfig>,
    pub themes: BTreeMap<String, Arc<Theme>>,
    pub help: HelpCenter,
    /// Organization id → its own help articles.
    pub own_help: BTreeMap<String, Arc<ArticlesByLocale>>,
    /// Organization id → hash over its config and files.
    pub org_fingerprints: BTreeMap<String, ContentHash>,
    /// Organizations with invalid values or whose theme, help or files have errors.
    pub failed_orgs: BTreeSet<String>,
    /// Tenant files that could not be used at all: their slugs are unknown.
    pub failed_files: Vec<PathBuf>,
    pub diagnostics: Diagnostics,
    /// What each part was loaded from, for reusing unchanged parts in `reload`.
    parts: LoadedParts,
}

#[derive(Debug, Default)]
struct LoadedParts {
    tenants: LoadedTenants,
    /// Theme name → the organizations it was loaded for, and the result.
    themes: BTreeMap<String, (Vec<String>, LoadedTheme)>,
    help_problems: Diagnostics,
    orgs: BTreeMap<String, OrgState>,
}

/// What is loaded per organization beyond its config.
#[derive(Debug, Clone)]
struct OrgState {
    source: String,
    problems: Diagnostics,
    own_help: Arc<HelpCenter>,
    fingerprint: ContentHash,
}

impl Workspace {
    /// Loads everything the plans `slugs` (all when empty) need.
    pub fn load(paths: &WorkspacePaths, slugs: &[String]) -> Workspace {
        Self::reload(paths, slugs, None, &Changed::default())
    }

    /// Loads the workspace again after `changed`, reusing from `previous` every part whose inputs
    /// did not change.
    pub fn reload(
        paths: &WorkspacePaths,
        slugs: &[String],
        previous: Option<&Workspace>,
        changed: &Changed,
    ) -> Workspace {
        let prev = previous.map(|p| &p.parts);
        let loaded = match prev {
            Some(prev) if !changed.tenant_files => prev.tenants.clone(),
            _ => config::load_tenants(&paths.tenants),
        };
        let mut diagnostics = loaded.diagnostics.clone();
        let mut failed_orgs = BTreeSet::new();
        let selected: Vec<&TenantConfig> = loaded
            .tenants
            .iter()
            .filter(|t| slugs.is_empty() || t.config.plans.iter().any(|p| slugs.contains(&p.slug)))
            .collect();
        failed_orgs.extend(
            selected
                .iter()
                .filter(|t| loaded.invalid_orgs.contains(&t.id))
                .map(|t| t.id.clone()),
        );

        // The themes and the help center do not depend on each other: loaded side by side.
        let (theme_results, (help, help_problems)) = rayon::join(
            || load_themes(paths, &selected, prev, changed),
            || match previous {
                Some(previous) if !changed.help => {
                    (previous.help.clone(), previous.parts.help_problems.clone())
                }
                _ => help::load_articles(&paths.help, previous.map(|p| &p.help)),
            },
        );
        let mut themes = BTreeMap::new();
        let mut loaded_themes = BTreeMap::new();
        let mut reloaded_themes = BTreeSet::new();
        for (name, user_ids, result, reloaded) in theme_results {
            if reloaded {
                reloaded_themes.insert(name.clone());
            }
            diagnostics.extend(result.diagnostics.iter().cloned());
            failed_orgs.extend(result.failed_orgs.iter().cloned());
            match &result.theme {
                Some(theme) => {
                    themes.insert(name.clone(), theme.clone());
                }
                None => failed_orgs.extend(user_ids.iter().cloned()),
            }
            loaded_themes.insert(name, (user_ids, result));
        }

        let help_ok = !help_problems.has_errors();
        diagnostics.extend(help_problems.iter().cloned());
        let used_locales: BTreeSet<String> = selected
            .iter()
            .flat_map(|t| t.config.locales.available.iter().cloned())
            .collect();
        diagnostics.extend(help::missing_translations(
            &help.articles,
            None,
            &used_locales,
            None,
        ));

        let org_states: Vec<OrgState> = selected
            .par_iter()
            .map(|tenant| {
                let before = prev.and_then(|p| p.orgs.get(&tenant.id));
                match before {
                    Some(state)
                        if state.source == tenant.source
                            && !changed.orgs.contains(&tenant.id)
                            && !changed.help
                            && !reloaded_themes.contains(&tenant.config.theme) =>
                    {
                        state.clone()
                    }
                    _ => org_state(tenant, &themes, &help, before),
                }
            })
            .collect();
        let mut own_help = BTreeMap::new();
        let mut org_fingerprints = BTreeMap::new();
        let mut orgs = BTreeMap::new();
        for (tenant, state) in selected.iter().zip(org_states) {
            if state.problems.has_errors() || !help_ok {
                failed_orgs.insert(tenant.id.clone());
            }
            diagnostics.extend(state.problems.iter().cloned());
            own_help.insert(tenant.id.clone(), Arc::new(state.own_help.articles.clone()));
            org_fingerprints.insert(tenant.id.clone(), state.fingerprint);
            orgs.insert(tenant.id.clone(), state);
        }

        Workspace {
            tenants: loaded.tenants.clone(),
            themes,
            help,
            own_help,
            org_fingerprints,
            failed_orgs,
            failed_files: loaded.failed_files.clone(),
            diagnostics,
            parts: LoadedParts {
                tenants: loaded,
                themes: loaded_themes,
                help_problems,
                orgs,
            },
        }
    }

    /// Every plan of every loaded tenant, in file and plan order.
    pub fn plans(&self) -> impl Iterator<Item = (&TenantConfig, &PlanConfig)> {
        self.tenants
            .iter()
            .flat_map(|t| t.config.plans.iter().map(move |p| (t, p)))
    }
}

/// Each theme the `selected` tenants use: its name, the organizations it is loaded for, the
/// result, and whether it was loaded again (rather than taken from `prev`).
fn load_themes(
    paths: &WorkspacePaths,
    selected: &[&TenantConfig],
    prev: Option<&LoadedParts>,
    changed: &Changed,
) -> Vec<(String, Vec<String>, LoadedTheme, bool)> {
    let theme_names: BTreeSet<&str> = selected.iter().map(|t| t.config.theme.as_str()).collect();
    theme_names
        .into_iter()
        .map(|name| {
            let users: Vec<&TenantConfig> = selected
                .iter()
                .copied()
                .filter(|t| t.config.theme == name)
                .collect();
            let user_ids: Vec<String> = users.iter().map(|t| t.id.clone()).collect();
            let before = prev.and_then(|p| p.themes.get(name));
            match before {
                Some((ids, theme))
                    if *ids == user_ids
                        && !changed.themes.contains(name)
                        && !user_ids.iter().any(|id| changed.orgs.contains(id)) =>
                {
                    (name.to_owned(), user_ids, theme.clone(), false)
                }
                _ => {
                    let theme =
                        theme::load_theme(&paths.themes, name, &users, before.map(|(_, t)| t));
                    (name.to_owned(), user_ids, theme, true)
                }
            }
        })
        .collect()
}

/// Checks an organization against its theme and the help center, loads its own help articles and
/// fingerprints its files.
fn org_state(
    tenant: &TenantConfig,
    themes: &BTreeMap<String, Arc<Theme>>,
    help: &HelpCenter,
    before: Option<&OrgState>,
) -> OrgState {
    let mut problems = themes
        .get(&tenant.config.theme)
        .map(|t| t.check_tenant(tenant))
        .unwrap_or_default();
    let (own, own_problems) = help::load_articles(
        &tenant.own_dir.join("help"),
        before.map(|b| b.own_help.as_ref()),
    );
    problems.extend(own_problems.into_iter().map(|d| d.tenant(&tenant.id)));
    let locales: BTreeSet<String> = tenant.config.locales.available.iter().cloned().collect();
    problems.extend(help::missing_translations(
        &own.articles,
        Some(&help.articles),
        &locales,
        Some(&tenant.id),
    ));
    OrgState {
        source: tenant.source.clone(),
        problems,
        own_help: Arc::new(own),
        fingerprint: org_fingerprint(tenant),
    }
}

/// Hash over everything of an organization's that ends up in its bundles.
fn org_fingerprint(tenant: &TenantConfig) -> ContentHash {
    let own_files = theme::read_tree(&tenant.own_dir).unwrap_or_default();
    let brand = &tenant.config.brand;
    let referenced: Vec<(String, Vec<u8>)> = [&brand.logo, &brand.favicon]
        .into_iter()
        .chain(
            brand
                .fonts
                .entries()
                .flat_map(|(_, f)| f.files.iter().map(|file| &file.path)),
        )
        .map(|rel| {
            (
                rel.to_string_lossy().into_owned(),
                std::fs::read(tenant.asset_path(rel)).unwrap_or_default(),
            )
        })
        .collect();
    combined_hash(
        [("config", tenant.source.as_bytes())]
            .into_iter()
            .chain(own_files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
            .chain(referenced.iter().map(|(p, b)| (p.as_str(), b.as_slice()))),
    )
}
