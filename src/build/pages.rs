//! Rendering a plan's HTML pages and help files from the theme templates. Pure: inputs in
//! memory, output files in memory.

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::brand::OrgAssets;
use super::context::{OwnValues, PageContext, SharedVars};
use super::files::{ContentHash, OutputFile, combined_hash};
use super::{sha256_pairs, splice};
use crate::config::{PlanConfig, TenantConfig};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::help::{PlaceholderValues, ShownArticle};
use crate::routes::{self, ROUTES};
use crate::theme::{StringTable, Theme};

pub const CONFIG_PATH: &str = "config.json";

const ARTICLE_TEMPLATE: &str = "help/article.html";

/// What every page of one plan is rendered from.
pub struct PlanPages<'a> {
    pub tenant: &'a TenantConfig,
    pub plan: &'a PlanConfig,
    pub theme: &'a Theme,
    pub org: &'a OrgAssets,
    /// Pages of an earlier render, reused where everything a page is rendered from is unchanged.
    pub previous: Option<&'a PageMemo>,
    /// Whether to remember the pages for a later render (`watch`); a one-shot build skips the
    /// hashing that needs.
    pub remember: bool,
}

/// A page ready to render: see `PlanPages::prepare`.
struct Prepared {
    out: String,
    key: ContentHash,
    reused: Option<OutputFile>,
    nav: Value,
    help: Value,
    own: OwnValues,
}

/// Rendered pages by output path, each with the hash of everything it was rendered from.
#[derive(Debug, Default)]
pub struct PageMemo(HashMap<String, (ContentHash, OutputFile)>);

/// The shared variables of one locale and the hash of what they were made from.
#[derive(Clone)]
struct Base {
    vars: Arc<SharedVars>,
    key: ContentHash,
}

/// The page being rendered: its id (a route id, `help`, `help-article` or `not-found`), URL
/// path and title.
struct Page<'p> {
    id: &'p str,
    path: &'p str,
    title: String,
    nav: Value,
    /// Help pages: the locale's help center; undefined elsewhere.
    help: Value,
    /// Article pages: the article; undefined elsewhere.
    article: Value,
    /// Hash over the page's own values that `help` and `article` hold.
    key: ContentHash,
}

#[derive(Serialize)]
struct LocaleLink<'a> {
    code: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct NavItem<'a> {
    id: &'a str,
    path: &'a str,
    label: &'a str,
    current: bool,
}

/// `help` of the help pages. Fields in alphabetical order, as templates see the keys of a map.
#[derive(Serialize)]
struct HelpContext<'a> {
    categories: Vec<HelpCategory<'a>>,
    index_url: String,
    locale: &'a str,
    locales: Vec<LocaleLink<'a>>,
    search_url: String,
}

#[derive(Serialize)]
struct HelpArticleLink<'a> {
    id: &'a str,
    summary: &'a str,
    title: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct HelpCategory<'a> {
    articles: Vec<HelpArticleLink<'a>>,
    name: &'a str,
}

/// One entry of `help/<locale>/search.json`.
#[derive(Serialize)]
struct SearchEntry<'a> {
    id: &'a str,
    title: &'a str,
    category: &'a str,
    keywords: &'a [String],
    summary: &'a str,
    url: &'a str,
}

impl PlanPages<'_> {
    pub fn render(&self) -> Result<(Vec<OutputFile>, PageMemo), Diagnostics> {
        let mut pages: Vec<Result<(Prepared, Vec<u8>), Diagnostic>> = Vec::new();
        let mut keep = |result| pages.push(result);
        let mut files = Vec::new();
        let default_locale = &self.tenant.config.locales.default;
        let base = self.base_context(default_locale);
        for route in ROUTES.iter().filter(|r| r.id != routes::HELP_ROUTE) {
            let template = format!("routes/{}.html", route.id);
            let page = Page {
                id: route.id,
                path: route.path,
                title: self.title(default_locale, route.id),
                nav: self.nav(default_locale, route.id),
                help: Value::UNDEFINED,
                article: Value::UNDEFINED,
                key: ContentHash::default(),
            };
            keep(self.page(&base, page, &template));
        }
        let not_found = Page {
            id: "not-found",
            path: "/404.html",
            title: self.title(default_locale, "not-found"),
            nav: self.nav(default_locale, "not-found"),
            help: Value::UNDEFINED,
            article: Value::UNDEFINED,
            key: ContentHash::default(),
        };
        keep(self.page(&base, not_found, "404.html"));

        for locale in &self.tenant.config.locales.available {
            let base = if locale == default_locale {
                base.clone()
            } else {
                self.base_context(locale)
            };
            let values = PlaceholderValues::for_plan(self.tenant, &self.plan.name, locale);
            let shown = self
                .org
                .help
                .get(locale)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let titles: Vec<String> = shown
                .iter()
                .map(|s| s.article.title.fill(&values, false))
                .collect();
            let summaries: Vec<String> = shown
                .iter()
                .map(|s| s.article.body.summary.fill(&values, false))
                .collect();
            let urls: Vec<String> = shown
                .iter()
                .map(|s| format!("/help/{locale}/{}/", s.article.id))
                .collect();
            let help_context = self.help_context(locale, shown, &titles, &summaries, &urls);
            let help_key = self.memo_key(|| {
                vec![(
                    "help",
                    serde_json::to_vec(&help_context).unwrap_or_default(),
                )]
            });
            let help = to_value(help_context);

            let index_path = format!("/help/{locale}/");
            let nav = self.nav(locale, routes::HELP_ROUTE);
            let page = Page {
                id: "help",
                path: &index_path,
                title: self.title(locale, routes::HELP_ROUTE),
                nav: nav.clone(),
                help: help.clone(),
                article: Value::UNDEFINED,
                key: help_key,
            };
            keep(self.page(&base, page, "help/index.html"));
            let mut articles = Vec::with_capacity(shown.len());
            for (i, item) in shown.iter().enumerate() {
                let shown_article = &item.article;
                let html = shown_article.body.html.fill(&values, true);
                let key = self.memo_key(|| {
                    vec![
                        ("help", help_key.to_vec()),
                        ("id", shown_article.id.clone().into_bytes()),
                        ("title", titles[i].clone().into_bytes()),
                        ("category", shown_article.category.clone().into_bytes()),
                        ("keywords", shown_article.keywords.join("\n").into_bytes()),
                        ("html", html.clone().into_bytes()),
                        ("lang", shown_article.locale.clone().into_bytes()),
                        ("fallback", vec![u8::from(item.fallback)]),
                    ]
                });
                let article = context! {
                    id => &shown_article.id,
                    title => &titles[i],
                    category => &shown_article.category,
                    keywords => &shown_article.keywords,
                    html => Value::from_safe_string(html),
                    lang => &shown_article.locale,
                    fallback => item.fallback,
                };
                let page = Page {
                    id: "help-article",
                    path: &urls[i],
                    title: titles[i].clone(),
                    nav: nav.clone(),
                    help: help.clone(),
                    article,
                    key,
                };
                articles.push(self.prepare(&base, page, ARTICLE_TEMPLATE));
            }
            // The articles differ only in their own values: rendered as one group.
            let (reused, todo): (Vec<_>, Vec<_>) =
                articles.into_iter().partition(|p| p.reused.is_some());
            let own = todo.iter().map(|p| p.own.clone()).collect();
            let html = splice::render_group(
                &self.theme.templates,
                &self.tenant.id,
                ARTICLE_TEMPLATE,
                &nav,
                &help,
                &base.vars,
                own,
            );
            for prepared in reused {
                keep(Ok((prepared, Vec::new())));
            }
            for (prepared, html) in todo.into_iter().zip(html) {
                keep(html.map(|html| (prepared, html)));
            }
            let entries: Vec<SearchEntry> = shown
                .iter()
                .enumerate()
                .map(|(i, s)| SearchEntry {
                    id: &s.article.id,
                    title: &titles[i],
                    category: &s.article.category,
                    keywords: &s.article.keywords,
                    summary: &summaries[i],
                    url: &urls[i],
                })
                .collect();
            let json = serde_json::to_vec(&entries).unwrap_or_default();
            files.push(OutputFile::new(format!("help/{locale}/search.json"), json));
        }
        let mut problems = Diagnostics::default();
        let pages: Vec<(Prepared, Vec<u8>)> = pages
            .into_iter()
            .filter_map(|page| {
                page.map_err(|d| problems.push(d.tenant(&self.plan.slug)))
                    .ok()
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut memo = PageMemo::default();
        files.extend(self.finish(pages, &mut memo));
        // The help route shows the default locale's help center.
        let default_index = format!("help/{default_locale}/index.html");
        if let Some(index) = files.iter().find(|f| f.path == default_index) {
            files.push(index.at("help/index.html"));
        }
        Ok((files, memo))
    }

    /// The tenant's locales with their names and, if `url` gives one, a link each.
    fn locale_links(&self, url: impl Fn(&str) -> Option<String>) -> Vec<LocaleLink<'_>> {
        let available = &self.tenant.config.locales.available;
        available
            .iter()
            .map(|code| LocaleLink {
                code,
                name: routes::locale_name(code),
                url: url(code),
            })
            .collect()
    }

    /// The context shared by every page of one locale.
    fn base_context(&self, locale: &str) -> Base {
        let config = &self.tenant.config;
        let strings = self.strings(locale);
        let locales = self.locale_links(|_| None);
        let favicon_type = match self.org.favicon.path.rsplit('.').next() {
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            _ => "image/x-icon",
        };
        let support = &config.support;
        let vars = [
            ("lang", Value::from(locale)),
            ("dir", Value::from("ltr")),
            ("default_locale", Value::from(&config.locales.default)),
            ("locales", to_value(&locales)),
            (
                "org",
                context! { id => &self.tenant.id, name => &config.organization.name },
            ),
            (
                "plan",
                context! { slug => &self.plan.slug, name => &self.plan.name },
            ),
            (
                "brand",
                context! {
                    logo => format!("/{}", self.org.logo.path),
                    logo_alt => config.brand.logo_alt.as_deref().unwrap_or(&config.organization.name),
                    favicon => format!("/{}", self.org.favicon.path),
                    favicon_type,
                },
            ),
            (
                "support",
                context! {
                    email => &support.email,
                    phone => &support.phone,
                    phone_link => support.phone_link(),
                    url => &support.url,
                    hours => support.hours.get(locale).or_else(|| support.hours.get(&config.locales.default)),
                },
            ),
            (
                "legal",
                context! {
                    imprint => &config.legal.imprint,
                    privacy => &config.legal.privacy,
                    terms => &config.legal.terms,
                },
            ),
            (
                "assets",
                context! {
                    css => format!("/{}", self.org.stylesheet.path),
                    js => &self.theme.scripts.entry_url,
                    modules => &self.theme.scripts.module_urls,
                    config => format!("/{CONFIG_PATH}"),
                },
            ),
            ("strings", Value::from_dyn_object(strings)),
        ];
        let strings_hash = self
            .org
            .strings
            .get(locale)
            .map(|(_, file)| file.hash)
            .unwrap_or_default();
        let key = combined_hash([
            ("tenant", self.tenant.source.as_bytes()),
            ("slug", self.plan.slug.as_bytes()),
            ("locale", locale.as_bytes()),
            ("css", self.org.stylesheet.path.as_bytes()),
            ("logo", self.org.logo.path.as_bytes()),
            ("favicon", self.org.favicon.path.as_bytes()),
            ("js", self.theme.scripts.module_urls.join("\n").as_bytes()),
            ("strings", strings_hash.as_slice()),
        ]);
        Base {
            vars: Arc::new(SharedVars(vars.into_iter().collect())),
            key,
        }
    }

    fn strings(&self, locale: &str) -> Arc<StringTable> {
        self.org
            .strings
            .get(locale)
            .map(|(table, _)| table.clone())
            .unwrap_or_else(|| Arc::new(StringTable::new(locale, Vec::new())))
    }

    fn help_context<'a>(
        &'a self,
        locale: &'a str,
        shown: &'a [ShownArticle],
        titles: &'a [String],
        summaries: &'a [String],
        urls: &'a [String],
    ) -> HelpContext<'a> {
        let mut categories: Vec<HelpCategory> = Vec::new();
        for (i, item) in shown.iter().enumerate() {
            let link = HelpArticleLink {
                id: &item.article.id,
                summary: &summaries[i],
                title: &titles[i],
                url: &urls[i],
            };
            match categories
                .iter_mut()
                .find(|c| c.name == item.article.category)
            {
                Some(category) => category.articles.push(link),
                None => categories.push(HelpCategory {
                    articles: vec![link],
                    name: &item.article.category,
                }),
            }
        }
        HelpContext {
            categories,
            index_url: format!("/help/{locale}/"),
            locale,
            locales: self.locale_links(|code| Some(format!("/help/{code}/"))),
            search_url: format!("/help/{locale}/search.json"),
        }
    }

    /// The title of route `id` (or `not-found`) in `locale`.
    fn title(&self, locale: &str, id: &str) -> String {
        let key = match id {
            "not-found" => routes::NOT_FOUND_TITLE_KEY.to_owned(),
            _ => format!("route.{id}.title"),
        };
        self.strings(locale)
            .get(&key)
            .unwrap_or_default()
            .to_owned()
    }

    /// The navigation with `current` marked (help pages mark the help route).
    fn nav(&self, locale: &str, current: &str) -> Value {
        let strings = self.strings(locale);
        let nav: Vec<NavItem> = ROUTES
            .iter()
            .filter(|r| r.in_nav)
            .map(|r| NavItem {
                id: r.id,
                path: r.path,
                label: strings.get(&format!("route.{}.nav", r.id)).unwrap_or(r.id),
                current: r.id == current,
            })
            .collect();
        to_value(&nav)
    }

    /// Renders one page over the shared context of its locale, unless its previous render can be
    /// reused (see `prepare`).
    fn page(
        &self,
        base: &Base,
        page: Page,
        template: &str,
    ) -> Result<(Prepared, Vec<u8>), Diagnostic> {
        let prepared = self.prepare(base, page, template);
        if prepared.reused.is_some() {
            return Ok((prepared, Vec::new()));
        }
        let context = PageContext::new(
            prepared.nav.clone(),
            prepared.help.clone(),
            base.vars.clone(),
            prepared.own.clone(),
        );
        let html = self.theme.templates.render(
            &self.tenant.id,
            template,
            Value::from_dyn_object(context),
        )?;
        Ok((prepared, html))
    }

    /// A page's output path, memo key and context values, and its previous render if that can
    /// be reused.
    fn prepare(&self, base: &Base, page: Page, template: &str) -> Prepared {
        let Page {
            id,
            path,
            title,
            nav,
            help,
            article,
            key,
        } = page;
        let out = output_path(path);
        let key = self.memo_key(|| {
            vec![
                ("templates", self.theme.templates_key.to_vec()),
                ("template", template.as_bytes().to_vec()),
                ("base", base.key.to_vec()),
                ("id", id.as_bytes().to_vec()),
                ("title", title.clone().into_bytes()),
                ("page", key.to_vec()),
            ]
        });
        let reused = self
            .previous
            .and_then(|p| p.0.get(&out))
            .filter(|(k, _)| *k == key)
            .map(|(_, file)| file.clone());
        Prepared {
            out,
            key,
            reused,
            nav,
            help,
            own: OwnValues {
                page: context! { id, path, title },
                article,
            },
        }
    }

    /// The pages' files: reused ones as they were, rendered ones (`html`) hashed all together,
    /// which is faster than one by one (see `sha256_pairs`). Remembered for the next render if
    /// pages are kept.
    fn finish(&self, pages: Vec<(Prepared, Vec<u8>)>, memo: &mut PageMemo) -> Vec<OutputFile> {
        let (reused, rendered): (Vec<_>, Vec<_>) =
            pages.into_iter().partition(|(p, _)| p.reused.is_some());
        let contents: Vec<&[u8]> = rendered.iter().map(|(_, html)| html.as_slice()).collect();
        let hashes = sha256_pairs::digest_all(&contents);
        let rendered = rendered
            .into_iter()
            .zip(hashes)
            .map(|((p, html), hash)| (p.key, OutputFile::with_hash(p.out, html, hash)));
        let reused = reused
            .into_iter()
            .filter_map(|(p, _)| Some((p.key, p.reused?)));
        let mut files = Vec::new();
        for (key, file) in reused.chain(rendered) {
            if self.remember {
                memo.0.insert(file.path.clone(), (key, file.clone()));
            }
            files.push(file);
        }
        files
    }

    /// The hash a remembered page is recognised by; nothing to compute when pages are not kept.
    fn memo_key(&self, parts: impl FnOnce() -> Vec<(&'static str, Vec<u8>)>) -> ContentHash {
        if !self.remember {
            return ContentHash::default();
        }
        let parts = parts();
        combined_hash(parts.iter().map(|(name, bytes)| (*name, bytes.as_slice())))
    }
}

fn to_value<T: Serialize>(value: T) -> Value {
    Value::from(Serde(value))
}

/// `/invoices/` → `invoices/index.html`; `/404.html` → `404.html`.
fn output_path(url_path: &str) -> String {
    let trimmed = url_path.trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_owned()
    }
}
