//! Loading everything a build needs, once: tenant configs, the themes they use, the shared help
//! center and each organization's own files. Problems are collected, not fatal: whatever can be
//! built still is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::build::files::{ContentHash, combined_hash};
use crate::config::{self, PlanConfig, TenantConfig};
use crate::diagnostics::Diagnostics;
use crate::help::{self, ArticlesByLocale, HelpCenter};
use crate::theme::{self, Theme};

/// The input folders.
#[derive(Debug, Clone)]
pub struct WorkspacePaths {
    pub tenants: PathBuf,
    pub themes: PathBuf,
    pub help: PathBuf,
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
}

impl Workspace {
    pub fn load(paths: &WorkspacePaths) -> Workspace {
        let loaded = config::load_tenants(&paths.tenants);
        let mut diagnostics = loaded.diagnostics;
        let tenants = loaded.tenants;
        let mut failed_orgs = loaded.invalid_orgs;

        let theme_names: BTreeSet<&str> = tenants.iter().map(|t| t.config.theme.as_str()).collect();
        let mut themes = BTreeMap::new();
        for name in theme_names {
            let users: Vec<&TenantConfig> =
                tenants.iter().filter(|t| t.config.theme == name).collect();
            let loaded = theme::load_theme(&paths.themes, name, &users);
            diagnostics.extend(loaded.diagnostics);
            failed_orgs.extend(loaded.failed_orgs);
            match loaded.theme {
                Some(theme) => {
                    themes.insert(name.to_owned(), theme);
                }
                None => failed_orgs.extend(users.iter().map(|t| t.id.clone())),
            }
        }

        let (help, help_problems) = help::load_articles(&paths.help);
        let help_ok = !help_problems.has_errors();
        diagnostics.extend(help_problems);
        let used_locales: BTreeSet<String> = tenants
            .iter()
            .flat_map(|t| t.config.locales.available.iter().cloned())
            .collect();
        diagnostics.extend(help::missing_translations(
            &help.articles,
            None,
            &used_locales,
            None,
        ));

        let per_org: Vec<(Diagnostics, Arc<ArticlesByLocale>, ContentHash)> = tenants
            .par_iter()
            .map(|tenant| {
                let mut problems = themes
                    .get(&tenant.config.theme)
                    .map(|t| t.check_tenant(tenant))
                    .unwrap_or_default();
                let (own, own_problems) = help::load_articles(&tenant.own_dir.join("help"));
                problems.extend(own_problems.into_iter().map(|d| d.tenant(&tenant.id)));
                let locales: BTreeSet<String> =
                    tenant.config.locales.available.iter().cloned().collect();
                problems.extend(help::missing_translations(
                    &own.articles,
                    Some(&help.articles),
                    &locales,
                    Some(&tenant.id),
                ));
                (problems, Arc::new(own.articles), org_fingerprint(tenant))
            })
            .collect();
        let mut own_help = BTreeMap::new();
        let mut org_fingerprints = BTreeMap::new();
        for (tenant, (problems, own, fingerprint)) in tenants.iter().zip(per_org) {
            if problems.has_errors() || !help_ok {
                failed_orgs.insert(tenant.id.clone());
            }
            diagnostics.extend(problems);
            own_help.insert(tenant.id.clone(), own);
            org_fingerprints.insert(tenant.id.clone(), fingerprint);
        }

        Workspace {
            tenants,
            themes,
            help,
            own_help,
            org_fingerprints,
            failed_orgs,
            failed_files: loaded.failed_files,
            diagnostics,
        }
    }

    /// Every plan of every loaded tenant, in file and plan order.
    pub fn plans(&self) -> impl Iterator<Item = (&TenantConfig, &PlanConfig)> {
        self.tenants
            .iter()
            .flat_map(|t| t.config.plans.iter().map(move |p| (t, p)))
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
