//! The tenant config file (`tenants/<org>.yaml`): one organization, its plans and its brand.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// One organization's config as written in `tenants/<org>.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    pub organization: Organization,
    #[serde(default = "default_theme")]
    pub theme: String,
    pub plans: Vec<PlanConfig>,
    pub brand: BrandConfig,
    pub locales: LocalesConfig,
    pub support: SupportConfig,
    pub legal: LegalConfig,
    #[serde(default)]
    pub embed: EmbedConfig,
    /// UI copy overrides: locale → string key → text.
    #[serde(default)]
    pub strings: BTreeMap<String, BTreeMap<String, String>>,
}

fn default_theme() -> String {
    "default".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub slug: String,
    pub name: String,
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandConfig {
    pub colors: BrandColors,
    pub logo: PathBuf,
    pub logo_alt: Option<String>,
    pub favicon: PathBuf,
    #[serde(default = "default_radius")]
    pub radius: String,
    #[serde(default)]
    pub fonts: BrandFonts,
}

fn default_radius() -> String {
    "8px".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandColors {
    pub primary: String,
    pub on_primary: Option<String>,
    pub accent: Option<String>,
    pub background: Option<String>,
    pub surface: Option<String>,
    pub text: Option<String>,
    pub muted: Option<String>,
}

impl BrandColors {
    /// The colours the tenant set, by their key name.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("primary", Some(&self.primary)),
            ("on_primary", self.on_primary.as_ref()),
            ("accent", self.accent.as_ref()),
            ("background", self.background.as_ref()),
            ("surface", self.surface.as_ref()),
            ("text", self.text.as_ref()),
            ("muted", self.muted.as_ref()),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| (key, v.as_str())))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandFonts {
    pub body: Option<FontFamily>,
    pub heading: Option<FontFamily>,
}

impl BrandFonts {
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &FontFamily)> {
        [
            ("body", self.body.as_ref()),
            ("heading", self.heading.as_ref()),
        ]
        .into_iter()
        .filter_map(|(role, family)| family.map(|f| (role, f)))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontFamily {
    pub family: String,
    pub files: Vec<FontFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FontFile {
    pub path: PathBuf,
    #[serde(default = "default_weight")]
    pub weight: u16,
    #[serde(default)]
    pub style: FontStyle,
}

fn default_weight() -> u16 {
    400
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FontStyle {
    #[default]
    Normal,
    Italic,
}

impl FontStyle {
    pub fn as_css(self) -> &'static str {
        match self {
            FontStyle::Normal => "normal",
            FontStyle::Italic => "italic",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalesConfig {
    pub available: Vec<String>,
    pub default: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportConfig {
    pub email: String,
    pub phone: Option<String>,
    pub url: Option<String>,
    /// Opening hours per locale.
    #[serde(default)]
    pub hours: BTreeMap<String, String>,
}

impl SupportConfig {
    /// The phone number as a `tel:` target: digits and a leading `+` only.
    pub fn phone_link(&self) -> Option<String> {
        self.phone.as_ref().map(|phone| {
            phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect()
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalConfig {
    pub imprint: String,
    pub privacy: String,
    pub terms: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedConfig {
    /// Origins allowed to frame the portal (CSP `frame-ancestors`).
    #[serde(default)]
    pub allow: Vec<String>,
}
