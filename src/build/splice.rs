//! Rendering the help articles of one portal and locale: pages of one template that share every
//! value but their own (`page` path and title, `article`). Rendered in one pass where that gives
//! the same bytes as rendering each page (see `theme::group`): the frame around their `title` and
//! `main` blocks once, the blocks once per page. Otherwise, and for a group of one, each page in
//! full.
//!
//! The frame must use none of a page's own values (a probe counts every use; a tenant's templates
//! may use them anywhere), and, as a last check, the last page must come out as its full render.

use std::sync::Arc;

use minijinja::value::Value;

use super::context::{GroupProbe, OwnValues, PageContext, SharedVars};
use crate::diagnostics::Diagnostic;
use crate::theme::{SelectPage, Templates};

/// The pages of `template` for `org` with the `own` values of each, all with the same `nav`,
/// `help` and shared values.
pub fn render_group(
    templates: &Templates,
    org: &str,
    template: &str,
    nav: &Value,
    help: &Value,
    shared: &Arc<SharedVars>,
    own: Vec<OwnValues>,
) -> Vec<Result<Vec<u8>, Diagnostic>> {
    let group = Group {
        templates,
        org,
        template,
        context: &|own| PageContext::new(nav.clone(), help.clone(), shared.clone(), own),
    };
    if let Some(pages) = group.render_in_one_pass(&own) {
        return pages.into_iter().map(Ok).collect();
    }
    let mut pages = Vec::with_capacity(own.len());
    for own in own {
        pages.push(templates.render(org, template, group.page(own)));
    }
    pages
}

struct Group<'g> {
    templates: &'g Templates,
    org: &'g str,
    template: &'g str,
    /// The context of a page with its own values.
    context: &'g dyn Fn(OwnValues) -> Arc<PageContext>,
}

impl Group<'_> {
    /// The context to render a page with its own values in full.
    fn page(&self, own: OwnValues) -> Value {
        Value::from_dyn_object((self.context)(own))
    }

    /// The pages rendered in one pass; `None` for fewer than two, or where that could differ
    /// from rendering each in full.
    fn render_in_one_pass(&self, own: &[OwnValues]) -> Option<Vec<Vec<u8>>> {
        let first = own.first().filter(|_| own.len() > 1)?;
        let probe = GroupProbe::new((self.context)(first.clone()));
        let select: SelectPage = {
            let probe = probe.clone();
            let own: Arc<[OwnValues]> = own.into();
            Arc::new(move |page| probe.select(page.map(|page| own[page].clone())))
        };
        let pages = self.templates.render_group(
            self.org,
            self.template,
            Value::from_dyn_object(probe.clone()),
            own.len(),
            select,
        )?;
        if probe.frame_uses() > 0 {
            return None;
        }
        // The last page's blocks rendered after every other page's: any state they left behind
        // would show there.
        let last = self.page(own.last()?.clone());
        let last = self.templates.render(self.org, self.template, last).ok()?;
        (pages.last() == Some(&last)).then_some(pages)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use minijinja::context;

    use super::*;

    const LAYOUT: &str = "<title>{% block title %}{{ page.title }} – {{ plan }}{% endblock %}</title>\
        <body class=\"{{ page.id }}\">{% for item in nav %}<a>{{ item }}</a>{% endfor %}\
        <main>{% block main %}{% endblock %}</main><footer>{{ plan }}</footer>";
    const ARTICLE: &str = "help/article.html";
    const ARTICLE_SOURCE: &str = "{% extends \"layout.html\" %}{% block main %}\
        <h1>{{ article.title }}</h1>{% if article.id == \"b\" %}<p>special</p>{% endif %}\
        <a href=\"{{ page.path }}\">{{ help }}</a>{% endblock %}";

    fn templates(layout: &str) -> Templates {
        let mut templates = Templates::new(Arc::default(), None);
        for (name, source) in [("layout.html", layout), (ARTICLE, ARTICLE_SOURCE)] {
            templates
                .add(name.to_owned(), PathBuf::from(name), source.to_owned())
                .unwrap();
        }
        templates
    }

    fn own(id: &str) -> OwnValues {
        OwnValues {
            page: context! { id => "help-article", path => format!("/help/{id}/"), title => id.to_uppercase() },
            article: context! { id, title => format!("<{id}>") },
        }
    }

    /// Renders pages `ids` as a group and one by one in full; says whether the group took one
    /// pass.
    fn render_both(layout: &str, ids: &[&str]) -> (Vec<String>, Vec<String>, bool) {
        let templates = templates(layout);
        let shared = Arc::new(SharedVars(vec![("plan", Value::from("Plan & Co"))]));
        let nav = Value::from(vec!["x", "y"]);
        let help = Value::from("help");
        let own: Vec<OwnValues> = ids.iter().map(|id| own(id)).collect();
        let group = Group {
            templates: &templates,
            org: "org",
            template: ARTICLE,
            context: &|own| PageContext::new(nav.clone(), help.clone(), shared.clone(), own),
        };
        let one_pass = group.render_in_one_pass(&own).is_some();
        let text = |page: Vec<u8>| String::from_utf8(page).unwrap();
        let mut each = Vec::new();
        for own in &own {
            let page = templates.render("org", ARTICLE, group.page(own.clone()));
            each.push(text(page.unwrap()));
        }
        let grouped = render_group(&templates, "org", ARTICLE, &nav, &help, &shared, own)
            .into_iter()
            .map(|page| text(page.unwrap()))
            .collect();
        (grouped, each, one_pass)
    }

    #[test]
    fn pages_differing_only_in_their_blocks_share_the_frame() {
        let (grouped, full, spliced) = render_both(LAYOUT, &["a", "b", "c"]);
        assert!(spliced);
        assert_eq!(grouped, full);
        assert!(grouped[1].contains("<title>B – Plan &amp; Co</title>"));
        assert!(grouped[1].contains("<p>special</p>") && !grouped[2].contains("special"));
    }

    #[test]
    fn a_frame_using_a_pages_own_values_renders_every_page_in_full() {
        let frames = [
            LAYOUT.replace("<footer>", "<footer>{{ page.path }}"),
            LAYOUT.replace(
                "<footer>",
                "<footer>{% if article.id == \"c\" %}c{% endif %}",
            ),
            LAYOUT.replace("<footer>", "<footer>{{ page.title|length }}"),
            LAYOUT.replace(
                "<footer>",
                "<footer>{% if article is defined %}a{% endif %}",
            ),
            LAYOUT.replace("<footer>", "<footer>{{ page }}"),
            LAYOUT.replace("<footer>", "<footer>{% for k in page %}{{ k }}{% endfor %}"),
            LAYOUT.replace("<footer>", "<footer>{{ self.title() }}"),
        ];
        for layout in frames {
            let (grouped, full, spliced) = render_both(&layout, &["a", "b", "c"]);
            assert!(!spliced, "{layout}");
            assert_eq!(grouped, full, "{layout}");
        }
    }

    #[test]
    fn blocks_render_in_their_place() {
        let main = "{% block main %}{% endblock %}";
        let wrapped = [
            format!("{{% with help = \"w\" %}}{main}{{% endwith %}}"),
            format!("{{% for i in [1] %}}{main}{{% endfor %}}"),
            format!("{{% autoescape false %}}{main}{{% endautoescape %}}"),
            format!("{main}{{% set help = \"late\" %}}"),
        ];
        for wrapped in wrapped {
            let layout = LAYOUT.replace(main, &wrapped);
            let (grouped, full, spliced) = render_both(&layout, &["a", "b", "c"]);
            assert!(spliced, "{layout}");
            assert_eq!(grouped, full, "{layout}");
        }
    }

    #[test]
    fn a_block_in_a_capture_or_sharing_a_namespace_renders_every_page_in_full() {
        let main = "{% block main %}{% endblock %}";
        let layouts = [
            LAYOUT.replace(
                main,
                &format!("{{% filter replace(\"special\", \"x\") %}}{main}{{% endfilter %}}"),
            ),
            LAYOUT.replace(main, &format!("{{% set ns = namespace(n=0) %}}{main}")),
        ];
        for layout in layouts {
            let (grouped, full, spliced) = render_both(&layout, &["a", "b", "c"]);
            assert!(!spliced, "{layout}");
            assert_eq!(grouped, full, "{layout}");
        }
    }

    #[test]
    fn errors_are_those_of_the_full_render() {
        let templates = templates(LAYOUT);
        let broken = OwnValues {
            page: context! { id => "help-article", title => "T" },
            article: context! { id => "b", title => "B" },
        };
        let pages = render_group(
            &templates,
            "org",
            ARTICLE,
            &Value::from(Vec::<Value>::new()),
            &Value::from("help"),
            &Arc::new(SharedVars(vec![("plan", Value::from("P"))])),
            vec![own("a"), broken, own("c")],
        );
        assert!(pages[0].is_ok() && pages[2].is_ok());
        let error = pages[1].as_ref().unwrap_err();
        assert!(error.message.contains("undefined"), "{}", error.message);
    }
}
