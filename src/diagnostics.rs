//! User-facing problems: what went wrong, where (file, line, column, key path), and what was
//! expected. Every stage reports into `Diagnostic`s so that `check` can show all problems at once.

use std::fmt;
use std::path::{Path, PathBuf};

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A position in an input file, with the text of that line for the snippet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SourceLocation {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    #[serde(skip)]
    pub line_text: Option<String>,
}

impl SourceLocation {
    /// A location in `source` (the whole file text); `line` and `column` are 1-based.
    pub fn in_source(file: &Path, source: &str, line: usize, column: usize) -> Self {
        let line = line.max(1);
        SourceLocation {
            file: file.to_path_buf(),
            line,
            column: column.max(1),
            line_text: source.lines().nth(line - 1).map(str::to_owned),
        }
    }

    /// A location at byte `offset` of `source`.
    pub fn at_offset(file: &Path, source: &str, offset: usize) -> Self {
        let offset = offset.min(source.len());
        let before = &source[..floor_char_boundary(source, offset)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self::in_source(file, source, line, column)
    }

    /// A whole file, no position inside it.
    pub fn file(file: &Path) -> Self {
        SourceLocation {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            line_text: None,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub location: Option<SourceLocation>,
    /// Dotted path of the offending key, e.g. `brand.colors.primary` or `plans[1].slug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// Organization ids or plan slugs the problem affects.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tenants: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            location: None,
            key_path: None,
            expected: None,
            tenants: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Self::error(message)
        }
    }

    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(location);
        self
    }

    pub fn key(mut self, key_path: impl Into<String>) -> Self {
        let key_path = key_path.into();
        self.key_path = (!key_path.is_empty()).then_some(key_path);
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// Attributes the problem to a tenant, unless a more specific one was named already.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        if self.tenants.is_empty() {
            self.tenants.push(tenant.into());
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic rustc-style, with a source snippet when the line is known.
    pub fn render(&self, color: bool) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = match self.tenants.as_slice() {
            [] => self.message.clone(),
            [one] => format!("{} [{one}]", self.message),
            many if many.len() <= 4 => format!("{} [{}]", self.message, many.join(", ")),
            many => format!(
                "{} [{} and {} more]",
                self.message,
                many[..3].join(", "),
                many.len() - 3
            ),
        };
        let path;
        let mut group = Group::with_title(level.primary_title(title));
        if let Some(loc) = &self.location {
            path = if loc.line > 0 {
                format!("{}:{}:{}", loc.file.display(), loc.line, loc.column)
            } else {
                loc.file.display().to_string()
            };
            match &loc.line_text {
                Some(text) => {
                    let span = token_span(text, loc.column);
                    group = group.element(
                        Snippet::source(text.as_str())
                            .line_start(loc.line)
                            .path(loc.file.to_string_lossy())
                            .annotation(AnnotationKind::Primary.span(span)),
                    );
                }
                None => group = group.element(Level::NOTE.message(format!("in {path}"))),
            }
        }
        let mut report = vec![group];
        if let Some(key) = &self.key_path {
            report.push(Group::with_title(
                Level::NOTE.secondary_title(format!("key: {key}")),
            ));
        }
        if let Some(expected) = &self.expected {
            report.push(Group::with_title(
                Level::HELP.secondary_title(format!("expected {expected}")),
            ));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&report)
    }
}

/// Byte range of the token starting at the 1-based character `column` of `line`, so the
/// snippet underlines the whole offending word rather than one character.
fn token_span(line: &str, column: usize) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let len = rest
        .find(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .filter(|&n| n > 0)
        .unwrap_or(rest.len());
    start..start + len.max(rest.chars().next().map_or(0, char::len_utf8))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Collects diagnostics from one stage; `has_errors` decides whether a stage's output is usable.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl Diagnostics {
    /// One diagnostic per distinct problem: the same template error hit by every page of many
    /// tenants is reported once, naming all of them.
    pub fn merged(self) -> Vec<Diagnostic> {
        let mut merged: Vec<Diagnostic> = Vec::new();
        let mut seen: std::collections::HashMap<
            (Severity, String, Option<SourceLocation>, Option<String>),
            usize,
        > = std::collections::HashMap::new();
        for diagnostic in self.0 {
            let key = (
                diagnostic.severity,
                diagnostic.message.clone(),
                diagnostic.location.clone(),
                diagnostic.key_path.clone(),
            );
            match seen.get(&key) {
                Some(&i) => {
                    for tenant in diagnostic.tenants {
                        if !merged[i].tenants.contains(&tenant) {
                            merged[i].tenants.push(tenant);
                        }
                    }
                }
                None => {
                    seen.insert(key, merged.len());
                    merged.push(diagnostic);
                }
            }
        }
        merged
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}
