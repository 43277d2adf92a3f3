//! Bad input: each problem is reported with its message, file, line and column, in text mode
//! (rustc-style on stderr) and in the JSON report, with exit code 1.

mod common;

use common::*;
use serde_json::Value;

/// 1-based column of `needle` in `line`, in characters.
fn column_of(line: &str, needle: &str) -> u64 {
    let at = line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {line:?}"));
    line[..at].chars().count() as u64 + 1
}

/// Asserts the location fields of a JSON diagnostic.
fn assert_at(d: &Value, file: &str, line: usize, column: Option<u64>) {
    assert_eq!(d["file"], file, "{d:#}");
    assert_eq!(d["line"], line as u64, "{d:#}");
    if let Some(column) = column {
        assert_eq!(d["column"], column, "{d:#}");
    }
}

/// Asserts that stderr has a rustc-style error with this title followed by ` --> location`.
fn assert_text_error(run: &Run, title: &str, location: &str) {
    let lines: Vec<&str> = run.stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == format!("error: {title}"))
        .unwrap_or_else(|| panic!("no `error: {title}` in stderr:\n{}", run.stderr));
    assert_eq!(
        lines[at + 1].trim_start(),
        format!("--> {location}"),
        "stderr:\n{}",
        run.stderr
    );
}

/// `check` in text mode and in JSON mode; both must exit 1.
fn check_both(ws: &Workspace) -> (Run, Value) {
    let text = ws.run(&["check"]);
    assert_eq!(
        text.code, 1,
        "stdout: {}\nstderr: {}",
        text.stdout, text.stderr
    );
    let (run, json) = ws.run_json(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(json["ok"], false);
    assert_eq!(json["command"], "check");
    (text, json)
}

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let ws = workspace();
    let bad = "  phone: +49 40: 5550";
    let line = ws.replace_line("tenants/nordwatt.yaml", "  phone:", bad);
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "invalid YAML");
    assert_eq!(d["severity"], "error");
    assert_at(
        d,
        "tenants/nordwatt.yaml",
        line,
        Some(column_of(bad, ": 5550")),
    );
    assert_eq!(d["tenants"], serde_json::json!(["nordwatt"]));
    assert_eq!(
        json["failed_tenant_files"],
        serde_json::json!(["tenants/nordwatt.yaml"])
    );
    assert_eq!(json["errors"], 1);
    // The other tenants are still checked.
    let statuses = statuses(&json);
    assert_eq!(
        statuses.keys().collect::<Vec<_>>(),
        ["lumio", "lumio-business", "solva"]
    );
    assert!(statuses.values().all(|s| s == "checked"), "{statuses:?}");
    let title = format!("{} [nordwatt]", d["message"].as_str().unwrap());
    assert_text_error(&text, &title, &format!("tenants/nordwatt.yaml:{line}:16"));
    assert!(
        text.stderr.contains(bad),
        "snippet line missing:\n{}",
        text.stderr
    );
    assert!(
        text.stdout.contains("1 tenant file(s) unusable"),
        "{}",
        text.stdout
    );
}

#[test]
fn unknown_key_names_the_field_key_path_line_and_column() {
    let ws = workspace();
    let line = ws.replace_line(
        "tenants/nordwatt.yaml",
        "  colors:",
        "  colour: \"#ff0000\"\n  colors:",
    );
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "unknown field");
    assert_eq!(d["message"], "unknown field `colour`");
    assert_eq!(d["key_path"], "brand.colour");
    assert_at(d, "tenants/nordwatt.yaml", line, Some(3));
    assert!(
        d["expected"].as_str().unwrap().contains("`colors`"),
        "{d:#}"
    );
    assert_text_error(
        &text,
        "unknown field `colour` [nordwatt]",
        &format!("tenants/nordwatt.yaml:{line}:3"),
    );
    let stderr = &text.stderr;
    assert!(
        stderr.contains(&format!("{line} |   colour: \"#ff0000\"")),
        "{stderr}"
    );
    assert!(stderr.contains("note: key: brand.colour"), "{stderr}");
    assert!(
        stderr.contains("help: expected one of `colors`"),
        "{stderr}"
    );
}

#[test]
fn wrong_type_names_key_and_expected_type() {
    let ws = workspace();
    let line = ws.replace_line("tenants/nordwatt.yaml", "  radius:", "  radius: [4]");
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "invalid type");
    assert_eq!(d["message"], "invalid type: sequence");
    assert_eq!(d["key_path"], "brand.radius");
    assert_eq!(d["expected"], "a string");
    assert_at(d, "tenants/nordwatt.yaml", line, Some(11));
    assert_text_error(
        &text,
        "invalid type: sequence [nordwatt]",
        &format!("tenants/nordwatt.yaml:{line}:11"),
    );
    assert!(text.stderr.contains("note: key: brand.radius"));
    assert!(text.stderr.contains("help: expected a string"));
}

#[test]
fn duplicate_slug_reports_both_locations() {
    let ws = workspace();
    let lumio_line = ws
        .read("tenants/lumio.yaml")
        .lines()
        .position(|l| l == "  - slug: lumio-business")
        .unwrap()
        + 1;
    let nordwatt_line = ws.replace_line(
        "tenants/nordwatt.yaml",
        "  - slug: nordwatt",
        "  - slug: lumio-business",
    );
    let (text, json) = check_both(&ws);
    let dups: Vec<&Value> = diagnostics(&json)
        .iter()
        .filter(|d| d["message"] == "duplicate plan slug `lumio-business`")
        .collect();
    assert_eq!(dups.len(), 2, "{:#}", json["diagnostics"]);
    let lumio = dups
        .iter()
        .find(|d| d["file"] == "tenants/lumio.yaml")
        .expect("lumio.yaml reported");
    let nordwatt = dups
        .iter()
        .find(|d| d["file"] == "tenants/nordwatt.yaml")
        .expect("nordwatt.yaml reported");
    assert_at(lumio, "tenants/lumio.yaml", lumio_line, Some(11));
    assert_eq!(lumio["key_path"], "plans[1].slug");
    assert_at(nordwatt, "tenants/nordwatt.yaml", nordwatt_line, Some(11));
    assert_eq!(nordwatt["key_path"], "plans[0].slug");
    // Each names the other place too.
    for d in &dups {
        let expected = d["expected"].as_str().unwrap();
        assert!(
            expected.contains(&format!("tenants/lumio.yaml:{lumio_line}")),
            "{expected}"
        );
        assert!(
            expected.contains(&format!("tenants/nordwatt.yaml:{nordwatt_line}")),
            "{expected}"
        );
    }
    // Both files parsed, so their slugs are known: every plan of both organizations is
    // reported as failed, the untouched organization still checks.
    assert_eq!(json["failed_tenant_files"].as_array().unwrap().len(), 0);
    let status = statuses(&json);
    for slug in ["lumio", "lumio-business"] {
        assert_eq!(status[slug], "failed", "{status:?}");
    }
    assert_eq!(status["solva"], "checked", "{status:?}");
    assert_text_error(
        &text,
        "duplicate plan slug `lumio-business` [lumio]",
        &format!("tenants/lumio.yaml:{lumio_line}:11"),
    );
    assert_text_error(
        &text,
        "duplicate plan slug `lumio-business` [nordwatt]",
        &format!("tenants/nordwatt.yaml:{nordwatt_line}:11"),
    );
}

#[test]
fn slug_must_be_a_dns_label() {
    let ws = workspace();
    let line = ws.replace_line(
        "tenants/nordwatt.yaml",
        "  - slug: nordwatt",
        "  - slug: Lumio_X",
    );
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "Lumio_X");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .starts_with("`Lumio_X` is not a valid plan slug"),
        "{d:#}"
    );
    assert_eq!(d["key_path"], "plans[0].slug");
    assert_at(d, "tenants/nordwatt.yaml", line, Some(11));
    assert!(d["expected"].as_str().unwrap().contains("DNS label"));
    let title = format!("{} [nordwatt]", d["message"].as_str().unwrap());
    assert_text_error(&text, &title, &format!("tenants/nordwatt.yaml:{line}:11"));
}

#[test]
fn missing_logo_names_the_path() {
    let ws = workspace();
    let line = ws.replace_line(
        "tenants/nordwatt.yaml",
        "  logo:",
        "  logo: nordwatt/missing.svg",
    );
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "missing.svg");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("tenants/nordwatt/missing.svg"),
        "{d:#}"
    );
    assert_eq!(d["key_path"], "brand.logo");
    assert_at(d, "tenants/nordwatt.yaml", line, Some(9));
    let title = format!("{} [nordwatt]", d["message"].as_str().unwrap());
    assert_text_error(&text, &title, &format!("tenants/nordwatt.yaml:{line}:9"));
}

#[test]
fn undefined_template_variable_names_template_file_and_line() {
    let ws = workspace();
    let file = "themes/default/templates/partials/footer.html";
    let bad = r#"<footer class="site-footer"><p>{{ suport.email }}</p>"#;
    let line = ws.replace_line(file, "<footer", bad);
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "suport");
    assert!(
        d["message"].as_str().unwrap().contains("undefined"),
        "{d:#}"
    );
    assert_at(d, file, line, Some(column_of(bad, "suport")));
    let mut tenants: Vec<&str> = d["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    tenants.sort();
    assert_eq!(tenants, SLUGS);
    assert!(statuses(&json).values().all(|s| s == "failed"));
    assert_eq!(json["errors"], 1, "reported once for all pages and tenants");
    assert!(
        text.stderr.contains(&format!("--> {file}:{line}:")),
        "{}",
        text.stderr
    );
    assert!(
        text.stderr.contains(bad),
        "snippet line missing:\n{}",
        text.stderr
    );
}

#[test]
fn template_syntax_error_names_template_file_and_line() {
    let ws = workspace();
    let file = "themes/default/templates/routes/orders.html";
    let line = ws.append_line(file, "{% if %}oops{% endif %}");
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "syntax error");
    assert_at(d, file, line, None);
    assert!(
        text.stderr.contains(&format!("--> {file}:{line}:")),
        "{}",
        text.stderr
    );
    // A broken theme template fails every tenant of the theme, in build too, writing nothing.
    let (run, json) = ws.run_json(&["build"]);
    assert_eq!(run.code, 1);
    assert!(statuses(&json).values().all(|s| s == "failed"));
    assert_eq!(json["files_written"], 0);
    assert!(!ws.exists("dist/lumio"));
}

#[test]
fn unknown_icon_names_the_icon_the_sprite_and_the_template_line() {
    let ws = workspace();
    let file = "themes/default/templates/404.html";
    let line = ws.append_line(file, r#"{{ icon("lightbulb") }}"#);
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "icon(\"lightbulb\")");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("no <symbol id=\"lightbulb\"> in static/icons.svg"),
        "{d:#}"
    );
    assert_at(d, file, line, None);
    assert!(
        text.stderr.contains(&format!("--> {file}:{line}:")),
        "{}",
        text.stderr
    );
}

#[test]
fn broken_icon_sprite_names_the_sprite_file() {
    let ws = workspace();
    let file = "themes/default/static/icons.svg";
    ws.write(file, "<svg><symbol id=\"mail\"></svg>\n");
    let (_, json) = check_both(&ws);
    let d = diagnostic(&json, "icon sprite is not valid SVG");
    assert_eq!(d["file"], file, "{d:#}");
    assert!(statuses(&json).values().all(|s| s == "failed"));
}

#[test]
fn stylesheet_error_names_the_stylesheet() {
    let ws = workspace();
    let file = "themes/default/styles/layout.css";
    let line = ws.append_line(file, ":::x { color: red }");
    let (text, json) = check_both(&ws);
    let d = diagnostic(&json, "stylesheet error");
    assert_at(d, file, line, None);
    assert!(
        text.stderr.contains(&format!("--> {file}:{line}:")),
        "{}",
        text.stderr
    );
    assert!(statuses(&json).values().all(|s| s == "failed"));
}

#[test]
fn missing_translation_is_a_warning_and_falls_back() {
    let ws = workspace();
    ws.remove("help/en/contract/tariff.md");

    let (run, json) = ws.run_json(&["check"]);
    assert_eq!(run.code, 0, "{json:#}");
    assert_eq!(json["ok"], true);
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 1, "{:#}", json["diagnostics"]);
    let d = diagnostic(&json, "`tariff`");
    assert_eq!(d["severity"], "warning");
    assert!(d["message"].as_str().unwrap().contains("`en`"), "{d:#}");
    assert_eq!(d["file"], "help/de/contract/tariff.md");
    let text = ws.run(&["check"]);
    assert_eq!(text.code, 0);
    assert!(
        text.stderr.contains("warning: help article `tariff`"),
        "{}",
        text.stderr
    );

    let (run, json) = ws.run_json(&["check", "--strict"]);
    assert_eq!(run.code, 1);
    assert_eq!(json["ok"], false);
    assert_eq!(ws.run(&["check", "--strict"]).code, 1);
    assert!(!ws.exists("dist"));

    let json = ws.build_ok();
    assert_eq!(json["warnings"], 1);
    let notice = &ws.theme_strings("en")["help.fallback_notice"];
    for slug in ["lumio", "lumio-business", "nordwatt"] {
        let html = ws.read(&format!("dist/{slug}/help/en/tariff/index.html"));
        assert_eq!(html_lang(&html), "en");
        let article = start_tags(article_element(&html)).remove(0);
        assert_eq!(article.attr("lang"), Some("de"), "{slug}");
        assert!(
            article_element(&html).contains("Arbeitspreis"),
            "{slug}: German text expected"
        );
        assert!(
            unescape_html(&html).contains(notice.as_str()),
            "{slug}: no fallback notice"
        );
        // A translated article has no notice.
        let login = ws.read(&format!("dist/{slug}/help/en/login/index.html"));
        assert!(!unescape_html(&login).contains(notice.as_str()), "{slug}");
    }
    // solva's only locale is English: no text to show.
    assert!(!ws.exists("dist/solva/help/en/tariff"));
}

#[test]
fn check_writes_nothing() {
    let ws = workspace();
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("checked 4 slug(s)"),
        "{}",
        run.stdout
    );
    let (run, json) = ws.run_json(&["check"]);
    assert_eq!(run.code, 0);
    assert_eq!(json["files_written"], 0);
    assert!(statuses(&json).values().all(|s| s == "checked"));
    let mut entries: Vec<String> = std::fs::read_dir(ws.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["help", "tenants", "themes"],
        "check wrote something"
    );
}

#[test]
fn check_reports_every_problem_in_one_run() {
    let ws = workspace();
    let colour_line = ws.replace_line(
        "tenants/nordwatt.yaml",
        "  colors:",
        "  colour: red\n  colors:",
    );
    let slug_line = ws.replace_line("tenants/solva.yaml", "  - slug: solva", "  - slug: Solva_X");
    let (text, json) = check_both(&ws);
    assert_eq!(json["errors"], 2, "{:#}", json["diagnostics"]);
    assert_at(
        diagnostic(&json, "unknown field `colour`"),
        "tenants/nordwatt.yaml",
        colour_line,
        Some(3),
    );
    assert_at(
        diagnostic(&json, "Solva_X"),
        "tenants/solva.yaml",
        slug_line,
        Some(11),
    );
    // The unknown key makes nordwatt.yaml unparsable; solva.yaml parsed, so its slug is known
    // and reported as failed.
    let failed: Vec<&str> = json["failed_tenant_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(failed, ["tenants/nordwatt.yaml"]);
    assert_eq!(statuses(&json)["Solva_X"], "failed");
    assert!(
        text.stderr
            .contains(&format!("--> tenants/nordwatt.yaml:{colour_line}:3")),
        "{}",
        text.stderr
    );
    assert!(
        text.stderr
            .contains(&format!("--> tenants/solva.yaml:{slug_line}:11")),
        "{}",
        text.stderr
    );
    assert!(text.stdout.contains("2 error(s)"), "{}", text.stdout);
}

#[test]
fn unknown_tenant_option_is_an_error() {
    let ws = workspace();
    for command in ["build", "check"] {
        let (run, json) = ws.run_json(&[command, "--tenant", "nosuch"]);
        assert_eq!(run.code, 1, "{command}");
        assert_eq!(json["ok"], false);
        let d = diagnostic(&json, "nosuch");
        assert_eq!(d["message"], "no tenant has a plan with the slug `nosuch`");
        assert_eq!(
            d["expected"],
            "one of: lumio, lumio-business, nordwatt, solva"
        );
        let text = ws.run(&[command, "--tenant", "nosuch"]);
        assert_eq!(text.code, 1);
        assert!(
            text.stderr
                .contains("error: no tenant has a plan with the slug `nosuch`"),
            "{}",
            text.stderr
        );
    }
    assert!(!ws.exists("dist/nosuch"));
    assert!(SLUGS.iter().all(|s| !ws.exists(&format!("dist/{s}"))));
}
