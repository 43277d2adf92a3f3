//! The theme's minijinja templates, compiled once per build into one environment together with
//! every tenant's overriding templates. Rendering for a tenant resolves each template name
//! (including `extends` and `include` inside templates) to the tenant's override when it has one.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, UndefinedBehavior};

use super::group::{Cut, GroupRender, SelectPage, group_source};
use super::icons::{self, IconSprite};
use super::strings::{StringTable, interpolate};
use crate::diagnostics::{Diagnostic, SourceLocation};

/// Template names of tenant overrides are `@<org>/<name>`.
const OVERRIDE_PREFIX: char = '@';

/// Each theme template `<name>` has a twin `\u{1}group:<name>` that renders a group of its pages
/// (see `group`); no file can be named like that.
const GROUP_PREFIX: &str = "\u{1}group:";

/// Room for a typical page, so rendering rarely grows its buffer.
const PAGE_CAPACITY: usize = 16 * 1024;

/// Enough for any sane page; stops a runaway loop in a theme from hanging the build.
const RENDER_FUEL: u64 = 50_000_000;

thread_local! {
    /// The organization whose overrides apply to the render running on this thread.
    static CURRENT_ORG: RefCell<Option<Arc<BTreeSet<String>>>> = const { RefCell::new(None) };
    static CURRENT_ORG_ID: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A template source file, kept to show snippets in error messages.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub file: PathBuf,
    pub source: Arc<str>,
}

pub struct Templates {
    env: Environment<'static>,
    sources: BTreeMap<String, TemplateSource>,
    /// Organization id → names of the templates it overrides.
    overrides: BTreeMap<String, Arc<BTreeSet<String>>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("templates", &self.sources.keys())
            .finish()
    }
}

impl Templates {
    /// An environment with HTML auto-escaping, strict undefined values and the theme functions;
    /// `asset_urls` maps `static/` paths to their hashed URLs for `asset()`, `icons` is the
    /// theme's sprite for `icon()`.
    pub fn new(asset_urls: Arc<BTreeMap<String, String>>, icons: Option<IconSprite>) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(RENDER_FUEL));
        env.set_formatter(format_value);
        env.set_path_join_callback(|name, _parent| resolve_for_current_org(name));
        env.add_function("t", translate);
        env.add_function("asset", move |path: &str| -> Result<String, Error> {
            asset_urls.get(path).cloned().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("asset(\"{path}\"): no file static/{path} in the theme"),
                )
            })
        });
        env.add_function(
            "icon",
            move |name: &str, cls: Option<&str>| -> Result<Value, Error> {
                match &icons {
                    Some(sprite) => sprite.render(name, cls),
                    None => Err(icons::no_sprite(name)),
                }
            },
        );
        Templates {
            env,
            sources: BTreeMap::new(),
            overrides: BTreeMap::new(),
        }
    }

    /// Compiles a tenant's template that overrides the theme's template `name`.
    pub fn add_override(
        &mut self,
        org: &str,
        name: String,
        file: PathBuf,
        source: String,
    ) -> Result<(), Diagnostic> {
        if !self.sources.contains_key(&name) {
            return Err(
                Diagnostic::error(format!("`{name}` overrides no template of the theme"))
                    .at(SourceLocation::file(&file))
                    .expected("the name of a file under the theme's templates/ folder")
                    .tenant(org),
            );
        }
        self.add(override_name(org, &name), file, source)
            .map_err(|d| d.tenant(org))?;
        let set = self.overrides.entry(org.to_owned()).or_default();
        Arc::make_mut(set).insert(name);
        Ok(())
    }

    /// Compiles a template under `name` (and, for a theme template, its group twin).
    pub fn add(&mut self, name: String, file: PathBuf, source: String) -> Result<(), Diagnostic> {
        if !name.starts_with(OVERRIDE_PREFIX) {
            self.env
                .add_template_owned(format!("{GROUP_PREFIX}{name}"), group_source(&name))
                .map_err(|err| self.diagnostic(&err))?;
        }
        let source: Arc<str> = source.into();
        self.sources.insert(
            name.clone(),
            TemplateSource {
                file,
                source: source.clone(),
            },
        );
        self.env
            .add_template_owned(name, source.to_string())
            .map_err(|err| self.diagnostic(&err))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// Renders `name` for organization `org` with `ctx`.
    pub fn render(&self, org: &str, name: &str, ctx: Value) -> Result<Vec<u8>, Diagnostic> {
        let overrides = self.overrides.get(org).cloned();
        let _scope = OrgScope::enter(org, overrides);
        let resolved = resolve_for_current_org(name);
        let mut page = Vec::with_capacity(PAGE_CAPACITY);
        self.env
            .get_template(&resolved)
            .and_then(|template| template.render_captured_to(ctx, &mut page))
            .map(|_| page)
            .map_err(|err| self.diagnostic(&err))
    }

    /// Renders `pages` pages of theme template `name` in one pass (see `group`): `ctx` holds the
    /// variables, `select` switches them between the pages. `None` when the template cannot be
    /// rendered that way (or fails to render).
    pub fn render_group(
        &self,
        org: &str,
        name: &str,
        ctx: Value,
        pages: usize,
        select: SelectPage,
    ) -> Option<Vec<Vec<u8>>> {
        let overrides = self.overrides.get(org).cloned();
        let _scope = OrgScope::enter(org, overrides);
        let render = GroupRender::new(pages, select);
        let mut sink = render.sink(PAGE_CAPACITY);
        self.env
            .get_template(&format!("{GROUP_PREFIX}{name}"))
            .and_then(|template| template.render_captured_to(render.context(ctx), &mut sink))
            .ok()?;
        render.finish(sink)
    }

    /// Turns a minijinja error into a diagnostic pointing at the template file and line.
    fn diagnostic(&self, err: &Error) -> Diagnostic {
        // An error inside an included or parent template arrives wrapped: report the innermost.
        let mut err = err;
        while let Some(inner) =
            std::error::Error::source(err).and_then(|e| e.downcast_ref::<Error>())
        {
            err = inner;
        }
        let detail = err
            .detail()
            .map(str::to_owned)
            .unwrap_or_else(|| err.kind().to_string());
        let message = match err.kind() {
            ErrorKind::UndefinedError => format!("undefined value in template: {detail}"),
            ErrorKind::SyntaxError => format!("template syntax error: {detail}"),
            _ => format!("template error: {detail}"),
        };
        let mut diagnostic = Diagnostic::error(message);
        if let Some(source) = err.name().and_then(|name| self.sources.get(name)) {
            let location = match (err.range(), err.line()) {
                (Some(range), _) => {
                    SourceLocation::at_offset(&source.file, &source.source, range.start)
                }
                (None, Some(line)) => {
                    SourceLocation::in_source(&source.file, &source.source, line, 1)
                }
                _ => SourceLocation::file(&source.file),
            };
            diagnostic = diagnostic.at(location);
        }
        diagnostic
    }
}

fn override_name(org: &str, name: &str) -> String {
    format!("{OVERRIDE_PREFIX}{org}/{name}")
}

/// The template that `name` means for the organization rendering on this thread; borrowed
/// when that is `name` itself, as for every include of a tenant without overrides.
fn resolve_for_current_org(name: &str) -> Cow<'_, str> {
    if name.starts_with(OVERRIDE_PREFIX) {
        return Cow::Borrowed(name);
    }
    CURRENT_ORG.with_borrow(|overrides| match overrides {
        Some(set) if set.contains(name) => {
            Cow::Owned(CURRENT_ORG_ID.with_borrow(|org| override_name(org, name)))
        }
        _ => Cow::Borrowed(name),
    })
}

/// Sets the organization for renders on this thread until dropped.
struct OrgScope;

impl OrgScope {
    fn enter(org: &str, overrides: Option<Arc<BTreeSet<String>>>) -> Self {
        CURRENT_ORG.with_borrow_mut(|current| *current = overrides);
        CURRENT_ORG_ID.with_borrow_mut(|current| org.clone_into(current));
        OrgScope
    }
}

impl Drop for OrgScope {
    fn drop(&mut self) {
        CURRENT_ORG.with_borrow_mut(|current| *current = None);
    }
}

/// HTML-escapes text values without touching `/` (minijinja escapes it too, which makes every
/// URL in a page longer and harder to read); everything else is formatted as minijinja does,
/// but for the cut marks of a group render.
fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if let Some(cut) = value.downcast_object_ref::<Cut>() {
        return cut.print(out);
    }
    match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            crate::help::placeholders::push_escaped(out, text).map_err(Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `t(key, **args)`: the UI string `key` in the page's locale, `{name}` filled from `args`.
fn translate(state: &State, key: &str, args: Kwargs) -> Result<Value, Error> {
    let strings = state.lookup("strings");
    let table = strings
        .as_ref()
        .and_then(|v| v.downcast_object_ref::<StringTable>())
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "t() used outside a page"))?;
    let text = table.value(key).ok_or_else(|| {
        Error::new(
            ErrorKind::UndefinedError,
            format!(
                "t(\"{key}\"): no UI string `{key}` for locale `{}`",
                table.locale
            ),
        )
    })?;
    // Without arguments there is nothing to fill in: the text as it is stored.
    if args.args().next().is_none() {
        return Ok(text.clone());
    }
    let filled = interpolate(text.as_str().unwrap_or_default(), |name| {
        args.get::<Value>(name).ok().map(|v| v.to_string())
    });
    for name in args.args() {
        let _: Value = args.get(name)?;
    }
    args.assert_all_used()?;
    Ok(Value::from(filled))
}

/// Template files under `dir`, named by their path relative to it with '/' separators.
pub fn template_files(dir: &Path) -> Vec<(String, PathBuf)> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            matches!(
                e.path().extension().and_then(|x| x.to_str()),
                Some("html" | "txt" | "xml")
            )
        })
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            Some((name, e.path().to_path_buf()))
        })
        .collect()
}
