//! The sign-in code e-mail, branded per tenant: HTML and text rendered from the theme's
//! `emails/login-code.html` and `emails/login-code.txt`, with the tenant's strings, name, colours
//! and support channel, in the customer's locale.

use std::collections::BTreeMap;
use std::sync::Arc;

use lettre::message::Mailbox;
use minijinja::Value;
use minijinja::context;

use super::Mail;
use crate::diagnostics::Diagnostic;
use crate::edge::sites::PlanSite;
use crate::theme::StringMap;

pub const LOGIN_CODE_TEMPLATES: [&str; 2] = ["emails/login-code.html", "emails/login-code.txt"];

/// The message carrying `code` to `to`, valid for `minutes`.
pub fn login_code_mail(
    site: &PlanSite,
    from: &Mailbox,
    to: &str,
    locale: &str,
    code: &str,
    minutes: i64,
) -> Result<Mail, Diagnostic> {
    let tenant = &site.tenant;
    let config = &tenant.config;
    let locale = if config.locales.available.iter().any(|l| l == locale) {
        locale
    } else {
        config.locales.default.as_str()
    };
    let own: BTreeMap<String, Arc<StringMap>> = config
        .strings
        .iter()
        .map(|(l, map)| (l.clone(), Arc::new(map.clone())))
        .collect();
    let strings = Arc::new(site.theme.string_table(tenant, locale, &own));
    let colors = &config.brand.colors;
    let ctx = context! {
        lang => locale,
        strings => Value::from_dyn_object(strings.clone()),
        org => context! { name => &config.organization.name },
        plan => context! { slug => &site.slug, name => &site.plan_name },
        brand => context! { primary => &colors.primary, on_primary => &colors.on_primary },
        code => code,
        minutes => minutes,
        support => context! {
            email => &config.support.email,
            phone => &config.support.phone,
            url => &config.support.url,
        },
    };
    let render = |name: &str| {
        site.theme
            .templates
            .render(&tenant.id, name, ctx.clone())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let html = render(LOGIN_CODE_TEMPLATES[0])?;
    let text = render(LOGIN_CODE_TEMPLATES[1])?;
    let subject = strings
        .get("email.login_code.subject")
        .map(|s| {
            crate::theme::interpolate(s, |name| {
                (name == "org").then(|| config.organization.name.clone())
            })
        })
        .unwrap_or_else(|| config.organization.name.clone());
    let to = to
        .parse::<Mailbox>()
        .map_err(|e| Diagnostic::error(format!("not a mail address: {e}")))?;
    let reply_to = config.support.email.parse::<Mailbox>().ok();
    let from = Mailbox::new(Some(config.organization.name.clone()), from.email.clone());
    Ok(Mail {
        label: format!(
            "sign-in code for {} on {}",
            super::masked_address(&to.email.to_string()),
            site.slug
        ),
        from,
        reply_to,
        to,
        subject,
        text,
        html,
    })
}
