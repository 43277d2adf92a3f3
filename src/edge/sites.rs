//! The portals the edge answers for, found by the request's Host header: the plan slug through
//! the domain pattern (`{slug}.customerportal.energy` by default), a plan's own domain, or
//! `{slug}.localhost` for local use. Never from anything else the client sends.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::TenantConfig;
use crate::theme::Theme;
use crate::workspace::Workspace;

/// One portal: a plan slug with its organization's configuration and theme.
#[derive(Debug)]
pub struct PlanSite {
    pub slug: String,
    pub plan_name: String,
    pub tenant: TenantConfig,
    pub theme: Arc<Theme>,
}

/// `{slug}.example.com`: where the slug sits in a host name.
#[derive(Debug, Clone)]
pub struct DomainPattern {
    prefix: String,
    suffix: String,
}

impl DomainPattern {
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let pattern = pattern.to_ascii_lowercase();
        match pattern.split_once("{slug}") {
            Some((prefix, suffix)) if !suffix.contains("{slug}") && !suffix.is_empty() => {
                Ok(DomainPattern {
                    prefix: prefix.to_owned(),
                    suffix: suffix.to_owned(),
                })
            }
            _ => Err(format!(
                "`{pattern}` is not a domain pattern: expected one `{{slug}}` followed by a domain, e.g. {{slug}}.customerportal.energy"
            )),
        }
    }

    fn slug_of<'h>(&self, host: &'h str) -> Option<&'h str> {
        host.strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())
            .filter(|slug| !slug.is_empty() && !slug.contains('.'))
    }

    pub fn host_of(&self, slug: &str) -> String {
        format!("{}{slug}{}", self.prefix, self.suffix)
    }
}

/// How a request reached a portal.
#[derive(Debug, Clone)]
pub struct Visit {
    pub site: Arc<PlanSite>,
    /// Plain-HTTP local development (`{slug}.localhost`): no `Secure` cookies, no HSTS.
    pub local: bool,
    /// `scheme://host[:port]` of the request, as the browser sees it.
    pub origin: String,
}

#[derive(Debug)]
pub struct Sites {
    by_slug: BTreeMap<String, Arc<PlanSite>>,
    /// A plan's own domain → its slug.
    by_domain: BTreeMap<String, String>,
    pattern: DomainPattern,
}

impl Sites {
    /// Every plan of every organization that loaded without errors.
    pub fn from_workspace(workspace: &Workspace, pattern: DomainPattern) -> Sites {
        let mut by_slug = BTreeMap::new();
        let mut by_domain = BTreeMap::new();
        for tenant in workspace
            .tenants
            .iter()
            .filter(|t| !workspace.failed_orgs.contains(&t.id))
        {
            let Some(theme) = workspace.themes.get(&tenant.config.theme) else {
                continue;
            };
            for plan in &tenant.config.plans {
                if let Some(domain) = &plan.domain {
                    by_domain.insert(domain.to_ascii_lowercase(), plan.slug.clone());
                }
                let site = PlanSite {
                    slug: plan.slug.clone(),
                    plan_name: plan.name.clone(),
                    tenant: tenant.clone(),
                    theme: theme.clone(),
                };
                by_slug.insert(plan.slug.clone(), Arc::new(site));
            }
        }
        Sites {
            by_slug,
            by_domain,
            pattern,
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<PlanSite>> {
        self.by_slug.values()
    }

    pub fn get(&self, slug: &str) -> Option<&Arc<PlanSite>> {
        self.by_slug.get(slug)
    }

    /// The portal a Host header names, if any.
    pub fn visit(&self, host_header: &str) -> Option<Visit> {
        let host_header = host_header.trim().to_ascii_lowercase();
        let host = match host_header.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => host_header.as_str(),
        };
        let (slug, local) = match host.strip_suffix(".localhost") {
            Some(slug) => (slug, true),
            None => match self.by_domain.get(host) {
                Some(slug) => (slug.as_str(), false),
                None => (self.pattern.slug_of(host)?, false),
            },
        };
        let site = self.by_slug.get(slug)?.clone();
        let scheme = if local { "http" } else { "https" };
        Some(Visit {
            site,
            local,
            origin: format!("{scheme}://{host_header}"),
        })
    }

    /// The public address of a portal: `https://` on its domain, or the local address when the
    /// edge runs on this machine (`local_port`).
    pub fn url(&self, slug: &str, local_port: Option<u16>) -> String {
        match local_port {
            Some(port) => format!("http://{slug}.localhost:{port}"),
            None => {
                let own = self
                    .by_domain
                    .iter()
                    .find(|(_, s)| *s == slug)
                    .map(|(d, _)| d.clone());
                format!(
                    "https://{}",
                    own.unwrap_or_else(|| self.pattern.host_of(slug))
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_finds_the_slug_and_nothing_else() {
        let pattern = DomainPattern::parse("{slug}.customerportal.energy").unwrap();
        assert_eq!(
            pattern.slug_of("lumio.customerportal.energy"),
            Some("lumio")
        );
        assert_eq!(pattern.slug_of("a.lumio.customerportal.energy"), None);
        assert_eq!(pattern.slug_of("customerportal.energy"), None);
        assert_eq!(pattern.slug_of("lumio.customerportal.energy.evil"), None);
        assert!(DomainPattern::parse("customerportal.energy").is_err());
        assert!(DomainPattern::parse("{slug}").is_err());
    }
}
