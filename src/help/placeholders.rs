//! Tenant placeholders in help articles (`{{ org.name }}`). Markdown is rendered once per locale
//! with a marker where each placeholder stood; each portal then only joins the pieces with its
//! own values.

use crate::config::TenantConfig;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    OrgName,
    PlanName,
    SupportEmail,
    SupportPhone,
    SupportPhoneLink,
    SupportUrl,
    SupportHours,
}

impl Placeholder {
    pub const ALL: [Placeholder; 7] = [
        Placeholder::OrgName,
        Placeholder::PlanName,
        Placeholder::SupportEmail,
        Placeholder::SupportPhone,
        Placeholder::SupportPhoneLink,
        Placeholder::SupportUrl,
        Placeholder::SupportHours,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placeholder::OrgName => "org.name",
            Placeholder::PlanName => "plan.name",
            Placeholder::SupportEmail => "support.email",
            Placeholder::SupportPhone => "support.phone",
            Placeholder::SupportPhoneLink => "support.phone_link",
            Placeholder::SupportUrl => "support.url",
            Placeholder::SupportHours => "support.hours",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// The values one portal fills in; absent ones are empty.
#[derive(Debug, Clone)]
pub struct PlaceholderValues([String; 7]);

impl PlaceholderValues {
    pub fn for_plan(tenant: &TenantConfig, plan_name: &str, locale: &str) -> Self {
        let c = &tenant.config;
        let hours = c
            .support
            .hours
            .get(locale)
            .or_else(|| c.support.hours.get(&c.locales.default));
        PlaceholderValues([
            c.organization.name.clone(),
            plan_name.to_owned(),
            c.support.email.clone(),
            c.support.phone.clone().unwrap_or_default(),
            c.support.phone_link().unwrap_or_default(),
            c.support.url.clone().unwrap_or_default(),
            hours.cloned().unwrap_or_default(),
        ])
    }

    #[cfg(test)]
    pub fn for_tests() -> Self {
        PlaceholderValues([
            "Org".into(),
            "Plan".into(),
            "hilfe@x.example".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ])
    }

    fn get(&self, placeholder: Placeholder) -> &str {
        &self.0[placeholder.index()]
    }
}

/// A `{{ name }}` found in source text.
#[derive(Debug)]
pub struct UnknownPlaceholder {
    pub name: String,
    /// Byte offset in the searched text.
    pub offset: usize,
}

// Markers are plain letters and digits, which markdown leaves alone in text and in link targets
// alike; the letter mix makes a clash with real text practically impossible.
pub(super) const OPEN: &str = "qzPH";
pub(super) const CLOSE: &str = "Hzq";

/// Replaces every `{{ name }}` in `text` with a marker that `Templated::parse_marked` finds again.
pub fn mark(text: &str) -> Result<String, UnknownPlaceholder> {
    if let Some(offset) = text.find(OPEN) {
        return Err(UnknownPlaceholder {
            name: OPEN.to_owned(),
            offset,
        });
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        let name = rest[open + 2..open + close].trim();
        let placeholder = Placeholder::from_name(name).ok_or_else(|| UnknownPlaceholder {
            name: name.to_owned(),
            offset: consumed + open,
        })?;
        out.push_str(&rest[..open]);
        out.push_str(OPEN);
        out.push_str(&placeholder.index().to_string());
        out.push_str(CLOSE);
        consumed += open + close + 2;
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[derive(Debug, Clone)]
enum Segment {
    Text(String),
    Value(Placeholder),
}

/// Text with placeholders, ready to be filled for one portal.
#[derive(Debug, Clone, Default)]
pub struct Templated(Vec<Segment>);

impl Templated {
    /// Splits text that went through `mark` (and possibly markdown rendering) at its markers.
    pub fn parse_marked(text: &str) -> Self {
        let mut segments = Vec::new();
        let mut rest = text;
        loop {
            let next = [
                (OPEN.to_string(), CLOSE.to_string()),
                ("%01".to_owned(), "%02".to_owned()),
            ]
            .into_iter()
            .filter_map(|(open, close)| rest.find(&open).map(|at| (at, open, close)))
            .min_by_key(|(at, _, _)| *at);
            let Some((at, open, close)) = next else { break };
            let after = &rest[at + open.len()..];
            let Some(end) = after.find(&close) else { break };
            let Some(placeholder) = after[..end]
                .parse::<usize>()
                .ok()
                .and_then(|i| Placeholder::ALL.get(i))
            else {
                break;
            };
            if at > 0 {
                segments.push(Segment::Text(rest[..at].to_owned()));
            }
            segments.push(Segment::Value(*placeholder));
            rest = &after[end + CLOSE.len()..];
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_owned()));
        }
        Templated(segments)
    }

    /// Plain text with `{{ name }}` placeholders (front matter titles).
    pub fn parse_plain(text: &str) -> Result<Self, UnknownPlaceholder> {
        mark(text).map(|marked| Self::parse_marked(&marked))
    }

    /// Fills the placeholders; `html` escapes the values for HTML text and attributes.
    pub fn fill(&self, values: &PlaceholderValues, html: bool) -> String {
        // Sized up front: article bodies are kilobytes, grown piece by piece they reallocate often.
        let size = self
            .0
            .iter()
            .map(|segment| match segment {
                Segment::Text(text) => text.len(),
                Segment::Value(p) => values.get(*p).len(),
            })
            .sum();
        let mut out = String::with_capacity(size);
        for segment in &self.0 {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Value(p) if html => {
                    let _ = push_escaped(&mut out, values.get(*p));
                }
                Segment::Value(p) => out.push_str(values.get(*p)),
            }
        }
        out
    }
}

/// Appends `text` escaped for HTML text and attribute values.
pub fn push_escaped<W: std::fmt::Write>(out: &mut W, text: &str) -> std::fmt::Result {
    let mut last = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.write_str(&text[last..i])?;
        out.write_str(entity)?;
        last = i + 1;
    }
    out.write_str(&text[last..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_survive_and_fill() {
        let marked = mark("Mail {{ support.email }} or {{org.name}}!").unwrap();
        let t = Templated::parse_marked(&marked);
        let values = PlaceholderValues(std::array::from_fn(|i| format!("<v{i}>")));
        assert_eq!(t.fill(&values, false), "Mail <v2> or <v0>!");
        assert_eq!(t.fill(&values, true), "Mail &lt;v2&gt; or &lt;v0&gt;!");
    }

    #[test]
    fn unknown_placeholder_is_reported_with_offset() {
        let err = mark("Hi {{ org.name }} {{ org.nmae }}").unwrap_err();
        assert_eq!(err.name, "org.nmae");
        assert_eq!(err.offset, 18);
    }
}
