//! Loading a theme (`themes/<name>/`): templates, stylesheet, script modules, UI strings and
//! static assets, each prepared once per build and shared by every tenant that uses the theme.

mod group;
mod icons;
mod strings;
mod stylesheet;
mod templates;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use group::SelectPage;
use icons::IconSprite;
pub use strings::{StringMap, StringTable, interpolate};
pub use templates::Templates;

use crate::build::files::{ContentHash, OutputFile, combined_hash, hashed_name, short_hash};
use crate::config::TenantConfig;
use crate::diagnostics::{Diagnostic, Diagnostics, SourceLocation};
use crate::routes;

pub const ENTRY_MODULE: &str = "app.js";

/// The SPA's modules, shipped under one content-hashed folder so their relative imports keep
/// working: any change to any module gives the folder a new name. `module_urls` are the ones
/// every page preloads; modules under `js/views/` are imported only by the page that shows them.
#[derive(Debug)]
pub struct ScriptModules {
    pub files: Vec<OutputFile>,
    pub entry_url: String,
    pub module_urls: Vec<String>,
}

#[derive(Debug)]
pub struct Theme {
    pub name: String,
    pub dir: PathBuf,
    pub templates: Arc<Templates>,
    /// Hash over the templates, the tenants' overrides and the static asset names.
    pub templates_key: ContentHash,
    /// Compiled `styles/main.css`, without the brand properties.
    pub stylesheet: Arc<str>,
    /// Hash over `styles/`.
    pub stylesheet_key: ContentHash,
    pub scripts: ScriptModules,
    /// `static/` files, at their hashed paths under `assets/`.
    pub static_assets: Vec<OutputFile>,
    pub strings: BTreeMap<String, Arc<StringMap>>,
    /// Hash over every file of the theme, for skipping unchanged bundles.
    pub fingerprint: ContentHash,
}

/// The result of loading one theme: it may be usable for some tenants and not others (a broken
/// override template fails only its own organization).
#[derive(Debug, Default, Clone)]
pub struct LoadedTheme {
    pub theme: Option<Arc<Theme>>,
    pub failed_orgs: BTreeSet<String>,
    pub diagnostics: Diagnostics,
}

/// Loads theme `name` from `themes_dir`, with the template overrides of `tenants`. Parts whose
/// files are unchanged since `previous` was loaded are taken from it instead of compiled again.
pub fn load_theme(
    themes_dir: &Path,
    name: &str,
    tenants: &[&TenantConfig],
    previous: Option<&LoadedTheme>,
) -> LoadedTheme {
    let dir = themes_dir.join(name);
    let mut loaded = LoadedTheme::default();
    let files = match read_tree(&dir) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            loaded.diagnostics.push(
                Diagnostic::error(format!("theme `{name}` not found"))
                    .at(SourceLocation::file(&dir))
                    .expected(format!("a folder {}", dir.display())),
            );
            return loaded;
        }
        Err(err) => {
            loaded.diagnostics.push(
                Diagnostic::error(format!("cannot read theme `{name}`: {err}"))
                    .at(SourceLocation::file(&dir)),
            );
            return loaded;
        }
    };
    let fingerprint = combined_hash(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    let in_folder = |folder: &str| {
        let prefix = format!("{folder}/");
        files
            .iter()
            .filter_map(move |(p, b)| p.strip_prefix(&prefix).map(|rest| (rest, b)))
    };

    let static_assets: Vec<OutputFile> = in_folder("static")
        .map(|(rel, bytes)| {
            let file = OutputFile::new(String::new(), bytes.clone());
            let path = format!("assets/{}", hashed_name(rel, &file.hash));
            file.at(path)
        })
        .collect();
    let asset_urls: BTreeMap<String, String> = in_folder("static")
        .zip(&static_assets)
        .map(|((rel, _), file)| (rel.to_owned(), format!("/{}", file.path)))
        .collect();

    // Tenant overrides compile into the theme's environment; problems of one organization's
    // overrides fail that organization, not the theme.
    let overrides: Vec<(&TenantConfig, String, PathBuf, Option<String>)> = tenants
        .iter()
        .flat_map(|tenant| {
            templates::template_files(&tenant.own_dir.join("templates"))
                .into_iter()
                .map(move |(rel, file)| {
                    let source = std::fs::read_to_string(&file).ok();
                    (*tenant, rel, file, source)
                })
        })
        .collect();
    let override_names: Vec<String> = overrides
        .iter()
        .map(|(t, rel, _, _)| format!("@{}/{rel}", t.id))
        .collect();
    let templates_key = combined_hash(
        in_folder("templates")
            .chain(in_folder("static"))
            .map(|(p, b)| (p, b.as_slice()))
            .chain(
                overrides
                    .iter()
                    .zip(&override_names)
                    .map(|((_, _, _, source), name)| {
                        (name.as_str(), source.as_deref().unwrap_or("\0").as_bytes())
                    }),
            ),
    );
    let stylesheet_key = part_key(&files, "styles");
    let reusable = previous
        .filter(|p| p.failed_orgs.is_empty())
        .and_then(|p| p.theme.as_deref());

    let mut override_problems = Diagnostics::default();
    let templates = match reusable.filter(|p| p.templates_key == templates_key) {
        Some(previous) => previous.templates.clone(),
        None => {
            let icons = in_folder("static")
                .find(|(rel, _)| *rel == icons::SPRITE)
                .and_then(|(_, bytes)| {
                    let url = asset_urls.get(icons::SPRITE).cloned().unwrap_or_default();
                    let file = dir.join("static").join(icons::SPRITE);
                    std::str::from_utf8(bytes)
                        .map_err(|err| err.to_string())
                        .and_then(|svg| IconSprite::parse(svg, url))
                        .map_err(|err| {
                            loaded.diagnostics.push(
                                Diagnostic::error(format!("icon sprite is not valid SVG: {err}"))
                                    .at(SourceLocation::file(&file))
                                    .expected("an SVG document of <symbol id=\"…\"> elements"),
                            )
                        })
                        .ok()
                });
            let mut templates = Templates::new(Arc::new(asset_urls), icons);
            for (rel, bytes) in in_folder("templates") {
                if !is_template(rel) {
                    continue;
                }
                let file = dir.join("templates").join(rel);
                match String::from_utf8(bytes.clone()) {
                    Ok(source) => {
                        if let Err(d) = templates.add(rel.to_owned(), file, source) {
                            loaded.diagnostics.push(d);
                        }
                    }
                    Err(_) => loaded.diagnostics.push(not_utf8(&file)),
                }
            }
            for required in required_templates() {
                if !templates.contains(&required) {
                    loaded.diagnostics.push(
                        Diagnostic::error(format!("theme `{name}` has no template `{required}`"))
                            .at(SourceLocation::file(&dir.join("templates")))
                            .expected(format!("a file templates/{required}")),
                    );
                }
            }
            for (tenant, rel, file, source) in overrides {
                let result = source
                    .ok_or_else(|| not_utf8(&file))
                    .and_then(|source| templates.add_override(&tenant.id, rel, file, source));
                if let Err(d) = result {
                    override_problems.push(d.tenant(&tenant.id));
                    loaded.failed_orgs.insert(tenant.id.clone());
                }
            }
            Arc::new(templates)
        }
    };

    let stylesheet = match reusable.filter(|p| p.stylesheet_key == stylesheet_key) {
        Some(previous) => previous.stylesheet.clone(),
        None => stylesheet::compile_stylesheet(&dir.join("styles").join("main.css"))
            .map_err(|d| loaded.diagnostics.push(d))
            .unwrap_or_default()
            .into(),
    };

    let modules: Vec<(&str, &Vec<u8>)> = in_folder("js").collect();
    let folder = format!(
        "assets/js.{}",
        short_hash(&combined_hash(
            modules.iter().map(|(p, b)| (*p, b.as_slice()))
        ))
    );
    if !modules.iter().any(|(p, _)| *p == ENTRY_MODULE) {
        loaded.diagnostics.push(
            Diagnostic::error(format!(
                "theme `{name}` has no entry module js/{ENTRY_MODULE}"
            ))
            .at(SourceLocation::file(&dir.join("js"))),
        );
    }
    let script_files: Vec<OutputFile> = modules
        .iter()
        .map(|(rel, bytes)| OutputFile::new(format!("{folder}/{rel}"), bytes.to_vec()))
        .collect();
    let scripts = ScriptModules {
        entry_url: format!("/{folder}/{ENTRY_MODULE}"),
        module_urls: script_files
            .iter()
            .filter(|f| f.path.ends_with(".js") && !f.path.contains("/views/"))
            .map(|f| format!("/{}", f.path))
            .collect(),
        files: script_files,
    };

    let mut strings = BTreeMap::new();
    for (rel, bytes) in in_folder("strings") {
        let Some(locale) = rel.strip_suffix(".yaml") else {
            continue;
        };
        let file = dir.join("strings").join(rel);
        match std::str::from_utf8(bytes) {
            Ok(source) => match strings::parse_strings_file(&file, source) {
                Ok(map) => {
                    strings.insert(locale.to_owned(), Arc::new(map));
                }
                Err(problems) => loaded.diagnostics.extend(problems),
            },
            Err(_) => loaded.diagnostics.push(not_utf8(&file)),
        }
    }
    report_missing_translations(name, &dir, &strings, &mut loaded.diagnostics);

    let theme_ok = !loaded.diagnostics.has_errors();
    loaded.diagnostics.extend(override_problems);
    if theme_ok {
        loaded.theme = Some(Arc::new(Theme {
            name: name.to_owned(),
            dir,
            templates,
            templates_key,
            stylesheet,
            stylesheet_key,
            scripts,
            static_assets,
            strings,
            fingerprint,
        }));
    }
    loaded
}

impl Theme {
    /// Problems with a tenant that only the theme can see: locales without strings, unknown
    /// string overrides, required strings missing in the tenant's default locale.
    pub fn check_tenant(&self, tenant: &TenantConfig) -> Diagnostics {
        let mut problems = Diagnostics::default();
        let locales = &tenant.config.locales;
        for (i, locale) in locales.available.iter().enumerate() {
            if !self.strings.contains_key(locale) {
                problems.push(
                    Diagnostic::error(format!(
                        "theme `{}` has no strings for locale `{locale}`",
                        self.name
                    ))
                    .at(tenant.location_of(&format!("locales.available[{i}]")))
                    .key(format!("locales.available[{i}]"))
                    .expected(format!(
                        "one of {} (or add themes/{}/strings/{locale}.yaml)",
                        self.strings.keys().cloned().collect::<Vec<_>>().join(", "),
                        self.name
                    ))
                    .tenant(&tenant.id),
                );
            }
        }
        if let Some(default) = self.strings.get(&locales.default) {
            for key in routes::required_string_keys().filter(|k| !default.contains_key(k)) {
                problems.push(
                    Diagnostic::error(format!(
                        "theme `{}` lacks the required string `{key}`",
                        self.name
                    ))
                    .at(SourceLocation::file(
                        &self
                            .dir
                            .join("strings")
                            .join(format!("{}.yaml", locales.default)),
                    ))
                    .tenant(&tenant.id),
                );
            }
        }
        let known: BTreeSet<&String> = self.strings.values().flat_map(|m| m.keys()).collect();
        for (locale, overrides) in &tenant.config.strings {
            for key in overrides.keys().filter(|k| !known.contains(k)) {
                let path = format!("strings.{locale}.{key}");
                problems.push(
                    Diagnostic::error(format!(
                        "`{key}` is not a UI string of theme `{}`",
                        self.name
                    ))
                    .at(tenant.location_of(&path))
                    .key(path)
                    .expected(closest_key(key, &known).map_or_else(
                        || format!("a key from themes/{}/strings/", self.name),
                        |k| {
                            format!(
                                "a key from themes/{}/strings/ (did you mean `{k}`?)",
                                self.name
                            )
                        },
                    ))
                    .tenant(&tenant.id),
                );
            }
        }
        problems
    }

    /// The strings for `locale` with the tenant's overrides and default-locale fallback.
    pub fn string_table(
        &self,
        tenant: &TenantConfig,
        locale: &str,
        tenant_strings: &BTreeMap<String, Arc<StringMap>>,
    ) -> StringTable {
        let mut layers = Vec::new();
        layers.extend(tenant_strings.get(locale).cloned());
        layers.extend(self.strings.get(locale).cloned());
        let default = &tenant.config.locales.default;
        if default != locale {
            layers.extend(tenant_strings.get(default).cloned());
            layers.extend(self.strings.get(default).cloned());
        }
        StringTable::new(locale, layers)
    }
}

/// Hash over the files of one folder of the theme.
fn part_key(files: &[(String, Vec<u8>)], folder: &str) -> ContentHash {
    let prefix = format!("{folder}/");
    combined_hash(
        files
            .iter()
            .filter(|(p, _)| p.starts_with(&prefix))
            .map(|(p, b)| (p.as_str(), b.as_slice())),
    )
}

fn required_templates() -> impl Iterator<Item = String> {
    routes::ROUTES
        .iter()
        .filter(|r| r.id != routes::HELP_ROUTE)
        .map(|r| format!("routes/{}.html", r.id))
        .chain(
            [
                "layout.html",
                "404.html",
                "help/index.html",
                "help/article.html",
            ]
            .map(String::from),
        )
}

fn is_template(name: &str) -> bool {
    name.ends_with(".html") || name.ends_with(".txt") || name.ends_with(".xml")
}

fn not_utf8(file: &Path) -> Diagnostic {
    Diagnostic::error("file is not valid UTF-8 text").at(SourceLocation::file(file))
}

/// Keys some locale of the theme has and another lacks: that locale falls back to the tenant's
/// default locale, which `check` reports once per theme and locale.
fn report_missing_translations(
    name: &str,
    dir: &Path,
    strings: &BTreeMap<String, Arc<StringMap>>,
    out: &mut Diagnostics,
) {
    let all: BTreeSet<&String> = strings.values().flat_map(|m| m.keys()).collect();
    for (locale, map) in strings {
        let missing: Vec<&str> = all
            .iter()
            .filter(|k| !map.contains_key(**k))
            .map(|k| k.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let shown = missing
            .iter()
            .take(5)
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if missing.len() > 5 {
            format!(" and {} more", missing.len() - 5)
        } else {
            String::new()
        };
        out.push(
            Diagnostic::warning(format!(
                "theme `{name}`: {} UI string(s) missing in `{locale}`: {shown}{more}; the tenant's default locale is shown instead",
                missing.len()
            ))
            .at(SourceLocation::file(&dir.join("strings").join(format!("{locale}.yaml")))),
        );
    }
}

fn closest_key<'a>(key: &str, known: &BTreeSet<&'a String>) -> Option<&'a String> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Every file under `dir` as (relative '/'-path, bytes), sorted by path.
pub fn read_tree(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        return Ok(files);
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() || is_editor_temp(entry.file_name().to_str().unwrap_or(""))
        {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((rel, std::fs::read(entry.path())?));
    }
    Ok(files)
}

/// Editor swap, backup and save-in-progress files are never part of a theme or help center.
pub fn is_editor_temp(name: &str) -> bool {
    name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.contains("___jb_")
        || name == "4913"
        || name == ".DS_Store"
}
