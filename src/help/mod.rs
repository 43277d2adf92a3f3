//! The help center: `help/<locale>/**/<id>.md` with front matter, rendered once per locale, plus
//! each organization's added or replaced articles, and the per-portal view with fallbacks.

mod markdown;
pub mod placeholders;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

pub use markdown::{RenderedMarkdown, slugify};
pub use placeholders::{PlaceholderValues, Templated};

use crate::build::files::{ContentHash, combined_hash};
use crate::config::yaml;
use crate::diagnostics::{Diagnostic, Diagnostics, SourceLocation};

#[derive(Debug)]
pub struct Article {
    pub id: String,
    pub locale: String,
    pub file: PathBuf,
    pub title: Templated,
    pub category: String,
    pub order: i64,
    pub keywords: Vec<String>,
    pub body: RenderedMarkdown,
    /// Hash of the source file, to reuse the rendered article while the file is unchanged.
    pub source_hash: ContentHash,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    category: String,
    #[serde(default)]
    order: i64,
    #[serde(default)]
    keywords: Vec<String>,
}

/// Articles by locale, then by id.
pub type ArticlesByLocale = BTreeMap<String, BTreeMap<String, Arc<Article>>>;

#[derive(Debug, Default, Clone)]
pub struct HelpCenter {
    pub articles: ArticlesByLocale,
    /// Hash over every source file, for skipping unchanged bundles.
    pub fingerprint: ContentHash,
}

/// Loads and renders every article under `dir` (`<dir>/<locale>/**/*.md`). Articles whose file
/// is unchanged since `previous` was loaded are taken from it instead of rendered again.
pub fn load_articles(dir: &Path, previous: Option<&HelpCenter>) -> (HelpCenter, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let files = match crate::theme::read_tree(dir) {
        Ok(files) => files,
        Err(err) => {
            diagnostics.push(
                Diagnostic::error(format!("cannot read help articles: {err}"))
                    .at(SourceLocation::file(dir)),
            );
            return (HelpCenter::default(), diagnostics);
        }
    };
    let fingerprint = combined_hash(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())));
    let sources: Vec<(String, String, PathBuf, Vec<u8>)> = files
        .into_iter()
        .filter_map(|(rel, bytes)| {
            let (locale, rest) = rel.split_once('/')?;
            let id = Path::new(rest).file_stem()?.to_str()?.to_owned();
            rest.ends_with(".md")
                .then(|| (locale.to_owned(), id, dir.join(&rel), bytes))
        })
        .collect();
    let unchanged = |locale: &str, id: &str, file: &Path, hash: &ContentHash| {
        previous?
            .articles
            .get(locale)?
            .get(id)
            .filter(|a| a.file == file && a.source_hash == *hash)
            .cloned()
    };
    let rendered: Vec<Result<Arc<Article>, Diagnostic>> = {
        use rayon::prelude::*;
        sources
            .into_par_iter()
            .map(|(locale, id, file, bytes)| {
                let hash = combined_hash([("source", bytes.as_slice())]);
                match unchanged(&locale, &id, &file, &hash) {
                    Some(article) => Ok(article),
                    None => parse_article(locale, id, file, bytes, hash).map(Arc::new),
                }
            })
            .collect()
    };
    let mut articles = ArticlesByLocale::new();
    for result in rendered {
        match result {
            Ok(article) => {
                let by_id = articles.entry(article.locale.clone()).or_default();
                if let Some(first) = by_id.get(&article.id) {
                    diagnostics.push(
                        Diagnostic::error(format!(
                            "two help articles with the id `{}` in `{}`",
                            article.id, article.locale
                        ))
                        .at(SourceLocation::file(&article.file))
                        .expected(format!(
                            "unique file names per locale (also {})",
                            first.file.display()
                        )),
                    );
                    continue;
                }
                by_id.insert(article.id.clone(), article);
            }
            Err(d) => diagnostics.push(d),
        }
    }
    (
        HelpCenter {
            articles,
            fingerprint,
        },
        diagnostics,
    )
}

fn parse_article(
    locale: String,
    id: String,
    file: PathBuf,
    bytes: Vec<u8>,
    source_hash: ContentHash,
) -> Result<Article, Diagnostic> {
    let source = String::from_utf8(bytes).map_err(|_| {
        Diagnostic::error("file is not valid UTF-8 text").at(SourceLocation::file(&file))
    })?;
    if crate::config::check_dns_label(&id).is_err() {
        return Err(Diagnostic::error(format!(
            "`{id}` is not a usable article id (the file name)"
        ))
        .at(SourceLocation::file(&file))
        .expected("lower-case letters, digits and '-', e.g. meter-readings.md"));
    }
    if crate::routes::locale_name(&locale) == locale
        && !locale.chars().all(|c| c.is_ascii_lowercase())
    {
        return Err(
            Diagnostic::error(format!("`{locale}` is not a locale folder"))
                .at(SourceLocation::file(&file))
                .expected("help/<locale>/..., e.g. help/de/"),
        );
    }
    let rest = source
        .strip_prefix("---\n")
        .or_else(|| source.strip_prefix("---\r\n"))
        .ok_or_else(|| {
            Diagnostic::error("a help article must start with front matter")
                .at(SourceLocation::in_source(&file, &source, 1, 1))
                .expected(
                    "a first line `---`, then title, category, order and keywords, then `---`",
                )
        })?;
    let end = rest.find("\n---").ok_or_else(|| {
        Diagnostic::error("the front matter is not closed")
            .at(SourceLocation::in_source(&file, &source, 1, 1))
            .expected("a line `---` after the front matter")
    })?;
    let front: FrontMatter = yaml::parse_at(&file, &rest[..end + 1], 1)?;
    let body_start = source.len() - rest.len() + end + 4;
    let body = source[body_start..].trim_start_matches(['\r', '\n']);
    let body_offset = source.len() - body.len();
    let title = Templated::parse_plain(&front.title).map_err(|unknown| {
        Diagnostic::error(format!(
            "unknown placeholder `{{{{ {} }}}}` in the title",
            unknown.name
        ))
        .at(yaml::location_of(&file, &source[4..], "title"))
        .key("title")
    })?;
    let body = markdown::render_markdown(body).map_err(|problem| {
        Diagnostic::error(problem.message)
            .at(SourceLocation::at_offset(
                &file,
                &source,
                body_offset + problem.offset,
            ))
            .expected(problem.expected)
    })?;
    Ok(Article {
        id,
        locale,
        file,
        title,
        category: front.category,
        order: front.order,
        keywords: front.keywords,
        body,
        source_hash,
    })
}

/// An article as one portal shows it in one locale.
#[derive(Debug, Clone)]
pub struct ShownArticle {
    pub article: Arc<Article>,
    /// The default locale's text, shown because no translation exists.
    pub fallback: bool,
}

/// The articles a portal shows per locale: the organization's own over the shared ones, each
/// locale completed from the default locale, sorted by `order`.
pub fn articles_for_portal(
    shared: &ArticlesByLocale,
    own: &ArticlesByLocale,
    locales: &[String],
    default_locale: &str,
) -> BTreeMap<String, Vec<ShownArticle>> {
    let merged = |locale: &str| -> BTreeMap<String, Arc<Article>> {
        let mut by_id = shared.get(locale).cloned().unwrap_or_default();
        by_id.extend(
            own.get(locale)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        by_id
    };
    let default = merged(default_locale);
    locales
        .iter()
        .map(|locale| {
            let own_locale = merged(locale);
            let mut shown: Vec<ShownArticle> = own_locale
                .values()
                .map(|a| ShownArticle {
                    article: a.clone(),
                    fallback: false,
                })
                .chain(
                    default
                        .iter()
                        .filter(|(id, _)| !own_locale.contains_key(*id))
                        .map(|(_, a)| ShownArticle {
                            article: a.clone(),
                            fallback: true,
                        }),
                )
                .collect();
            shown.sort_by(|a, b| {
                (a.article.order, &a.article.id).cmp(&(b.article.order, &b.article.id))
            });
            (locale.clone(), shown)
        })
        .collect()
}

/// Warnings for articles some locale lacks among `locales`: portals show their default locale's
/// text there.
/// For an organization's own articles, `shared` is the help center they complete: a translation
/// found there counts.
pub fn missing_translations(
    articles: &ArticlesByLocale,
    shared: Option<&ArticlesByLocale>,
    locales: &BTreeSet<String>,
    tenant: Option<&str>,
) -> Diagnostics {
    let has = |set: Option<&ArticlesByLocale>, locale: &str, id: &str| {
        set.and_then(|s| s.get(locale))
            .is_some_and(|by_id| by_id.contains_key(id))
    };
    let mut ids: BTreeMap<&str, &Article> = BTreeMap::new();
    for by_id in articles.values() {
        for (id, article) in by_id {
            ids.entry(id).or_insert(article);
        }
    }
    let mut warnings = Diagnostics::default();
    for locale in locales {
        for (id, article) in &ids {
            if !has(Some(articles), locale, id) && !has(shared, locale, id) {
                let mut warning = Diagnostic::warning(format!(
                    "help article `{id}` has no `{locale}` translation; `{locale}` portals show their default locale's text"
                ))
                .at(SourceLocation::file(&article.file))
                .expected(format!("a translation in {}", translation_path(&article.file, &article.locale, locale).display()));
                if let Some(tenant) = tenant {
                    warning = warning.tenant(tenant);
                }
                warnings.push(warning);
            }
        }
    }
    warnings
}

/// `help/de/x/y.md` → `help/en/x/y.md`.
fn translation_path(file: &Path, from: &str, to: &str) -> PathBuf {
    file.components()
        .map(|c| {
            if c.as_os_str() == from {
                std::ffi::OsStr::new(to)
            } else {
                c.as_os_str()
            }
        })
        .collect()
}
