//! Assembling one plan's complete bundle in memory: pages, help, assets, host files, manifest.

use std::collections::BTreeMap;

use super::brand::OrgAssets;
use super::files::OutputFile;
use super::hosting;
use super::manifest::Manifest;
use super::pages::{CONFIG_PATH, PageMemo, PlanPages};
use crate::config::{PlanConfig, TenantConfig};
use crate::diagnostics::Diagnostics;
use crate::theme::Theme;

pub fn render_bundle(
    tenant: &TenantConfig,
    plan: &PlanConfig,
    theme: &Theme,
    org: &OrgAssets,
    edge_url: &str,
    previous: Option<&PageMemo>,
    remember: bool,
) -> Result<(Vec<OutputFile>, PageMemo), Diagnostics> {
    let pages = PlanPages {
        tenant,
        plan,
        theme,
        org,
        previous,
        remember,
    };
    let (mut files, memo) = pages.render()?;
    files.extend(org.files().cloned());
    files.extend(theme.scripts.files.iter().cloned());
    files.extend(theme.static_assets.iter().cloned());

    let strings: BTreeMap<&str, String> = org
        .strings
        .iter()
        .map(|(locale, (_, file))| (locale.as_str(), format!("/{}", file.path)))
        .collect();
    let mut config = serde_json::to_vec_pretty(&hosting::runtime_config(tenant, plan, strings))
        .unwrap_or_default();
    config.push(b'\n');
    files.push(OutputFile::new(CONFIG_PATH, config));
    files.push(OutputFile::new(
        "_headers",
        hosting::headers_file(tenant).into_bytes(),
    ));
    files.push(OutputFile::new(
        "_redirects",
        hosting::redirects_file(edge_url).into_bytes(),
    ));

    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    files.push(Manifest::of(&plan.slug, &files).to_file());
    Ok((files, memo))
}
