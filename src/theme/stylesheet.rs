//! The theme stylesheet: `styles/main.css` with its `@import`s bundled, lowered for the supported
//! browsers and minified once per build. Tenants get their brand custom properties in front.

use std::path::Path;

use lightningcss::bundler::{Bundler, FileProvider};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions};
use lightningcss::targets::{Browsers, Targets};

use crate::diagnostics::{Diagnostic, SourceLocation};

/// Browsers the portal supports: the last years of evergreen browsers and iOS 15.4+, which
/// covers the phones customers actually use.
fn targets() -> Targets {
    let version = |major: u32, minor: u32| Some((major << 16) | (minor << 8));
    Targets::from(Browsers {
        chrome: version(109, 0),
        edge: version(109, 0),
        firefox: version(115, 0),
        safari: version(15, 4),
        ios_saf: version(15, 4),
        samsung: version(20, 0),
        android: version(109, 0),
        ..Browsers::default()
    })
}

/// Bundles, lowers and minifies the stylesheet whose entry is `entry`.
pub fn compile_stylesheet(entry: &Path) -> Result<String, Diagnostic> {
    let provider = FileProvider::new();
    let options = ParserOptions {
        filename: entry.to_string_lossy().into_owned(),
        ..ParserOptions::default()
    };
    let mut bundler = Bundler::new(&provider, None, options);
    let mut sheet = bundler.bundle(entry).map_err(|err| {
        let message = format!("stylesheet error: {}", err.kind);
        let location = match &err.loc {
            Some(loc) => {
                let file = Path::new(&loc.filename);
                let source = std::fs::read_to_string(file).unwrap_or_default();
                SourceLocation::in_source(file, &source, loc.line as usize + 1, loc.column as usize)
            }
            None => SourceLocation::file(entry),
        };
        Diagnostic::error(message).at(location)
    })?;
    let targets = targets();
    sheet
        .minify(MinifyOptions {
            targets,
            ..MinifyOptions::default()
        })
        .map_err(|err| {
            Diagnostic::error(format!("stylesheet error: {err}")).at(SourceLocation::file(entry))
        })?;
    let css = sheet
        .to_css(PrinterOptions {
            minify: true,
            targets,
            ..PrinterOptions::default()
        })
        .map_err(|err| {
            Diagnostic::error(format!("stylesheet error: {err}")).at(SourceLocation::file(entry))
        })?;
    Ok(css.code)
}
