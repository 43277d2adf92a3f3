//! Markdown to HTML for help articles: tables, footnotes, heading ids; raw HTML shown as text;
//! links limited to safe schemes.

use std::collections::BTreeSet;

use pulldown_cmark::{Alignment, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

use super::placeholders::{CLOSE, OPEN, Templated, mark};

#[derive(Debug, Clone)]
pub struct RenderedMarkdown {
    pub html: Templated,
    /// The first paragraph as plain text, shortened, for the index and the search index.
    pub summary: Templated,
}

/// A problem at a byte offset of the markdown body.
#[derive(Debug)]
pub struct MarkdownProblem {
    pub offset: usize,
    pub message: String,
    pub expected: String,
}

const SUMMARY_CHARS: usize = 180;

pub fn render_markdown(body: &str) -> Result<RenderedMarkdown, MarkdownProblem> {
    let marked = mark(body).map_err(|unknown| MarkdownProblem {
        offset: unknown.offset,
        message: format!("unknown placeholder `{{{{ {} }}}}`", unknown.name),
        expected: format!(
            "one of {}",
            super::placeholders::Placeholder::ALL
                .map(|p| format!("{{{{ {} }}}}", p.name()))
                .join(", ")
        ),
    })?;
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event> = Vec::new();
    for event in Parser::new_ext(&marked, options) {
        let event = match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            // Column alignment would come out as `style` attributes, which the bundle's CSP
            // forbids; the theme's stylesheet aligns table cells.
            Event::Start(Tag::Table(alignments)) => Event::Start(Tag::Table(
                alignments.iter().map(|_| Alignment::None).collect(),
            )),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if !is_safe_link(&dest_url) =>
            {
                return Err(MarkdownProblem {
                    offset: body.find(dest_url.as_ref()).unwrap_or(0),
                    message: format!("link target `{dest_url}` uses a scheme that is not allowed"),
                    expected: "a relative link or an https:, http:, mailto: or tel: URL".to_owned(),
                });
            }
            other => other,
        };
        events.push(event);
    }
    assign_heading_ids(&mut events);
    let summary = summary_text(&events);
    let mut out = String::with_capacity(marked.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    Ok(RenderedMarkdown {
        html: Templated::parse_marked(&out),
        summary: Templated::parse_marked(&summary),
    })
}

fn is_safe_link(url: &str) -> bool {
    let scheme_end = url.find(':');
    let first_separator = url.find(['/', '?', '#']);
    match scheme_end {
        Some(end) if first_separator.is_none_or(|sep| end < sep) => {
            matches!(
                url[..end].to_ascii_lowercase().as_str(),
                "https" | "http" | "mailto" | "tel"
            )
        }
        _ => true,
    }
}

/// Gives every heading without an explicit `{#id}` an id from its text, unique in the article.
fn assign_heading_ids(events: &mut [Event]) {
    let mut used: BTreeSet<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    for i in 0..events.len() {
        let Event::Start(Tag::Heading { id: None, .. }) = &events[i] else {
            continue;
        };
        let text: String = events[i + 1..]
            .iter()
            .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
            .filter_map(|e| match e {
                Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        let base = slugify(&strip_markers(&text));
        let base = if base.is_empty() {
            "section".to_owned()
        } else {
            base
        };
        let mut id = base.clone();
        let mut n = 2;
        while !used.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
            *slot = Some(CowStr::from(id));
        }
    }
}

fn strip_markers(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        rest = after
            .find(CLOSE)
            .map_or("", |end| &after[end + CLOSE.len()..]);
    }
    out.push_str(rest);
    out
}

/// Lower-case words joined by '-', keeping letters of any script (ä stays ä).
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

fn summary_text(events: &[Event]) -> String {
    let mut text = String::new();
    let mut in_paragraph = false;
    for event in events {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if !text.trim().is_empty() => break,
            Event::End(TagEnd::Paragraph) => in_paragraph = false,
            Event::Text(t) | Event::Code(t) if in_paragraph => text.push_str(t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => {}
            _ => {}
        }
    }
    shorten(text.trim(), SUMMARY_CHARS)
}

/// Cuts at a word boundary before `max` characters, adding an ellipsis; never inside a marker.
fn shorten(text: &str, max: usize) -> String {
    if strip_markers(text).chars().count() <= max {
        return text.to_owned();
    }
    // Cut at the last space before `max` characters that lies outside a marker.
    let mut cut = 0;
    let mut i = 0;
    for (count, (at, c)) in text.char_indices().enumerate() {
        if count >= max {
            break;
        }
        if at < i {
            continue;
        }
        if text[at..].starts_with(OPEN) {
            i = text[at..]
                .find(CLOSE)
                .map_or(text.len(), |end| at + end + CLOSE.len());
        } else if c == ' ' {
            cut = at;
        }
    }
    format!("{}…", text[..cut].trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::help::placeholders::PlaceholderValues;

    fn render(md: &str) -> String {
        let values = PlaceholderValues::for_tests();
        render_markdown(md).unwrap().html.fill(&values, true)
    }

    #[test]
    fn raw_html_is_escaped() {
        let html = render("Hello <script>alert(1)</script>\n\n<div onclick=x>hi</div>\n");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<div"), "{html}");
    }

    #[test]
    fn headings_get_ids_and_tables_render() {
        let html =
            render("## Grundpreis & Arbeitspreis\n\n## Own {#mine}\n\n|a|b|\n|-|-|\n|1|2|\n");
        assert!(
            html.contains(r#"<h2 id="grundpreis-arbeitspreis">"#),
            "{html}"
        );
        assert!(html.contains(r#"<h2 id="mine">"#), "{html}");
        assert!(html.contains("<table>"), "{html}");
        let aligned = render("|a|b|\n|:-|-:|\n|1|2|\n");
        assert!(!aligned.contains("style="), "{aligned}");
    }

    #[test]
    fn placeholders_fill_text_and_links() {
        let html = render("Write to [{{ support.email }}](mailto:{{ support.email }}).");
        assert!(
            html.contains(r#"<a href="mailto:hilfe@x.example">hilfe@x.example</a>"#),
            "{html}"
        );
    }

    #[test]
    fn javascript_links_are_rejected() {
        assert!(render_markdown("[x](javascript:alert(1))").is_err());
        assert!(render_markdown("[x](/help/de/login/)").is_ok());
    }
}
