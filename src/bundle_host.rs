//! Answering a request for a built bundle the way a static host does: the file for a URL path
//! (`/route/` → `route/index.html`), `_redirects` rewrites with status 200, the bundle's
//! `404.html`, and the headers its `_headers` file assigns to the path.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// A response for a path of one bundle.
#[derive(Debug)]
pub struct BundleResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The bundles under one output folder, one folder per slug.
#[derive(Debug, Clone)]
pub struct BundleHost {
    root: PathBuf,
}

impl BundleHost {
    pub fn new(root: &Path) -> Self {
        BundleHost {
            root: root.to_path_buf(),
        }
    }

    /// Whether `slug` has a bundle.
    pub fn has(&self, slug: &str) -> bool {
        !slug.starts_with('.') && self.root.join(slug).join("index.html").is_file()
    }

    /// The response for `url_path` (without query) of `slug`'s bundle; `None` when there is no
    /// such bundle.
    pub fn get(&self, slug: &str, url_path: &str) -> Option<BundleResponse> {
        if !self.has(slug) {
            return None;
        }
        let dir = self.root.join(slug);
        let rules = fs::read_to_string(dir.join("_headers")).unwrap_or_default();
        let (status, file) = match bundle_file(&dir, url_path) {
            Some(file) => (200, file),
            None => match rewrite_target(&dir, url_path).and_then(|to| bundle_file(&dir, &to)) {
                Some(file) => (200, file),
                None => (404, dir.join("404.html")),
            },
        };
        let body = fs::read(&file).ok()?;
        let served_path = if status == 200 {
            url_path.to_owned()
        } else {
            "/404.html".to_owned()
        };
        Some(BundleResponse {
            status,
            content_type: content_type(&file),
            headers: headers_for(&rules, &served_path),
            body,
        })
    }
}

/// A header of `_headers` as a plain-HTTP local server can honour it: no HSTS, no upgrade of
/// requests to https (which would send the browser to a port that speaks no TLS).
pub fn plain_http_header(name: &str, value: &str) -> Option<String> {
    if name.eq_ignore_ascii_case("Strict-Transport-Security") {
        return None;
    }
    if name.eq_ignore_ascii_case("Content-Security-Policy") {
        let kept: Vec<&str> = value
            .split(';')
            .map(str::trim)
            .filter(|d| *d != "upgrade-insecure-requests")
            .collect();
        return Some(kept.join("; "));
    }
    Some(value.to_owned())
}

/// The file a URL path names inside `dir`, if it exists. Paths that leave the bundle or reach
/// the host files (`_headers`, `_redirects`) name nothing.
fn bundle_file(dir: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    if relative
        .to_str()
        .is_some_and(|r| r.starts_with('_') || r.starts_with('.'))
    {
        return None;
    }
    let path = dir.join(relative);
    let file = if path.is_dir() {
        path.join("index.html")
    } else {
        path
    };
    file.is_file().then_some(file)
}

/// The target of the first `_redirects` rule with status 200 whose pattern matches `url_path`
/// and whose target is inside the bundle.
fn rewrite_target(dir: &Path, url_path: &str) -> Option<String> {
    let rules = fs::read_to_string(dir.join("_redirects")).ok()?;
    rules
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (from, to, status) = (parts.next()?, parts.next()?, parts.next()?);
            (status == "200" && to.starts_with('/') && matches(from, url_path))
                .then(|| to.to_owned())
        })
        .next()
}

/// Netlify-style path patterns: exact, or a prefix ending in `*`.
fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// The headers of every `_headers` rule matching `url_path`, in file order.
fn headers_for(rules: &str, url_path: &str) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    let mut applies = false;
    for line in rules.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let Some((name, value)) = line.trim().split_once(':') {
                if applies {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
        } else {
            applies = matches(line.trim(), url_path);
        }
    }
    headers
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules_apply_by_pattern_in_order() {
        let rules = "# comment\n/*\n  X-A: 1\n/assets/*\n  Cache-Control: immutable\n/\n  Cache-Control: no-cache\n";
        assert_eq!(
            headers_for(rules, "/assets/app.css"),
            vec![
                ("X-A".to_owned(), "1".to_owned()),
                ("Cache-Control".to_owned(), "immutable".to_owned())
            ]
        );
        assert_eq!(headers_for(rules, "/").len(), 2);
        assert_eq!(headers_for(rules, "/login/").len(), 1);
    }

    #[test]
    fn paths_cannot_leave_the_bundle_or_reach_host_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("_headers"), "x").unwrap();
        fs::write(dir.path().join("index.html"), "x").unwrap();
        assert!(bundle_file(dir.path(), "/").is_some());
        assert!(bundle_file(dir.path(), "/_headers").is_none());
        assert!(bundle_file(dir.path(), "/../index.html").is_none());
        assert!(bundle_file(dir.path(), "/%2e%2e/index.html").is_none());
    }
}
