//! The output contract of `portalgen build` for the example tenants, file by file.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::Value;

/// Portal routes other than help: id and output file.
const ROUTE_FILES: [(&str, &str); 7] = [
    ("dashboard", "index.html"),
    ("login", "login/index.html"),
    ("invoices", "invoices/index.html"),
    ("consumption", "consumption/index.html"),
    ("tariff", "tariff/index.html"),
    ("account", "account/index.html"),
    ("orders", "orders/index.html"),
];

/// One plan of the example tenants, read from its tenant file.
#[derive(Debug)]
struct Plan {
    org: String,
    slug: String,
    name: String,
    locales: Vec<String>,
    default_locale: String,
}

fn plans(ws: &Workspace) -> Vec<Plan> {
    let mut out = Vec::new();
    for org in ["lumio", "nordwatt", "solva"] {
        let t = ws.tenant(org);
        let locales: Vec<String> = t["locales"]["available"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect();
        for plan in t["plans"].as_sequence().unwrap() {
            out.push(Plan {
                org: org.to_owned(),
                slug: plan["slug"].as_str().unwrap().to_owned(),
                name: plan["name"].as_str().unwrap().to_owned(),
                locales: locales.clone(),
                default_locale: t["locales"]["default"].as_str().unwrap().to_owned(),
            });
        }
    }
    let slugs: Vec<&str> = out.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs, SLUGS);
    out
}

/// Article ids (file stems) under `dir`, recursively.
fn article_ids(ws: &Workspace, dir: &str) -> BTreeSet<String> {
    ws.files(dir)
        .into_iter()
        .filter_map(|f| {
            f.strip_suffix(".md")
                .map(|s| s.rsplit('/').next().unwrap().to_owned())
        })
        .collect()
}

/// The article ids a plan's help center shows in `locale`: shared and own articles of that
/// locale, completed from the default locale.
fn expected_articles(ws: &Workspace, plan: &Plan, locale: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for loc in [locale, plan.default_locale.as_str()] {
        ids.extend(article_ids(ws, &format!("help/{loc}")));
        ids.extend(article_ids(ws, &format!("tenants/{}/help/{loc}", plan.org)));
    }
    ids
}

/// Article ids with a page under `help/<locale>/` of a bundle.
fn built_articles(ws: &Workspace, slug: &str, locale: &str) -> BTreeSet<String> {
    ws.files(&format!("dist/{slug}/help/{locale}"))
        .into_iter()
        .filter_map(|f| f.strip_suffix("/index.html").map(str::to_owned))
        .collect()
}

#[test]
fn route_pages_have_language_and_titled_with_route_and_plan() {
    let ws = workspace();
    ws.build_ok();
    for plan in plans(&ws) {
        let strings = ws.theme_strings(&plan.default_locale);
        let expected_lang = if plan.slug == "solva" { "en" } else { "de" };
        assert_eq!(plan.default_locale, expected_lang);
        for (id, file) in ROUTE_FILES {
            let html = ws.read(&format!("dist/{}/{file}", plan.slug));
            assert_eq!(html_lang(&html), expected_lang, "{}/{file}", plan.slug);
            let title = title_of(&html);
            let route_title = &strings[&format!("route.{id}.title")];
            assert!(
                title.contains(route_title.as_str()),
                "{}/{file}: title {title:?} lacks {route_title:?}",
                plan.slug
            );
            assert!(
                title.contains(&plan.name),
                "{}/{file}: title {title:?} lacks {:?}",
                plan.slug,
                plan.name
            );
        }
        let html = ws.read(&format!("dist/{}/404.html", plan.slug));
        assert_eq!(html_lang(&html), expected_lang);
        let title = title_of(&html);
        assert!(
            title.contains(strings["route.not-found.title"].as_str()),
            "404 title {title:?}"
        );
        assert!(title.contains(&plan.name), "404 title {title:?}");

        // /help/ is the default locale's help center index.
        let html = ws.read(&format!("dist/{}/help/index.html", plan.slug));
        assert_eq!(html_lang(&html), expected_lang);
        assert!(title_of(&html).contains(strings["route.help.title"].as_str()));
        for locale in &plan.locales {
            let html = ws.read(&format!("dist/{}/help/{locale}/index.html", plan.slug));
            assert_eq!(&html_lang(&html), locale);
            let title = title_of(&html);
            let help_title = &ws.theme_strings(locale)["route.help.title"];
            assert!(
                title.contains(help_title.as_str()),
                "{}/help/{locale}: {title:?}",
                plan.slug
            );
            assert!(
                title.contains(&plan.name),
                "{}/help/{locale}: {title:?}",
                plan.slug
            );
        }
    }
}

#[test]
fn help_center_has_every_article_in_every_locale() {
    let ws = workspace();
    ws.build_ok();
    for plan in plans(&ws) {
        for locale in &plan.locales {
            let expected = expected_articles(&ws, &plan, locale);
            assert!(expected.len() >= 13, "{expected:?}");
            assert_eq!(
                built_articles(&ws, &plan.slug, locale),
                expected,
                "{} {locale}",
                plan.slug
            );
            for id in &expected {
                let html = ws.read(&format!("dist/{}/help/{locale}/{id}/index.html", plan.slug));
                assert_eq!(&html_lang(&html), locale, "{}/{locale}/{id}", plan.slug);
                // Every example article is translated: none is a fallback.
                let article = start_tags(article_element(&html)).remove(0);
                assert_eq!(
                    article.attr("lang"),
                    Some(locale.as_str()),
                    "{}/{locale}/{id}",
                    plan.slug
                );
            }
        }
    }
    assert!(ws.exists("dist/lumio/help/de/login/index.html"));
    assert!(ws.exists("dist/lumio/help/en/tariff/index.html"));
    assert!(ws.exists("dist/solva/help/en/tariff/index.html"));
    // Tenant-added article: lumio's plans only.
    for slug in ["lumio", "lumio-business"] {
        assert!(ws.exists(&format!("dist/{slug}/help/de/business-contact/index.html")));
        assert!(ws.exists(&format!("dist/{slug}/help/en/business-contact/index.html")));
    }
    for slug in ["nordwatt", "solva"] {
        assert!(!ws.exists(&format!("dist/{slug}/help/de/business-contact")));
        assert!(!ws.exists(&format!("dist/{slug}/help/en/business-contact")));
    }
    // English-only portal.
    assert!(!ws.exists("dist/solva/help/de"));
    // nordwatt replaces the shared German contact article; lumio shows the shared one.
    let nordwatt = ws.read("dist/nordwatt/help/de/contact/index.html");
    let lumio = ws.read("dist/lumio/help/de/contact/index.html");
    assert!(nordwatt.contains("Kundenzentrum am Hafen"));
    assert!(title_of(&nordwatt).contains("Kontakt und Kundenzentrum"));
    assert!(!lumio.contains("Kundenzentrum am Hafen"));
    assert!(lumio.contains("Vorsicht vor Betrug"));
    assert_ne!(article_element(&nordwatt), article_element(&lumio));
    // ... in German only: its English contact article is the shared one.
    let nordwatt_en = ws.read("dist/nordwatt/help/en/contact/index.html");
    assert!(!nordwatt_en.contains("Kundenzentrum am Hafen"));
}

#[test]
fn help_search_index_lists_every_article() {
    let ws = workspace();
    ws.build_ok();
    for plan in plans(&ws) {
        for locale in &plan.locales {
            let json = ws.read_json(&format!("dist/{}/help/{locale}/search.json", plan.slug));
            let entries = json.as_array().expect("search.json is an array");
            let mut ids = BTreeSet::new();
            for entry in entries {
                let keys: BTreeSet<&str> = entry
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(
                    keys,
                    BTreeSet::from(["id", "title", "category", "keywords", "summary", "url"]),
                    "{entry}"
                );
                let id = entry["id"].as_str().unwrap();
                for key in ["title", "category", "summary"] {
                    assert!(!entry[key].as_str().unwrap().is_empty(), "{key} of {entry}");
                }
                assert!(
                    entry["keywords"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(Value::is_string)
                );
                assert_eq!(entry["url"], format!("/help/{locale}/{id}/"));
                assert!(ws.exists(&format!("dist/{}/help/{locale}/{id}/index.html", plan.slug)));
                assert!(ids.insert(id.to_owned()), "{id} listed twice");
            }
            assert_eq!(
                ids,
                expected_articles(&ws, &plan, locale),
                "{} {locale}",
                plan.slug
            );
        }
    }
}

/// `name.<10 hex>.ext` → the hash; None when the name carries none.
fn name_hash(file_name: &str) -> Option<&str> {
    let mut parts: Vec<&str> = file_name.split('.').collect();
    if parts.len() < 3 {
        return None;
    }
    parts.pop();
    let hash = parts.pop()?;
    (hash.len() == 10
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hash)
}

#[test]
fn assets_are_content_hashed() {
    let ws = workspace();
    ws.build_ok();
    for plan in plans(&ws) {
        let assets = ws.files(&format!("dist/{}/assets", plan.slug));
        let mut js_folders = BTreeSet::new();
        let mut names = Vec::new();
        for file in &assets {
            if let Some(rest) = file.strip_prefix("js.") {
                let (folder, module) = rest.split_once('/').unwrap();
                assert!(
                    folder.len() == 10
                        && folder
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                    "{file}"
                );
                assert!(module.ends_with(".js"), "{file}");
                js_folders.insert(folder.to_owned());
                continue;
            }
            let file_name = file.rsplit('/').next().unwrap();
            let hash =
                name_hash(file_name).unwrap_or_else(|| panic!("{}: {file} has no hash", plan.slug));
            let content = ws.read_bytes(&format!("dist/{}/assets/{file}", plan.slug));
            assert!(
                sha256_hex(&content).starts_with(hash),
                "{}: {file} does not hash to {hash}",
                plan.slug
            );
            names.push(file.replace(hash, "H"));
        }
        assert_eq!(js_folders.len(), 1, "{js_folders:?}");
        let js = js_folders.first().unwrap();
        for module in [
            "app.js",
            "config.js",
            "help-search.js",
            "i18n.js",
            "router.js",
        ] {
            assert!(assets.contains(&format!("js.{js}/{module}")), "{module}");
        }
        let mut expected = vec![
            "app.H.css".to_owned(),
            "brand/favicon.H.svg".to_owned(),
            "brand/logo.H.svg".to_owned(),
            "icons.H.svg".to_owned(),
            "icons/search.H.svg".to_owned(),
            "illustrations/unplugged.H.svg".to_owned(),
        ];
        expected.extend(plan.locales.iter().map(|l| format!("strings.{l}.H.json")));
        expected.sort();
        names.sort();
        assert_eq!(names, expected, "{}", plan.slug);
    }
    // The tenant's string override reaches the SPA's strings.
    let en = ws
        .files("dist/lumio/assets")
        .into_iter()
        .find(|f| f.starts_with("strings.en."))
        .unwrap();
    let strings = ws.read_json(&format!("dist/lumio/assets/{en}"));
    assert_eq!(strings["route.help.nav"], "Help & contact");
    // ... and the pages of that locale, for that organization only.
    let nav = |slug: &str, locale: &str| {
        let html = ws.read(&format!("dist/{slug}/help/{locale}/index.html"));
        let marker = "data-i18n=\"route.help.nav\">";
        let at = html.find(marker).expect("help nav label") + marker.len();
        unescape_html(&html[at..at + html[at..].find('<').unwrap()])
    };
    assert_eq!(nav("lumio", "en"), "Help & contact");
    assert_eq!(nav("lumio-business", "en"), "Help & contact");
    assert_eq!(nav("lumio", "de"), "Hilfe");
    assert_eq!(nav("nordwatt", "en"), "Help");
}

/// Where a `src`/`href` of the page at `page` (bundle path) points inside the bundle, or None for
/// external links and same-page anchors.
fn bundle_target(page: &str, url: &str) -> Option<String> {
    let url = unescape_html(url);
    if url.is_empty() || url.starts_with('#') || url.starts_with("//") {
        return None;
    }
    let scheme_end = url.find(':');
    let first_sep = url.find(['/', '?', '#']);
    if scheme_end.is_some_and(|c| first_sep.is_none_or(|s| c < s)) {
        return None;
    }
    let path = url.split(['?', '#']).next().unwrap().to_owned();
    let absolute = if path.starts_with('/') {
        path
    } else {
        // 404.html is served at any path: relative links there would be wrong, so resolve from /.
        let base = match page.rsplit_once('/') {
            Some((dir, _)) if page != "404.html" => format!("/{dir}/"),
            _ => "/".to_owned(),
        };
        format!("{base}{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in absolute.split('/').skip(1) {
        match segment {
            ".." => assert!(parts.pop().is_some(), "{url} on {page} leaves the bundle"),
            "." => {}
            s => parts.push(s),
        }
    }
    let mut resolved = parts.join("/");
    if resolved.is_empty() || resolved.ends_with('/') {
        resolved.push_str("index.html");
    }
    Some(resolved)
}

#[test]
fn pages_are_csp_clean_and_every_link_resolves() {
    let ws = workspace();
    ws.build_ok();
    for slug in SLUGS {
        let files: BTreeSet<String> = ws.files(&format!("dist/{slug}")).into_iter().collect();
        let pages: Vec<&String> = files.iter().filter(|f| f.ends_with(".html")).collect();
        assert!(pages.len() > 20, "{slug}: {} pages", pages.len());
        let mut links = 0;
        for page in pages {
            let html = ws.read(&format!("dist/{slug}/{page}"));
            assert!(
                !html.to_ascii_lowercase().contains("<style"),
                "{slug}/{page} has <style>"
            );
            for tag in start_tags(&html) {
                if tag.name == "script" {
                    assert!(
                        tag.attr("src").is_some_and(|s| !s.is_empty()),
                        "{slug}/{page}: inline <script>"
                    );
                }
                assert!(!tag.has("style"), "{slug}/{page}: style= on <{}>", tag.name);
                for (name, _) in &tag.attrs {
                    assert!(
                        !name.starts_with("on"),
                        "{slug}/{page}: event handler {name} on <{}>",
                        tag.name
                    );
                }
                for attr in ["src", "href"] {
                    let Some(url) = tag.attr(attr) else { continue };
                    if let Some(target) = bundle_target(page, url) {
                        links += 1;
                        assert!(
                            files.contains(&target),
                            "{slug}/{page}: {attr}={url:?} → {target} is not in the bundle"
                        );
                    }
                }
            }
        }
        assert!(links > 400, "{slug}: only {links} links checked");
    }
}

/// `_headers` as path → headers.
fn parse_headers(text: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut blocks: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let (name, value) = line.trim().split_once(':').expect("Name: value");
            let path: &String = current.as_ref().expect("a header before any path");
            blocks
                .get_mut(path)
                .unwrap()
                .push((name.trim().to_owned(), value.trim().to_owned()));
        } else {
            let path = line.trim().to_owned();
            assert!(!blocks.contains_key(&path), "{path} twice");
            blocks.insert(path.clone(), Vec::new());
            current = Some(path);
        }
    }
    blocks
}

fn header<'a>(block: &'a [(String, String)], name: &str) -> &'a str {
    let found: Vec<&str> = block
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{name} in {block:?}");
    found[0]
}

#[test]
fn host_files_set_security_headers_caching_and_api_route() {
    let ws = workspace();
    ws.build_ok();
    for plan in plans(&ws) {
        let slug = plan.slug.as_str();
        let text = ws.read(&format!("dist/{slug}/_headers"));
        assert!(
            !text.contains("unsafe-inline") && !text.contains("unsafe-eval"),
            "{text}"
        );
        let blocks = parse_headers(&text);
        let all = &blocks["/*"];
        let csp = header(all, "Content-Security-Policy");
        let directives: BTreeMap<&str, &str> = csp
            .split(';')
            .map(|d| d.trim())
            .filter(|d| !d.is_empty())
            .map(|d| d.split_once(' ').unwrap_or((d, "")))
            .collect();
        assert_eq!(directives["script-src"], "'self'", "{csp}");
        assert_eq!(directives["style-src"], "'self'", "{csp}");
        let frame_ancestors = if plan.org == "lumio" {
            "https://www.lumio.example"
        } else {
            "'none'"
        };
        assert_eq!(
            directives["frame-ancestors"], frame_ancestors,
            "{slug}: {csp}"
        );
        assert!(header(all, "Strict-Transport-Security").contains("max-age="));
        assert_eq!(header(all, "X-Content-Type-Options"), "nosniff");
        assert!(!header(all, "Referrer-Policy").is_empty());
        assert!(header(all, "Permissions-Policy").contains("camera=()"));

        let assets = header(&blocks["/assets/*"], "Cache-Control");
        assert!(
            assets.contains("immutable") && assets.contains("max-age=31536000"),
            "{assets}"
        );
        let mut html_paths = vec![
            "/".to_owned(),
            "/index.html".to_owned(),
            "/404.html".to_owned(),
        ];
        html_paths.extend(
            [
                "login",
                "invoices",
                "consumption",
                "tariff",
                "account",
                "orders",
                "help",
            ]
            .map(|r| format!("/{r}/*")),
        );
        for path in html_paths {
            let block = blocks
                .get(&path)
                .unwrap_or_else(|| panic!("{slug}: no headers for {path}"));
            assert_eq!(header(block, "Cache-Control"), "no-cache", "{slug} {path}");
        }

        let redirects = ws.read(&format!("dist/{slug}/_redirects"));
        let api: Vec<Vec<&str>> = redirects
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.first() == Some(&"/api/*"))
            .collect();
        assert_eq!(api.len(), 1, "{redirects}");
        assert_eq!(api[0].len(), 3, "{redirects}");
        assert!(
            api[0][1].starts_with("https://edge.customerportal.energy/api/"),
            "{redirects}"
        );
        assert_eq!(api[0][2], "200");

        let config = ws.read_json(&format!("dist/{slug}/config.json"));
        assert_eq!(config["slug"], slug);
        assert_eq!(config["org"]["id"], plan.org.as_str());
        assert_eq!(config["plan"]["name"], plan.name.as_str());
        assert_eq!(config["locales"], serde_json::json!(plan.locales));
        assert_eq!(config["defaultLocale"], plan.default_locale.as_str());
        assert_eq!(config["apiBase"], "/api");
        for locale in &plan.locales {
            let url = config["strings"][locale].as_str().unwrap();
            assert!(ws.exists(&format!("dist/{slug}{url}")), "{url}");
            assert_eq!(config["help"][locale], format!("/help/{locale}/"));
        }
    }
}

#[test]
fn manifest_lists_exactly_the_bundle_and_index_lists_every_slug() {
    let ws = workspace();
    ws.build_ok();
    let index = ws.read_json("dist/index.json");
    let entries = index["slugs"].as_array().unwrap();
    let listed: Vec<&str> = entries
        .iter()
        .map(|e| e["slug"].as_str().unwrap())
        .collect();
    assert_eq!(listed, SLUGS);
    for plan in plans(&ws) {
        let slug = plan.slug.as_str();
        let manifest = ws.read_json(&format!("dist/{slug}/manifest.json"));
        assert_eq!(manifest["slug"], slug);
        let listed = manifest["files"].as_object().unwrap();
        let mut on_disk = ws.files(&format!("dist/{slug}"));
        on_disk.retain(|f| f != "manifest.json");
        let listed_paths: Vec<&String> = listed.keys().collect();
        assert_eq!(listed_paths, on_disk.iter().collect::<Vec<_>>(), "{slug}");
        for (path, entry) in listed {
            let content = ws.read_bytes(&format!("dist/{slug}/{path}"));
            assert_eq!(entry["sha256"], sha256_hex(&content), "{slug}/{path}");
            assert_eq!(entry["size"], content.len() as u64, "{slug}/{path}");
        }
        let entry = entries.iter().find(|e| e["slug"] == slug).unwrap();
        assert_eq!(entry["org"], plan.org.as_str());
        assert_eq!(entry["planName"], plan.name.as_str());
        assert_eq!(entry["files"], listed.len() as u64);
        assert_eq!(
            entry["manifestSha256"],
            sha256_hex(&ws.read_bytes(&format!("dist/{slug}/manifest.json")))
        );
    }
    // Nothing else at the top of dist/.
    let mut top: Vec<String> = std::fs::read_dir(ws.path("dist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        [
            ".portalgen",
            "index.json",
            "lumio",
            "lumio-business",
            "nordwatt",
            "solva"
        ]
    );
}

/// `#0a5bd3` and, where it has one, its short form `#05b`-style, lower case.
fn colour_forms(value: &str) -> Vec<String> {
    let v = value.to_ascii_lowercase();
    let mut forms = vec![v.clone()];
    let hex = v.trim_start_matches('#').as_bytes();
    if v.starts_with('#')
        && hex.len() == 6
        && hex[0] == hex[1]
        && hex[2] == hex[3]
        && hex[4] == hex[5]
    {
        forms.push(format!(
            "#{}{}{}",
            hex[0] as char, hex[2] as char, hex[4] as char
        ));
    }
    forms
}

#[test]
fn brand_colours_become_custom_properties() {
    let ws = workspace();
    ws.build_ok();
    for plan in plans(&ws) {
        let index = ws.read(&format!("dist/{}/index.html", plan.slug));
        let link = start_tags(&index)
            .into_iter()
            .find(|t| t.name == "link" && t.attr("rel") == Some("stylesheet"))
            .expect("a stylesheet link");
        let href = unescape_html(link.attr("href").unwrap());
        assert!(
            href.starts_with("/assets/app.") && href.ends_with(".css"),
            "{href}"
        );
        let css = ws.read(&format!("dist/{}{href}", plan.slug));
        let tenant = ws.tenant(&plan.org);
        let colours = tenant["brand"]["colors"].as_mapping().unwrap();
        assert!(colours.len() >= 7);
        for (key, value) in colours {
            let property = format!("--brand-{}:", key.as_str().unwrap().replace('_', "-"));
            let at = css
                .find(&property)
                .unwrap_or_else(|| panic!("{}: no {property}", plan.slug))
                + property.len();
            let set = css[at..]
                .split([';', '}'])
                .next()
                .unwrap()
                .trim()
                .to_ascii_lowercase();
            let forms = colour_forms(value.as_str().unwrap());
            assert!(
                forms.contains(&set),
                "{}: {property}{set}, expected one of {forms:?}",
                plan.slug
            );
        }
        let radius = tenant["brand"]["radius"].as_str().unwrap();
        assert!(
            css.contains(&format!("--brand-radius:{radius}")),
            "{}",
            plan.slug
        );
    }
}

#[test]
fn help_placeholders_are_filled_per_portal() {
    let ws = workspace();
    ws.build_ok();
    let email = ws.tenant("lumio")["support"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(email, "hilfe@lumio.example");
    for slug in SLUGS {
        for file in ws.files(&format!("dist/{slug}/help")) {
            let text = ws.read(&format!("dist/{slug}/help/{file}"));
            assert!(
                !text.contains("{{") && !text.contains("}}"),
                "{slug}/help/{file} has a raw placeholder"
            );
            assert!(
                !text.contains('\u{1}') && !text.contains("%01"),
                "{slug}/help/{file} has a marker"
            );
        }
    }
    let login = ws.read("dist/lumio/help/de/login/index.html");
    assert!(article_element(&login).contains("Lumio Energie GmbH"));
    let contact = ws.read("dist/lumio/help/de/contact/index.html");
    assert!(article_element(&contact).contains(&email));
    assert!(article_element(&contact).contains("Lumio Energie GmbH"));
    // {{ plan.name }} differs per plan of the same organization.
    for (slug, name) in [
        ("lumio", "Lumio Dynamisch"),
        ("lumio-business", "Lumio Business"),
    ] {
        let tariff = ws.read(&format!("dist/{slug}/help/en/tariff/index.html"));
        assert!(article_element(&tariff).contains(name), "{slug}");
    }
    let search = ws.read("dist/lumio/help/de/search.json");
    assert!(search.contains("Lumio Energie GmbH"));
    // Another organization gets its own values.
    let nordwatt = ws.read("dist/nordwatt/help/de/login/index.html");
    assert!(article_element(&nordwatt).contains("Nordwatt Stadtwerke"));
    assert!(!nordwatt.contains("Lumio"));
}

/// help/README.md: placeholders "work in text and in link targets".
#[test]
fn help_placeholders_work_in_link_targets() {
    let ws = workspace();
    ws.build_ok();
    // help/de/support/contact.md: [{{ support.email }}](mailto:{{ support.email }})
    let contact = ws.read("dist/lumio/help/de/contact/index.html");
    let article = article_element(&contact);
    assert!(
        !article.contains("](mailto:"),
        "markdown link left as text in the article"
    );
    assert!(
        article.contains(r#"<a href="mailto:hilfe@lumio.example">hilfe@lumio.example</a>"#),
        "no mailto link in:\n{article}"
    );
    // tenants/nordwatt/help/de/contact.md: [{{ support.phone }}](tel:{{ support.phone_link }})
    let contact = ws.read("dist/nordwatt/help/de/contact/index.html");
    let article = article_element(&contact);
    assert!(
        !article.contains("](tel:"),
        "markdown link left as text in the article"
    );
    assert!(
        article.contains(r#"<a href="tel:+49405550200">+49 40 5550 200</a>"#),
        "no tel link in:\n{article}"
    );
}

#[test]
fn raw_html_in_articles_is_shown_as_text() {
    let ws = workspace();
    let article = "---\ntitle: \"Sicherheit\"\ncategory: \"Test\"\norder: 5\nkeywords: [xss]\n---\n\
                   Vorher <script>alert(1)</script> nachher.\n\n\
                   <img src=x onerror=y>\n\n\
                   <div onclick=\"z()\">Block</div>\n";
    ws.write("help/de/account/xss.md", article);
    ws.write(
        "help/en/account/xss.md",
        &article.replace("Vorher", "Before"),
    );
    ws.build_ok();
    for (slug, locale) in [("lumio", "de"), ("lumio", "en"), ("solva", "en")] {
        let html = ws.read(&format!("dist/{slug}/help/{locale}/xss/index.html"));
        let body = article_element(&html);
        assert!(
            body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{slug}/{locale}:\n{body}"
        );
        assert!(
            body.contains("&lt;img src=x onerror=y&gt;"),
            "{slug}/{locale}:\n{body}"
        );
        assert!(!html.contains("<script>alert"), "{slug}/{locale}");
        assert!(!html.contains("<img src=x"), "{slug}/{locale}");
        assert!(!html.contains("<div onclick"), "{slug}/{locale}");
        for tag in start_tags(&html) {
            assert!(
                tag.attrs.iter().all(|(n, _)| !n.starts_with("on")),
                "{slug}/{locale}: {tag:?}"
            );
            if tag.name == "script" {
                assert!(tag.has("src"), "{slug}/{locale}: inline script");
            }
        }
    }
}

#[test]
fn tenant_values_are_escaped_in_pages() {
    let ws = workspace();
    let name = r#"Lumio <b>&</b> "Co" <script>x</script>"#;
    ws.replace_line(
        "tenants/lumio.yaml",
        "  name: \"Lumio Energie GmbH\"",
        &format!("  name: {}", serde_json::to_string(name).unwrap()),
    );
    ws.build_ok();
    let mut pages = 0;
    for slug in ["lumio", "lumio-business"] {
        for file in ws
            .files(&format!("dist/{slug}"))
            .iter()
            .filter(|f| f.ends_with(".html"))
        {
            let html = ws.read(&format!("dist/{slug}/{file}"));
            assert!(
                !html.contains("<b>") && !html.contains("<script>x"),
                "{slug}/{file}"
            );
            if html.contains("Lumio &lt;b&gt;&amp;&lt;&#x2f;b&gt;")
                || html.contains("Lumio &lt;b&gt;&amp;&lt;/b&gt;")
            {
                pages += 1;
            }
        }
    }
    assert!(pages > 60, "the name shows escaped on every page: {pages}");
    assert_eq!(ws.read_json("dist/lumio/config.json")["org"]["name"], name);
}
