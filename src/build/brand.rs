//! Everything an organization's portals share: the stylesheet with its brand custom properties,
//! brand files (logo, favicon, fonts) and the UI strings per locale. Prepared once per
//! organization, used by each of its plans.

use std::collections::BTreeMap;

use lightningcss::stylesheet::PrinterOptions;
use lightningcss::traits::{Parse, ToCss};
use lightningcss::values::color::CssColor;
use lightningcss::values::length::LengthPercentage;

use super::files::{OutputFile, hashed_name};
use super::ui_strings::{LocaleStrings, SharedStrings, org_strings};
use crate::config::TenantConfig;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::help::{self, ArticlesByLocale, ShownArticle};
use crate::theme::Theme;

#[derive(Debug)]
pub struct OrgAssets {
    pub stylesheet: OutputFile,
    pub logo: OutputFile,
    pub favicon: OutputFile,
    pub fonts: Vec<OutputFile>,
    /// Per locale: the resolved strings, and the same as the SPA's JSON file.
    pub strings: BTreeMap<String, LocaleStrings>,
    /// Help articles shown per locale.
    pub help: BTreeMap<String, Vec<ShownArticle>>,
}

impl OrgAssets {
    pub fn files(&self) -> impl Iterator<Item = &OutputFile> {
        [&self.stylesheet, &self.logo, &self.favicon]
            .into_iter()
            .chain(&self.fonts)
            .chain(self.strings.values().map(|(_, f)| f))
    }
}

pub fn prepare_org(
    tenant: &TenantConfig,
    theme: &Theme,
    shared_strings: &SharedStrings,
    shared_help: &ArticlesByLocale,
    own_help: &ArticlesByLocale,
) -> Result<OrgAssets, Diagnostics> {
    let brand = &tenant.config.brand;
    let read =
        |key: &str, rel: &std::path::Path, out_dir: &str| -> Result<OutputFile, Diagnostic> {
            let bytes = std::fs::read(tenant.asset_path(rel)).map_err(|err| {
                Diagnostic::error(format!(
                    "cannot read `{}`: {err}",
                    tenant.asset_path(rel).display()
                ))
                .at(tenant.location_of(key))
                .key(key)
                .tenant(&tenant.id)
            })?;
            let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or("file");
            let file = OutputFile::new(String::new(), bytes);
            let path = format!("assets/{out_dir}/{}", hashed_name(name, &file.hash));
            Ok(file.at(path))
        };
    let mut problems = Diagnostics::default();
    let logo = read("brand.logo", &brand.logo, "brand");
    let favicon = read("brand.favicon", &brand.favicon, "brand");
    let mut fonts = Vec::new();
    let mut font_faces = String::new();
    for (role, family) in brand.fonts.entries() {
        for (i, font) in family.files.iter().enumerate() {
            match read(
                &format!("brand.fonts.{role}.files[{i}].path"),
                &font.path,
                "fonts",
            ) {
                Ok(file) => {
                    let format = match font
                        .path
                        .extension()
                        .and_then(|e| e.to_str())
                        .unwrap_or_default()
                    {
                        "woff2" => "woff2",
                        "woff" => "woff",
                        "otf" => "opentype",
                        _ => "truetype",
                    };
                    font_faces.push_str(&format!(
                        "@font-face{{font-family:\"{}\";src:url(/{}) format(\"{format}\");font-weight:{};font-style:{};font-display:swap}}",
                        family.family,
                        file.path,
                        font.weight,
                        font.style.as_css()
                    ));
                    fonts.push(file);
                }
                Err(d) => problems.push(d),
            }
        }
    }
    let (logo, favicon) = match (logo, favicon) {
        (Ok(logo), Ok(favicon)) if problems.is_empty() => (logo, favicon),
        (logo, favicon) => {
            problems.extend(logo.err().into_iter().chain(favicon.err()));
            return Err(problems);
        }
    };

    // Sized up front: the theme's stylesheet is tens of kilobytes, copied once per organization.
    let properties = brand_properties(tenant);
    let mut css =
        String::with_capacity(font_faces.len() + properties.len() + theme.stylesheet.len() + 8);
    css.push_str(&font_faces);
    css.push_str(":root{");
    css.push_str(&properties);
    css.push('}');
    css.push_str(&theme.stylesheet);
    let stylesheet = OutputFile::new(String::new(), css.into_bytes());
    let stylesheet = stylesheet.at(format!(
        "assets/{}",
        hashed_name("app.css", &stylesheet.hash)
    ));

    let strings = org_strings(tenant, theme, shared_strings);

    Ok(OrgAssets {
        stylesheet,
        logo,
        favicon,
        fonts,
        strings,
        help: help::articles_for_portal(
            shared_help,
            own_help,
            &tenant.config.locales.available,
            &tenant.config.locales.default,
        ),
    })
}

/// Fallbacks after a tenant's own font, so text shows while it loads.
const SYSTEM_FONTS: &str = "system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif";

/// `--brand-*` custom properties, each value re-serialized by the CSS parser so that only a
/// colour or a length can reach the stylesheet.
fn brand_properties(tenant: &TenantConfig) -> String {
    let brand = &tenant.config.brand;
    let minify = || PrinterOptions {
        minify: true,
        ..PrinterOptions::default()
    };
    let mut props = String::new();
    for (key, value) in brand.colors.entries() {
        if let Some(css) = CssColor::parse_string(value)
            .ok()
            .and_then(|c| c.to_css_string(minify()).ok())
        {
            props.push_str(&format!("--brand-{}:{css};", key.replace('_', "-")));
        }
    }
    if let Some(css) = LengthPercentage::parse_string(&brand.radius)
        .ok()
        .and_then(|l| l.to_css_string(minify()).ok())
    {
        props.push_str(&format!("--brand-radius:{css};"));
    }
    for (role, family) in brand.fonts.entries() {
        props.push_str(&format!(
            "--brand-font-{role}:\"{}\",{SYSTEM_FONTS};",
            family.family
        ));
    }
    props.trim_end_matches(';').to_owned()
}
