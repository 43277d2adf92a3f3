//! UI strings: `strings/<locale>.yaml` in a theme, nested maps flattened to dotted keys, and the
//! per-tenant table that layers the tenant's overrides and the default-locale fallback on top.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use minijinja::value::{Object, Value};

use crate::config::yaml;
use crate::diagnostics::{Diagnostic, Diagnostics, SourceLocation};

/// Flattened strings of one locale: `nav.help` → text.
pub type StringMap = BTreeMap<String, String>;

/// Parses one strings file into dotted keys; non-text leaves are errors.
pub fn parse_strings_file(file: &Path, source: &str) -> Result<StringMap, Diagnostics> {
    let tree: serde_yaml::Value =
        yaml::parse(file, source).map_err(|d| Diagnostics::from_iter([d]))?;
    let mut strings = StringMap::new();
    let mut problems = Diagnostics::default();
    flatten(&tree, String::new(), &mut strings, &mut |key| {
        problems.push(
            Diagnostic::error("a UI string must be text or a group of strings")
                .at(yaml::location_of(file, source, &key))
                .key(key)
                .expected("a quoted text or a nested map"),
        );
    });
    if !tree.is_mapping() && !tree.is_null() {
        problems.push(
            Diagnostic::error("a strings file must be a map of keys to texts")
                .at(SourceLocation::in_source(file, source, 1, 1)),
        );
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(strings)
    }
}

fn flatten(
    value: &serde_yaml::Value,
    prefix: String,
    out: &mut StringMap,
    bad: &mut impl FnMut(String),
) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (key, child) in map {
                let key = match key {
                    serde_yaml::Value::String(s) => s.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                let path = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(child, path, out, bad);
            }
        }
        serde_yaml::Value::String(text) => {
            out.insert(prefix, text.clone());
        }
        serde_yaml::Value::Null if prefix.is_empty() => {}
        _ => bad(prefix),
    }
}

/// The strings one page is rendered with: tenant override, else the theme's text in the page
/// locale, else the theme's text in the tenant's default locale.
#[derive(Debug)]
pub struct StringTable {
    pub locale: String,
    /// Every key resolved once; pages look strings up many times each. Kept as template values,
    /// so that `t()` returns one without copying the text.
    strings: HashMap<String, Value>,
}

impl StringTable {
    /// `layers` in order of precedence, the first that has a key wins.
    pub fn new(locale: &str, layers: Vec<Arc<StringMap>>) -> Self {
        let mut strings = HashMap::new();
        for layer in layers.iter().rev() {
            strings.extend(
                layer
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
            );
        }
        StringTable {
            locale: locale.to_owned(),
            strings,
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::as_str)
    }

    /// The text of `key` as a template value.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.strings.get(key)
    }

    /// Every key with its resolved text, sorted, for the SPA's strings file.
    pub fn resolved(&self) -> BTreeMap<&str, &str> {
        self.strings
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .collect()
    }
}

impl Object for StringTable {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.value(key.as_str()?).cloned()
    }
}

/// Fills `{name}` placeholders in `text` from `args`; unknown names stay as written.
pub fn interpolate(text: &str, mut arg: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_') =>
            {
                let name = &after[..close];
                match arg(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
