//! Checks a parsed tenant file for what types alone cannot say: valid slugs, colours and lengths,
//! existing files, https links, consistent locales.

use std::path::Path;

use lightningcss::traits::Parse;
use lightningcss::values::color::CssColor;
use lightningcss::values::length::LengthPercentage;

use super::tenant::TenantFile;
use super::yaml;
use crate::diagnostics::{Diagnostic, Diagnostics};

/// Reports problems against one tenant file, located by key path.
struct Reporter<'a> {
    file: &'a Path,
    source: &'a str,
    tenant: &'a str,
    diagnostics: Diagnostics,
}

impl Reporter<'_> {
    fn error(&mut self, key_path: &str, message: impl Into<String>, expected: &str) {
        self.diagnostics.push(
            Diagnostic::error(message)
                .at(yaml::location_of(self.file, self.source, key_path))
                .key(key_path)
                .expected(expected)
                .tenant(self.tenant),
        );
    }
}

pub const IMAGE_EXTENSIONS: &[&str] = &["svg", "png", "webp", "jpg", "jpeg"];
pub const FAVICON_EXTENSIONS: &[&str] = &["svg", "png", "ico"];
pub const FONT_EXTENSIONS: &[&str] = &["woff2", "woff", "ttf", "otf"];

/// Validates `tenant` (parsed from `file`); `tenants_dir` is where its asset paths start.
pub fn validate_tenant(
    tenant_id: &str,
    tenant: &TenantFile,
    file: &Path,
    source: &str,
    tenants_dir: &Path,
) -> Diagnostics {
    let mut r = Reporter {
        file,
        source,
        tenant: tenant_id,
        diagnostics: Diagnostics::default(),
    };

    if tenant.organization.name.trim().is_empty() {
        r.error(
            "organization.name",
            "the organization name is empty",
            "a name",
        );
    }
    if tenant.plans.is_empty() {
        r.error(
            "plans",
            "no plans are listed",
            "at least one plan with a slug and a name",
        );
    }
    for (i, plan) in tenant.plans.iter().enumerate() {
        if let Err(why) = check_dns_label(&plan.slug) {
            r.error(
                &format!("plans[{i}].slug"),
                format!("`{}` is not a valid plan slug: {why}", plan.slug),
                "a DNS label: 1–63 characters a–z, 0–9 and '-', not starting or ending with '-'",
            );
        }
        if plan.name.trim().is_empty() {
            r.error(
                &format!("plans[{i}].name"),
                "the plan name is empty",
                "a display name",
            );
        }
        if let Some(domain) = &plan.domain {
            if domain.split('.').count() < 2
                || domain.split('.').any(|l| check_dns_label(l).is_err())
            {
                r.error(
                    &format!("plans[{i}].domain"),
                    format!("`{domain}` is not a valid domain name"),
                    "a host name such as portal.example.com",
                );
            }
        }
    }

    for (key, value) in tenant.brand.colors.entries() {
        if CssColor::parse_string(value).is_err() {
            r.error(
                &format!("brand.colors.{key}"),
                format!("`{value}` is not a CSS colour"),
                "a CSS colour such as \"#0a6cff\", \"rgb(10 108 255)\" or \"teal\"",
            );
        }
    }
    if LengthPercentage::parse_string(&tenant.brand.radius).is_err() {
        r.error(
            "brand.radius",
            format!("`{}` is not a CSS length", tenant.brand.radius),
            "a CSS length such as 8px or 0.5rem",
        );
    }
    check_file(
        &mut r,
        tenants_dir,
        "brand.logo",
        &tenant.brand.logo,
        IMAGE_EXTENSIONS,
    );
    check_file(
        &mut r,
        tenants_dir,
        "brand.favicon",
        &tenant.brand.favicon,
        FAVICON_EXTENSIONS,
    );
    for (role, family) in tenant.brand.fonts.entries() {
        if !is_safe_font_family(&family.family) {
            r.error(
                &format!("brand.fonts.{role}.family"),
                format!("`{}` is not a usable font family name", family.family),
                "letters, digits, spaces and '-'",
            );
        }
        if family.files.is_empty() {
            r.error(
                &format!("brand.fonts.{role}.files"),
                "no font files listed",
                "one or more files",
            );
        }
        for (i, font) in family.files.iter().enumerate() {
            let key = format!("brand.fonts.{role}.files[{i}].path");
            check_file(&mut r, tenants_dir, &key, &font.path, FONT_EXTENSIONS);
        }
    }

    let locales = &tenant.locales;
    if locales.available.is_empty() {
        r.error(
            "locales.available",
            "no locales are listed",
            "at least one locale, e.g. [de, en]",
        );
    }
    for (i, code) in locales.available.iter().enumerate() {
        if !is_locale_code(code) {
            r.error(
                &format!("locales.available[{i}]"),
                format!("`{code}` is not a locale code"),
                "a language code such as de, en or de-AT",
            );
        } else if locales.available[..i].contains(code) {
            r.error(
                &format!("locales.available[{i}]"),
                format!("`{code}` is listed twice"),
                "each locale once",
            );
        }
    }
    if !locales.available.contains(&locales.default) {
        r.error(
            "locales.default",
            format!(
                "the default locale `{}` is not in locales.available",
                locales.default
            ),
            &format!("one of {}", locales.available.join(", ")),
        );
    }

    if !is_email(&tenant.support.email) {
        r.error(
            "support.email",
            format!("`{}` is not an e-mail address", tenant.support.email),
            "name@domain",
        );
    }
    if let Some(phone) = &tenant.support.phone {
        if tenant
            .support
            .phone_link()
            .is_none_or(|digits| digits.len() < 4)
            || !is_phone(phone)
        {
            r.error(
                "support.phone",
                format!("`{phone}` is not a phone number"),
                "digits, spaces, '+', '-', '/', '(' and ')'",
            );
        }
    }
    let mut links: Vec<(&str, &str)> = vec![
        ("legal.imprint", tenant.legal.imprint.as_str()),
        ("legal.privacy", tenant.legal.privacy.as_str()),
    ];
    links.extend(
        tenant
            .legal
            .terms
            .as_deref()
            .map(|url| ("legal.terms", url)),
    );
    links.extend(
        tenant
            .support
            .url
            .as_deref()
            .map(|url| ("support.url", url)),
    );
    for (key, url) in links {
        if !is_https_url(url) {
            r.error(
                key,
                format!("`{url}` is not an https URL"),
                "an absolute URL starting with https://",
            );
        }
    }
    for locale in tenant.support.hours.keys() {
        if !locales.available.contains(locale) {
            r.error(
                &format!("support.hours.{locale}"),
                format!("`{locale}` is not one of the tenant's locales"),
                &format!("one of {}", locales.available.join(", ")),
            );
        }
    }
    for (i, origin) in tenant.embed.allow.iter().enumerate() {
        if !is_frame_origin(origin) {
            r.error(
                &format!("embed.allow[{i}]"),
                format!("`{origin}` is not an https origin"),
                "scheme and host only, e.g. https://www.example.com or https://*.example.com",
            );
        }
    }
    for locale in tenant.strings.keys() {
        if !locales.available.contains(locale) {
            r.error(
                &format!("strings.{locale}"),
                format!(
                    "string overrides for `{locale}`, which is not one of the tenant's locales"
                ),
                &format!("one of {}", locales.available.join(", ")),
            );
        }
    }
    r.diagnostics
}

fn check_file(r: &mut Reporter<'_>, base: &Path, key: &str, path: &Path, extensions: &[&str]) {
    let escapes = path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if escapes {
        r.error(
            key,
            format!("`{}` points outside the tenants folder", path.display()),
            "a path relative to the tenants folder",
        );
    } else if !extension
        .as_deref()
        .is_some_and(|e| extensions.contains(&e))
    {
        r.error(
            key,
            format!("`{}` has an unsupported file type", path.display()),
            &format!("a .{} file", extensions.join(", .")),
        );
    } else if !base.join(path).is_file() {
        r.error(
            key,
            format!("file `{}` does not exist", base.join(path).display()),
            "an existing file, relative to the tenants folder",
        );
    }
}

/// RFC 1123 label, lower case only so that slugs map one-to-one onto host names.
pub fn check_dns_label(label: &str) -> Result<(), &'static str> {
    if label.is_empty() {
        return Err("it is empty");
    }
    if label.len() > 63 {
        return Err("it is longer than 63 characters");
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("only lower-case letters a–z, digits and '-' are allowed");
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err("it starts or ends with '-'");
    }
    Ok(())
}

/// `de`, `en`, `de-AT`.
pub fn is_locale_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let language = parts.next().unwrap_or_default();
    let region = parts.next();
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
        && parts.next().is_none()
}

fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"'(),;:\\[]".contains(c))
}

fn is_phone(phone: &str) -> bool {
    phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-/()".contains(c))
}

fn is_https_url(url: &str) -> bool {
    url.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty()
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
    })
}

fn is_frame_origin(origin: &str) -> bool {
    let Some(host_port) = origin.strip_prefix("https://") else {
        return false;
    };
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
    let host = host.strip_prefix("*.").unwrap_or(host);
    host.contains('.')
        && host
            .split('.')
            .all(|l| check_dns_label(&l.to_ascii_lowercase()).is_ok())
        && port.bytes().all(|b| b.is_ascii_digit())
}

fn is_safe_font_family(family: &str) -> bool {
    !family.trim().is_empty()
        && family
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(check_dns_label("lumio-business").is_ok());
        assert!(check_dns_label("a1").is_ok());
        assert!(check_dns_label("Lumio").is_err());
        assert!(check_dns_label("-lumio").is_err());
        assert!(check_dns_label("lu_mio").is_err());
        assert!(check_dns_label(&"a".repeat(64)).is_err());
    }

    #[test]
    fn origins() {
        assert!(is_frame_origin("https://www.lumio.example"));
        assert!(is_frame_origin("https://*.lumio.example:8443"));
        assert!(!is_frame_origin("http://www.lumio.example"));
        assert!(!is_frame_origin("https://www.lumio.example/path"));
    }
}
