//! The one place that parses YAML. Typed deserialization (serde_yaml) reports syntax and type
//! errors with their position; `locate` finds the position of a key path afterwards, for problems
//! found by validation once the file has parsed.

use std::path::Path;

use saphyr_parser::{Event, Parser};
use serde::de::DeserializeOwned;

use crate::diagnostics::{Diagnostic, SourceLocation};

/// How serde words problems with the shape of the data (as opposed to YAML syntax errors).
const SERDE_MESSAGES: &[&str] = &[
    "invalid type",
    "invalid value",
    "invalid length",
    "unknown field",
    "unknown variant",
    "missing field",
    "duplicate field",
];

/// Parses `source` into `T`, rejecting unknown keys if `T` does.
pub fn parse<T: DeserializeOwned>(file: &Path, source: &str) -> Result<T, Diagnostic> {
    parse_at(file, source, 0)
}

/// Like `parse`, for YAML embedded in a larger file that starts `line_offset` lines in
/// (front matter).
pub fn parse_at<T: DeserializeOwned>(
    file: &Path,
    source: &str,
    line_offset: usize,
) -> Result<T, Diagnostic> {
    let deserializer = serde_yaml::Deserializer::from_str(source);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let key_path = err.path().to_string();
        let inner = err.into_inner();
        let text = inner.to_string();
        // serde_yaml appends the position ("at line 3 column 5") and may prefix the key path;
        // both are reported in their own fields.
        let text = text.split(" at line ").next().unwrap_or(&text);
        let text = match text.split_once(": ") {
            Some((prefix, rest)) if key_path.starts_with(prefix) => rest,
            _ => text,
        };
        let is_type_error = SERDE_MESSAGES.iter().any(|m| text.starts_with(m));
        let (message, expected) = match text.split_once(", expected ") {
            Some((message, expected)) if is_type_error => {
                (message.to_owned(), Some(expected.to_owned()))
            }
            _ if is_type_error => (text.to_owned(), None),
            _ => (format!("invalid YAML: {text}"), None),
        };
        let key_path = if key_path == "." || key_path.contains('?') {
            String::new()
        } else {
            key_path
        };
        let mut diagnostic = Diagnostic::error(message).key(key_path);
        if let Some(expected) = expected {
            diagnostic = diagnostic.expected(expected);
        }
        let location = match inner.location() {
            Some(loc) => SourceLocation::in_source(
                file,
                &full_source_hint(source, line_offset),
                loc.line() + line_offset,
                loc.column(),
            ),
            None => SourceLocation::file(file),
        };
        diagnostic.at(location)
    })
}

/// Pads `source` with `line_offset` empty lines so line numbers match the enclosing file.
fn full_source_hint(source: &str, line_offset: usize) -> String {
    let mut padded = "\n".repeat(line_offset);
    padded.push_str(source);
    padded
}

/// Position (1-based line and column) of the value at `key_path` (`plans[1].slug`,
/// `brand.colors.primary`), or of its parent when the key itself is absent.
pub fn locate(source: &str, key_path: &str) -> Option<(usize, usize)> {
    let target: Vec<&str> = key_path
        .split(['.', '['])
        .map(|segment| segment.trim_end_matches(']'))
        .filter(|segment| !segment.is_empty())
        .collect();
    let mut best: Option<(usize, (usize, usize))> = None;
    let mut path: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    // Whether each open container added a segment to `path` (the root one does not).
    let mut pushed_segments: Vec<bool> = Vec::new();
    for item in Parser::new_from_str(source) {
        let Ok((event, span)) = item else { break };
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::Alias(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        if is_node {
            let segment = match frames.last_mut() {
                Some(Frame::Mapping { pending_key }) => match pending_key.take() {
                    Some(key) => Some(key),
                    None => {
                        *pending_key = Some(match &event {
                            Event::Scalar(key, ..) => key.to_string(),
                            _ => String::new(),
                        });
                        if !matches!(event, Event::MappingStart(..) | Event::SequenceStart(..)) {
                            continue;
                        }
                        // A complex key: skip its contents like a value without a path.
                        None
                    }
                },
                Some(Frame::Sequence { next }) => {
                    *next += 1;
                    Some((*next - 1).to_string())
                }
                None => None,
            };
            let pushed = segment.is_some();
            if let Some(segment) = segment {
                path.push(segment);
            }
            let depth = matching_prefix(&path, &target);
            if depth == path.len() && best.is_none_or(|(d, _)| depth > d) {
                best = Some((depth, (span.start.line(), span.start.col() + 1)));
                if depth == target.len() {
                    break;
                }
            }
            match event {
                Event::MappingStart(..) => frames.push(Frame::Mapping { pending_key: None }),
                Event::SequenceStart(..) => frames.push(Frame::Sequence { next: 0 }),
                _ if pushed => {
                    path.pop();
                    continue;
                }
                _ => continue,
            }
            pushed_segments.push(pushed);
        } else if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            frames.pop();
            if pushed_segments.pop() == Some(true) {
                path.pop();
            }
        }
    }
    best.map(|(_, position)| position)
}

enum Frame {
    Mapping { pending_key: Option<String> },
    Sequence { next: usize },
}

fn matching_prefix(path: &[String], target: &[&str]) -> usize {
    path.iter().zip(target).take_while(|(a, b)| a == *b).count()
}

/// The location of `key_path` in `file`, for a validation diagnostic.
pub fn location_of(file: &Path, source: &str, key_path: &str) -> SourceLocation {
    match locate(source, key_path) {
        Some((line, column)) => SourceLocation::in_source(file, source, line, column),
        None => SourceLocation::file(file),
    }
}
