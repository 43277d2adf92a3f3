//! Per-organization template overrides: `tenants/<org>/templates/<name>.html`.

mod common;

use common::*;

const MARKER: &str = "Nordwatt-Fußzeile";

#[test]
fn footer_override_changes_only_its_organization() {
    let ws = workspace();
    let theme_footer = "themes/default/templates/partials/footer.html";
    assert!(
        ws.exists(theme_footer),
        "the theme has the partial being overridden"
    );
    ws.build_ok();
    let before = ws.snapshot("dist");

    let footer = ws.read(theme_footer).replace(
        "<footer class=\"site-footer\">",
        &format!("<footer class=\"site-footer\">\n<p class=\"site-footer__note\">{MARKER} {{{{ org.name }}}}</p>"),
    );
    assert!(footer.contains(MARKER));
    ws.write("tenants/nordwatt/templates/partials/footer.html", &footer);

    let json = ws.build_ok();
    let statuses = statuses(&json);
    assert_eq!(statuses["nordwatt"], "built");
    for slug in ["lumio", "lumio-business", "solva"] {
        assert_eq!(statuses[slug], "unchanged", "{slug}");
    }
    let after = ws.snapshot("dist");
    for (path, state) in &before {
        if !path.starts_with("nordwatt/")
            && !path.starts_with(".portalgen/")
            && path != "index.json"
        {
            assert_eq!(&after[path], state, "{path} changed");
        }
    }
    let mut pages = 0;
    for slug in SLUGS {
        for file in ws
            .files(&format!("dist/{slug}"))
            .iter()
            .filter(|f| f.ends_with(".html"))
        {
            let html = ws.read(&format!("dist/{slug}/{file}"));
            if slug == "nordwatt" {
                pages += 1;
                assert!(
                    html.contains(&format!("{MARKER} Nordwatt Stadtwerke")),
                    "{slug}/{file}"
                );
                // Only the partial is replaced: the rest of the layout is the theme's.
                assert!(html.contains("class=\"site-header\""), "{slug}/{file}");
            } else {
                assert!(!html.contains(MARKER), "{slug}/{file}");
            }
        }
    }
    assert!(pages > 30);
}

#[test]
fn override_of_a_template_the_theme_lacks_is_an_error() {
    let ws = workspace();
    let file = "tenants/nordwatt/templates/partials/nope.html";
    ws.write(file, "<p>never used</p>\n");
    for command in ["check", "build"] {
        let (run, json) = ws.run_json(&[command]);
        assert_eq!(run.code, 1, "{command}: {json:#}");
        let d = diagnostic(&json, "nope.html");
        assert_eq!(
            d["message"],
            "`partials/nope.html` overrides no template of the theme"
        );
        assert_eq!(d["severity"], "error");
        assert_eq!(d["file"], file);
        assert_eq!(d["tenants"], serde_json::json!(["nordwatt"]));
        assert_eq!(statuses(&json)["nordwatt"], "failed");
    }
    assert!(!ws.exists("dist/nordwatt"));
    let text = ws.run(&["check"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stderr
            .contains("error: `partials/nope.html` overrides no template of the theme [nordwatt]"),
        "{}",
        text.stderr
    );
    assert!(text.stderr.contains(file), "{}", text.stderr);
}
