//! Shared helpers for the integration tests: a temporary copy of the example workspace, running
//! the binary in it, and small readers for what it writes. Every test makes its own workspace.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde_json::Value;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

/// The example tenants.
pub const SLUGS: [&str; 4] = ["lumio", "lumio-business", "nordwatt", "solva"];

/// A temporary copy of the repository's `tenants/`, `themes/` and `help/`.
pub struct Workspace {
    dir: TempDir,
}

/// One run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout of a `--format json` run, parsed.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn workspace() -> Workspace {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["tenants", "themes", "help"] {
        copy_dir(&repo.join(name), &dir.path().join(name));
    }
    Workspace { dir }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Workspace {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Runs `portalgen <args>` with the workspace as current directory.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_portalgen"))
            .args(args)
            .current_dir(self.root())
            .env_remove("PORTALGEN_TENANTS")
            .env_remove("PORTALGEN_THEMES")
            .env_remove("PORTALGEN_HELP")
            .env_remove("PORTALGEN_OUT")
            .env_remove("PORTALGEN_EDGE_URL")
            .env("NO_COLOR", "1")
            .output()
            .expect("run portalgen");
        Run {
            code: out.status.code().expect("exit code"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Runs with `--format json` appended and returns the run and its parsed report.
    pub fn run_json(&self, args: &[&str]) -> (Run, Value) {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let run = self.run(&all);
        let json = run.json();
        (run, json)
    }

    /// `portalgen build`, which must succeed.
    pub fn build_ok(&self) -> Value {
        let (run, json) = self.run_json(&["build"]);
        assert_eq!(run.code, 0, "build failed: {json:#}\n{}", run.stderr);
        assert_eq!(json["ok"], true);
        json
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn read_json(&self, rel: &str) -> Value {
        serde_json::from_str(&self.read(rel)).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        fs::remove_file(self.path(rel)).unwrap_or_else(|e| panic!("remove {rel}: {e}"));
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Replaces the first line of `rel` that starts with `prefix` by `new` and returns its 1-based
    /// line number.
    pub fn replace_line(&self, rel: &str, prefix: &str, new: &str) -> usize {
        let text = self.read(rel);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let i = lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in {rel}"));
        lines[i] = new.to_owned();
        self.write(rel, &(lines.join("\n") + "\n"));
        i + 1
    }

    /// Appends `line` to `rel` and returns its 1-based line number.
    pub fn append_line(&self, rel: &str, line: &str) -> usize {
        let mut text = self.read(rel);
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
        self.write(rel, &text);
        text.lines().count()
    }

    /// Every file under `rel`, as '/'-paths relative to it, sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        files_under(&self.path(rel))
    }

    /// Metadata and content of every file under `rel`.
    pub fn snapshot(&self, rel: &str) -> BTreeMap<String, FileState> {
        let dir = self.path(rel);
        files_under(&dir)
            .into_iter()
            .map(|f| {
                let path = dir.join(&f);
                let meta = fs::metadata(&path).unwrap();
                let state = FileState {
                    inode: meta.ino(),
                    modified: meta.modified().unwrap(),
                    content: fs::read(&path).unwrap(),
                };
                (f, state)
            })
            .collect()
    }

    /// The flattened UI strings of the default theme for `locale`.
    pub fn theme_strings(&self, locale: &str) -> BTreeMap<String, String> {
        let text = self.read(&format!("themes/default/strings/{locale}.yaml"));
        let tree: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let mut out = BTreeMap::new();
        flatten(&tree, String::new(), &mut out);
        out
    }

    /// A tenant file, parsed.
    pub fn tenant(&self, org: &str) -> serde_yaml::Value {
        serde_yaml::from_str(&self.read(&format!("tenants/{org}.yaml"))).unwrap()
    }
}

fn flatten(value: &serde_yaml::Value, prefix: String, out: &mut BTreeMap<String, String>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                let key = k.as_str().unwrap().to_owned();
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(v, path, out);
            }
        }
        serde_yaml::Value::String(s) => {
            out.insert(prefix, s.clone());
        }
        _ => {}
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub inode: u64,
    pub modified: SystemTime,
    pub content: Vec<u8>,
}

pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).unwrap();
                let parts: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The diagnostics of a JSON report.
pub fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().expect("diagnostics array")
}

/// The one diagnostic whose message contains `needle`.
pub fn diagnostic<'a>(report: &'a Value, needle: &str) -> &'a Value {
    let found: Vec<&Value> = diagnostics(report)
        .iter()
        .filter(|d| d["message"].as_str().unwrap_or_default().contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "diagnostics with {needle:?}: {:#}",
        report["diagnostics"]
    );
    found[0]
}

/// Slug → status of a JSON report.
pub fn statuses(report: &Value) -> BTreeMap<String, String> {
    report["slugs"]
        .as_array()
        .expect("slugs array")
        .iter()
        .map(|s| {
            (
                s["slug"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Decodes the character references minijinja and pulldown-cmark write.
pub fn unescape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A start tag of an HTML page: lower-case name and attributes (values undecoded).
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, Option<String>)>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    pub fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(n, _)| n == name)
    }
}

/// Every start tag of `html`, with its attributes; comments and doctype are skipped.
pub fn start_tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            i = html[i..].find("-->").map_or(bytes.len(), |e| i + e + 3);
            continue;
        }
        i += 1;
        if i >= bytes.len() || !bytes[i].is_ascii_alphabetic() {
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let a = i;
            while i < bytes.len() && !b" \t\r\n=>/".contains(&bytes[i]) {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            let mut value = None;
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
                if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                    let quote = bytes[i];
                    let v = i + 1;
                    let end = html[v..].find(quote as char).map_or(bytes.len(), |e| v + e);
                    value = Some(html[v..end].to_owned());
                    i = end + 1;
                } else {
                    let v = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = Some(html[v..i].to_owned());
                }
            }
            if attr.is_empty() {
                i += 1;
            } else {
                attrs.push((attr, value));
            }
        }
        tags.push(Tag { name, attrs });
    }
    tags
}

/// The decoded text inside the first `<title>` of a page.
pub fn title_of(html: &str) -> String {
    let start = html.find("<title>").expect("a <title>") + "<title>".len();
    let end = html[start..].find("</title>").expect("</title>") + start;
    unescape_html(&html[start..end])
}

/// The `lang` attribute of the `<html>` element.
pub fn html_lang(html: &str) -> String {
    let tag = start_tags(html)
        .into_iter()
        .find(|t| t.name == "html")
        .expect("an <html> tag");
    tag.attr("lang").expect("<html lang>").to_owned()
}

/// The `<article ...>...</article>` part of a help article page.
pub fn article_element(html: &str) -> &str {
    let start = html.find("<article").expect("an <article>");
    let end = html[start..].find("</article>").expect("</article>") + start;
    &html[start..end]
}

pub mod front;
pub mod serve;
pub mod smtp;
