//! Loading tenant configs: every `tenants/<org>.yaml`, parsed into typed structs and validated,
//! with slugs checked for uniqueness across all files.

mod tenant;
mod validate;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use tenant::*;
pub use validate::{check_dns_label, is_locale_code};

use crate::diagnostics::{Diagnostic, Diagnostics, SourceLocation};

/// One organization: its parsed file plus where it came from.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// The organization id: the file name without `.yaml`.
    pub id: String,
    pub file: PathBuf,
    pub source: String,
    pub config: TenantFile,
    /// Where the YAML's relative paths start (the tenants folder).
    pub base_dir: PathBuf,
    /// `tenants/<org>/`: the organization's own files and overrides.
    pub own_dir: PathBuf,
}

impl TenantConfig {
    pub fn asset_path(&self, relative: &Path) -> PathBuf {
        self.base_dir.join(relative)
    }

    pub fn location_of(&self, key_path: &str) -> SourceLocation {
        yaml::location_of(&self.file, &self.source, key_path)
    }
}

/// What loading the tenants folder produced, and the problems found.
#[derive(Debug, Default, Clone)]
pub struct LoadedTenants {
    /// Every tenant file that parsed, valid or not.
    pub tenants: Vec<TenantConfig>,
    /// Organizations whose file parsed but has invalid values: their slugs are known, they
    /// cannot be built.
    pub invalid_orgs: BTreeSet<String>,
    /// Tenant files that could not be parsed at all: their slugs are unknown.
    pub failed_files: Vec<PathBuf>,
    pub diagnostics: Diagnostics,
}

pub fn load_tenants(dir: &Path) -> LoadedTenants {
    let mut loaded = LoadedTenants::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            loaded.diagnostics.push(
                Diagnostic::error(format!("cannot read the tenants folder: {err}"))
                    .at(SourceLocation::file(dir)),
            );
            return loaded;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();

    let parsed: Vec<Result<(TenantConfig, Diagnostics), Diagnostics>> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|file| load_tenant(dir, file))
            .collect()
    };
    for (file, result) in files.into_iter().zip(parsed) {
        match result {
            Ok((tenant, problems)) => {
                if problems.has_errors() {
                    loaded.invalid_orgs.insert(tenant.id.clone());
                }
                loaded.diagnostics.extend(problems);
                loaded.tenants.push(tenant);
            }
            Err(diagnostics) => {
                loaded.failed_files.push(file);
                loaded.diagnostics.extend(diagnostics);
            }
        }
    }
    reject_duplicate_slugs(&mut loaded);
    loaded
}

fn load_tenant(dir: &Path, file: &Path) -> Result<(TenantConfig, Diagnostics), Diagnostics> {
    let id = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let fail = |d: Diagnostic| Diagnostics::from_iter([d.tenant(id.clone())]);
    let source = std::fs::read_to_string(file).map_err(|err| {
        fail(
            Diagnostic::error(format!("cannot read tenant file: {err}"))
                .at(SourceLocation::file(file)),
        )
    })?;
    if let Err(why) = check_dns_label(&id) {
        return Err(fail(
            Diagnostic::error(format!(
                "`{id}` is not a valid organization id (the file name): {why}"
            ))
            .at(SourceLocation::file(file))
            .expected("a file name like tenants/lumio.yaml"),
        ));
    }
    let config: TenantFile = yaml::parse(file, &source).map_err(fail)?;
    let problems = validate::validate_tenant(&id, &config, file, &source, dir);
    let tenant = TenantConfig {
        own_dir: dir.join(&id),
        id,
        file: file.to_path_buf(),
        source,
        config,
        base_dir: dir.to_path_buf(),
    };
    Ok((tenant, problems))
}

/// A slug names one portal; when two plans claim it, neither organization is built, since
/// either could be the mistake.
fn reject_duplicate_slugs(loaded: &mut LoadedTenants) {
    let mut owners: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (t, tenant) in loaded.tenants.iter().enumerate() {
        for (p, plan) in tenant.config.plans.iter().enumerate() {
            owners.entry(plan.slug.as_str()).or_default().push((t, p));
        }
    }
    let mut invalid = BTreeSet::new();
    let mut diagnostics = Vec::new();
    for (slug, places) in owners.iter().filter(|(_, places)| places.len() > 1) {
        let all: Vec<String> = places
            .iter()
            .map(|&(t, p)| {
                let loc = loaded.tenants[t].location_of(&format!("plans[{p}].slug"));
                format!("{}:{}", loc.file.display(), loc.line)
            })
            .collect();
        for &(t, p) in places {
            let tenant = &loaded.tenants[t];
            diagnostics.push(
                Diagnostic::error(format!("duplicate plan slug `{slug}`"))
                    .at(tenant.location_of(&format!("plans[{p}].slug")))
                    .key(format!("plans[{p}].slug"))
                    .expected(format!(
                        "slugs unique across all tenant files (used at {})",
                        all.join(", ")
                    ))
                    .tenant(&tenant.id),
            );
            invalid.insert(tenant.id.clone());
        }
    }
    loaded.diagnostics.extend(diagnostics);
    loaded.invalid_orgs.extend(invalid);
}
