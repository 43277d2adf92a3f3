//! An organization's UI strings per locale: the table its pages translate with, and the same as
//! the SPA's JSON file. Organizations without strings of their own show the theme's, which depend
//! only on the theme, the locale and the default locale: those are resolved once per build.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::files::{OutputFile, hashed_name};
use crate::config::TenantConfig;
use crate::theme::{StringMap, StringTable, Theme};

pub type LocaleStrings = (Arc<StringTable>, OutputFile);

/// Theme, locale and default locale.
type Key = (String, String, String);

/// The strings of organizations without their own, by what they depend on.
#[derive(Default)]
pub struct SharedStrings(HashMap<Key, LocaleStrings>);

impl SharedStrings {
    /// Resolves the strings every locale of `tenants` without own strings needs.
    pub fn for_tenants<'a>(
        tenants: impl IntoIterator<Item = &'a TenantConfig>,
        themes: &BTreeMap<String, Arc<Theme>>,
    ) -> Self {
        let mut shared = HashMap::new();
        for tenant in tenants {
            let Some(theme) = themes.get(&tenant.config.theme) else {
                continue;
            };
            for locale in &tenant.config.locales.available {
                if has_own_strings(tenant, locale) {
                    continue;
                }
                shared
                    .entry(key(tenant, locale))
                    .or_insert_with(|| resolve(theme, tenant, locale, &BTreeMap::new()));
            }
        }
        SharedStrings(shared)
    }
}

/// The strings of every locale of `tenant`.
pub fn org_strings(
    tenant: &TenantConfig,
    theme: &Theme,
    shared: &SharedStrings,
) -> BTreeMap<String, LocaleStrings> {
    let own: BTreeMap<String, Arc<StringMap>> = tenant
        .config
        .strings
        .iter()
        .map(|(locale, map)| (locale.clone(), Arc::new(map.clone())))
        .collect();
    tenant
        .config
        .locales
        .available
        .iter()
        .map(|locale| {
            let strings = match shared.0.get(&key(tenant, locale)) {
                Some(strings) if !has_own_strings(tenant, locale) => strings.clone(),
                _ => resolve(theme, tenant, locale, &own),
            };
            (locale.clone(), strings)
        })
        .collect()
}

fn resolve(
    theme: &Theme,
    tenant: &TenantConfig,
    locale: &str,
    own: &BTreeMap<String, Arc<StringMap>>,
) -> LocaleStrings {
    let table = theme.string_table(tenant, locale, own);
    let json = serde_json::to_vec(&table.resolved()).unwrap_or_default();
    let file = OutputFile::new(String::new(), json);
    let file = file.at(format!(
        "assets/{}",
        hashed_name(&format!("strings.{locale}.json"), &file.hash)
    ));
    (Arc::new(table), file)
}

/// Whether the tenant's strings change `locale` (its own, or the default locale's it falls back on).
fn has_own_strings(tenant: &TenantConfig, locale: &str) -> bool {
    let own = &tenant.config.strings;
    own.contains_key(locale) || own.contains_key(&tenant.config.locales.default)
}

fn key(tenant: &TenantConfig, locale: &str) -> Key {
    (
        tenant.config.theme.clone(),
        locale.to_owned(),
        tenant.config.locales.default.clone(),
    )
}
