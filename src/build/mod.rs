//! `portalgen build` and `portalgen check`: load and validate everything, render each selected
//! plan's bundle in memory, then write what changed. Plans build in parallel; a plan that fails
//! keeps its previous bundle and does not stop the others.

mod brand;
mod bundle;
mod context;
pub mod files;
mod hosting;
pub mod manifest;
mod output;
mod pages;
mod sha256_pairs;
mod splice;
mod ui_strings;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use self::brand::OrgAssets;
use self::files::{OutputFile, combined_hash, hex};
use self::manifest::{IndexEntry, index_json};
pub use self::output::Replace;
use self::output::{Output, SlugState};
use self::pages::PageMemo;
use self::ui_strings::SharedStrings;
use crate::config::{PlanConfig, TenantConfig};
use crate::diagnostics::{Diagnostic, Diagnostics, SourceLocation};
use crate::workspace::{Changed, Workspace, WorkspacePaths};

/// Portals live at `https://<slug>.<PORTAL_DOMAIN>/` unless a plan sets its own domain.
pub const PORTAL_DOMAIN: &str = "customerportal.energy";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Render and write bundles.
    Build,
    /// Render everything in memory, write nothing.
    Check,
}

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub mode: Mode,
    pub out: PathBuf,
    /// Plan slugs to build; empty means all.
    pub slugs: Vec<String>,
    /// Origin of the edge API that `/api/*` is proxied to.
    pub edge_url: String,
    /// Show a progress bar for this many plans or more.
    pub progress_from: Option<usize>,
    /// How existing bundles are updated.
    pub replace: Replace,
}

/// A build that runs again after its inputs change (`portalgen watch`), reusing every loaded
/// part and rendered page whose inputs did not change. A one-shot build is its first run.
pub struct BuildSession {
    paths: WorkspacePaths,
    options: BuildOptions,
    workspace: Option<Workspace>,
    /// Slug → the pages of its last render; kept only when the session runs more than once.
    pages: Option<BTreeMap<String, PageMemo>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlugStatus {
    Built,
    Unchanged,
    Checked,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlugOutcome {
    pub slug: String,
    pub org: String,
    pub status: SlugStatus,
    pub files_written: usize,
    pub files_unchanged: usize,
    /// URL of the stylesheet of a rendered bundle, for swapping it in open pages.
    #[serde(skip)]
    pub stylesheet: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BuildReport {
    pub slugs: Vec<SlugOutcome>,
    /// Tenant files that could not be used at all (their slugs are unknown).
    pub failed_tenant_files: Vec<PathBuf>,
    /// Bundles removed because no tenant config lists their slug any more.
    pub removed: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    #[serde(serialize_with = "as_millis", rename = "elapsed_ms")]
    pub elapsed: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl BuildReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn files_written(&self) -> usize {
        self.slugs.iter().map(|s| s.files_written).sum()
    }

    pub fn files_unchanged(&self) -> usize {
        self.slugs.iter().map(|s| s.files_unchanged).sum()
    }

    pub fn count(&self, status: SlugStatus) -> usize {
        self.slugs.iter().filter(|s| s.status == status).count()
    }
}

/// Builds (or checks) once.
pub fn run(paths: &WorkspacePaths, options: &BuildOptions) -> BuildReport {
    BuildSession::new(paths.clone(), options.clone(), false).build(&Changed::default())
}

impl BuildSession {
    /// `repeated`: the session will build again after changes, so rendered pages are kept.
    pub fn new(paths: WorkspacePaths, options: BuildOptions, repeated: bool) -> Self {
        BuildSession {
            paths,
            options,
            workspace: None,
            pages: repeated.then(BTreeMap::new),
        }
    }

    /// The workspace of the last build.
    pub fn workspace(&self) -> Option<&Workspace> {
        self.workspace.as_ref()
    }

    /// Builds after `changed` (ignored on the first build, which loads everything).
    pub fn build(&mut self, changed: &Changed) -> BuildReport {
        let workspace = Workspace::reload(
            &self.paths,
            &self.options.slugs,
            self.workspace.as_ref(),
            changed,
        );
        let (report, pages) =
            build_workspace(&self.paths, &self.options, &workspace, self.pages.take());
        self.pages = pages;
        self.workspace = Some(workspace);
        report
    }
}

fn build_workspace(
    paths: &WorkspacePaths,
    options: &BuildOptions,
    workspace: &Workspace,
    mut pages: Option<BTreeMap<String, PageMemo>>,
) -> (BuildReport, Option<BTreeMap<String, PageMemo>>) {
    let started = Instant::now();
    let mut diagnostics = workspace.diagnostics.clone();

    let all_slugs: BTreeSet<String> = workspace.plans().map(|(_, p)| p.slug.clone()).collect();
    for slug in options.slugs.iter().filter(|s| !all_slugs.contains(*s)) {
        diagnostics.push(
            Diagnostic::error(format!("no tenant has a plan with the slug `{slug}`"))
                .at(SourceLocation::file(&paths.tenants))
                .expected(format!(
                    "one of: {}",
                    all_slugs.iter().cloned().collect::<Vec<_>>().join(", ")
                )),
        );
    }
    let selected: Vec<(&TenantConfig, &PlanConfig)> = workspace
        .plans()
        .filter(|(_, p)| options.slugs.is_empty() || options.slugs.contains(&p.slug))
        .collect();

    let output = match options.mode {
        Mode::Build => match Output::open(&options.out, options.replace) {
            Ok(output) => Some(output),
            Err(err) => {
                diagnostics.push(
                    Diagnostic::error(format!("cannot write to the output folder: {err}"))
                        .at(SourceLocation::file(&options.out)),
                );
                return (
                    finish(started, Vec::new(), workspace, Vec::new(), diagnostics),
                    pages,
                );
            }
        },
        Mode::Check => None,
    };

    // Stage 1: which plans need rendering.
    let generator = generator_identity();
    let fingerprints: BTreeMap<&str, String> = selected
        .par_iter()
        .filter(|(t, _)| !workspace.failed_orgs.contains(&t.id))
        .map(|(t, p)| {
            (
                p.slug.as_str(),
                plan_fingerprint(workspace, t, p, options, &generator),
            )
        })
        .collect();
    let mut outcomes: BTreeMap<&str, SlugOutcome> = BTreeMap::new();
    let mut todo: Vec<(&TenantConfig, &PlanConfig)> = Vec::new();
    for (tenant, plan) in &selected {
        let outcome = |status| SlugOutcome {
            slug: plan.slug.clone(),
            org: tenant.id.clone(),
            status,
            files_written: 0,
            files_unchanged: 0,
            stylesheet: None,
        };
        let Some(fingerprint) = fingerprints.get(plan.slug.as_str()) else {
            outcomes.insert(&plan.slug, outcome(SlugStatus::Failed));
            continue;
        };
        match output
            .as_ref()
            .and_then(|o| o.is_current(&plan.slug, fingerprint))
        {
            Some(state) => {
                let mut unchanged = outcome(SlugStatus::Unchanged);
                unchanged.files_unchanged = state.entry.files + 1;
                outcomes.insert(&plan.slug, unchanged);
            }
            None => todo.push((tenant, plan)),
        }
    }

    // Stage 2: what the organizations with work share between their plans.
    let orgs: BTreeSet<&str> = todo.iter().map(|(t, _)| t.id.as_str()).collect();
    let shared_strings = SharedStrings::for_tenants(
        workspace
            .tenants
            .iter()
            .filter(|t| orgs.contains(t.id.as_str())),
        &workspace.themes,
    );
    let org_assets: BTreeMap<&str, Result<OrgAssets, Diagnostics>> = workspace
        .tenants
        .par_iter()
        .filter(|t| orgs.contains(t.id.as_str()))
        .map(|t| {
            let theme = &workspace.themes[&t.config.theme];
            let own = workspace.own_help.get(&t.id).cloned().unwrap_or_default();
            (
                t.id.as_str(),
                brand::prepare_org(t, theme, &shared_strings, &workspace.help.articles, &own),
            )
        })
        .collect();

    // Stage 3: render and write each plan.
    let progress = options
        .progress_from
        .filter(|from| todo.len() >= *from)
        .map(|_| {
            let style = ProgressStyle::with_template(
                "building {bar:40} {pos}/{len} slugs, {per_sec}, {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            ProgressBar::new(todo.len() as u64).with_style(style)
        });
    let remember = pages.is_some();
    let previous_pages = pages.as_mut().map(|memos| {
        todo.iter()
            .filter_map(|(_, p)| Some((p.slug.as_str(), memos.remove(&p.slug)?)))
            .collect::<BTreeMap<_, _>>()
    });
    // One task per plan: rayon otherwise hands each worker a long run of plans at once, and at the
    // end one worker finishes its run while the other waits.
    let results: Vec<(&str, Result<SlugOutcome, Diagnostics>, Option<PageMemo>)> = todo
        .par_iter()
        .with_max_len(1)
        .map(|(tenant, plan)| {
            let previous = previous_pages
                .as_ref()
                .and_then(|memos| memos.get(plan.slug.as_str()));
            let rendered = match &org_assets[tenant.id.as_str()] {
                Ok(org) => render_plan(
                    workspace,
                    tenant,
                    plan,
                    org,
                    options,
                    &fingerprints[plan.slug.as_str()],
                    previous,
                    remember,
                ),
                Err(problems) => Err(problems.clone()),
            };
            let (outcome, memo) = match rendered {
                Ok((files, state, memo)) => (
                    write_plan(tenant, plan, &files, &state, output.as_ref(), options),
                    Some(memo),
                ),
                Err(problems) => (Err(problems), None),
            };
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            (plan.slug.as_str(), outcome, memo)
        })
        .collect();
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let mut reported_orgs = BTreeSet::new();
    for (slug, result, memo) in results {
        if let (Some(memos), Some(memo)) = (pages.as_mut(), memo) {
            memos.insert(slug.to_owned(), memo);
        }
        match result {
            Ok(mut outcome) => {
                outcome.stylesheet = org_assets
                    .get(outcome.org.as_str())
                    .and_then(|org| org.as_ref().ok())
                    .map(|org| format!("/{}", org.stylesheet.path));
                outcomes.insert(slug, outcome);
            }
            Err(problems) => {
                let org = todo
                    .iter()
                    .find(|(_, p)| p.slug == slug)
                    .map(|(t, _)| t.id.as_str())
                    .unwrap_or_default();
                // Problems of the organization's shared assets are reported once, not per plan.
                if org_assets[org].is_ok() || reported_orgs.insert(org) {
                    diagnostics.extend(problems);
                }
                outcomes.insert(
                    slug,
                    SlugOutcome {
                        slug: slug.to_owned(),
                        org: org.to_owned(),
                        status: SlugStatus::Failed,
                        files_written: 0,
                        files_unchanged: 0,
                        stylesheet: None,
                    },
                );
            }
        }
    }

    // Stage 4: bundles of slugs that are gone, and the index of what is left.
    let mut removed = Vec::new();
    if let Some(output) = &output {
        let complete = options.slugs.is_empty() && workspace.failed_files.is_empty();
        if complete {
            match output.prune(&all_slugs) {
                Ok(gone) => removed = gone,
                Err(err) => diagnostics.push(
                    Diagnostic::error(format!("cannot remove old bundles: {err}"))
                        .at(SourceLocation::file(&options.out)),
                ),
            }
        }
        let index = output
            .index_entries()
            .and_then(|entries| output.write_index(&index_json(&entries)));
        if let Err(err) = index.and_then(|_| output.close()) {
            diagnostics.push(
                Diagnostic::error(format!("cannot write index.json: {err}"))
                    .at(SourceLocation::file(&options.out)),
            );
        }
    }
    let order: Vec<SlugOutcome> = selected
        .iter()
        .filter_map(|(_, p)| outcomes.remove(p.slug.as_str()))
        .collect();
    if let Some(memos) = pages.as_mut() {
        memos.retain(|slug, _| all_slugs.contains(slug));
    }
    (
        finish(started, order, workspace, removed, diagnostics),
        pages,
    )
}

fn finish(
    started: Instant,
    slugs: Vec<SlugOutcome>,
    workspace: &Workspace,
    removed: Vec<String>,
    diagnostics: Diagnostics,
) -> BuildReport {
    let mut diagnostics = diagnostics.merged();
    diagnostics.sort_by_key(|d| std::cmp::Reverse(d.severity));
    BuildReport {
        slugs,
        failed_tenant_files: workspace.failed_files.clone(),
        removed,
        diagnostics,
        elapsed: started.elapsed(),
    }
}

/// Renders a plan's bundle in memory from the loaded inputs.
fn render_plan(
    workspace: &Workspace,
    tenant: &TenantConfig,
    plan: &PlanConfig,
    org: &OrgAssets,
    options: &BuildOptions,
    fingerprint: &str,
    previous: Option<&PageMemo>,
    remember: bool,
) -> Result<(Vec<OutputFile>, SlugState, PageMemo), Diagnostics> {
    let theme = &workspace.themes[&tenant.config.theme];
    let (files, memo) = bundle::render_bundle(
        tenant,
        plan,
        theme,
        org,
        &options.edge_url,
        previous,
        remember,
    )?;
    let manifest = files.last().map(|f| f.hash_hex()).unwrap_or_default();
    let entry = index_entry(tenant, plan, files.len() - 1, manifest);
    Ok((
        files,
        SlugState {
            fingerprint: fingerprint.to_owned(),
            entry,
        },
        memo,
    ))
}

/// Writes a rendered bundle (in build mode) and says what happened to it.
fn write_plan(
    tenant: &TenantConfig,
    plan: &PlanConfig,
    files: &[OutputFile],
    state: &SlugState,
    output: Option<&Output>,
    options: &BuildOptions,
) -> Result<SlugOutcome, Diagnostics> {
    let mut outcome = SlugOutcome {
        slug: plan.slug.clone(),
        org: tenant.id.clone(),
        status: SlugStatus::Checked,
        files_written: 0,
        files_unchanged: 0,
        stylesheet: None,
    };
    if let Some(output) = output {
        let write_error = |err: std::io::Error| {
            Diagnostics::from_iter(
                [Diagnostic::error(format!("cannot write the bundle: {err}"))
                    .at(SourceLocation::file(&options.out.join(&plan.slug)))
                    .tenant(&plan.slug)],
            )
        };
        let stats = output
            .write_bundle(&plan.slug, files)
            .map_err(write_error)?;
        output.save_state(&plan.slug, state).map_err(write_error)?;
        outcome.status = if stats.written == 0 {
            SlugStatus::Unchanged
        } else {
            SlugStatus::Built
        };
        outcome.files_written = stats.written;
        outcome.files_unchanged = stats.unchanged;
    }
    Ok(outcome)
}

/// Hash over every input of a plan's bundle: a match with the last build means nothing changed.
fn plan_fingerprint(
    workspace: &Workspace,
    tenant: &TenantConfig,
    plan: &PlanConfig,
    options: &BuildOptions,
    generator: &str,
) -> String {
    let theme = &workspace.themes[&tenant.config.theme];
    hex(&combined_hash([
        ("portalgen", generator.as_bytes()),
        ("slug", plan.slug.as_bytes()),
        ("edge", options.edge_url.as_bytes()),
        ("theme", &theme.fingerprint),
        ("help", &workspace.help.fingerprint),
        ("org", &workspace.org_fingerprints[&tenant.id]),
    ]))
}

/// The version plus the executable's size and modification time, so that a rebuilt portalgen
/// re-renders instead of trusting bundles an older build wrote.
fn generator_identity() -> String {
    let exe = std::env::current_exe().and_then(std::fs::metadata);
    let stamp = exe.map(|m| {
        let modified = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        format!("{}:{}", m.len(), modified.map_or(0, |d| d.as_nanos()))
    });
    format!(
        "{}:{}",
        env!("CARGO_PKG_VERSION"),
        stamp.unwrap_or_default()
    )
}

fn index_entry(
    tenant: &TenantConfig,
    plan: &PlanConfig,
    files: usize,
    manifest_sha256: String,
) -> IndexEntry {
    let host = plan
        .domain
        .clone()
        .unwrap_or_else(|| format!("{}.{PORTAL_DOMAIN}", plan.slug));
    IndexEntry {
        slug: plan.slug.clone(),
        org: tenant.id.clone(),
        organization_name: tenant.config.organization.name.clone(),
        plan_name: plan.name.clone(),
        theme: tenant.config.theme.clone(),
        locales: tenant.config.locales.available.clone(),
        default_locale: tenant.config.locales.default.clone(),
        url: format!("https://{host}/"),
        files,
        manifest_sha256,
    }
}
