//! Command-line options: input and output folders, `--quiet`, `--format json`, `--edge-url`.

mod common;

use std::fs;

use common::*;

#[test]
fn folder_options_are_honoured() {
    let ws = workspace();
    fs::create_dir_all(ws.path("conf")).unwrap();
    fs::create_dir_all(ws.path("look")).unwrap();
    fs::create_dir_all(ws.path("docs")).unwrap();
    fs::rename(ws.path("tenants"), ws.path("conf/tenants")).unwrap();
    fs::rename(ws.path("themes"), ws.path("look/themes")).unwrap();
    fs::rename(ws.path("help"), ws.path("docs/help")).unwrap();
    let dirs = [
        "--tenants-dir",
        "conf/tenants",
        "--themes-dir",
        "look/themes",
        "--help-dir",
        "docs/help",
        "--out",
        "public/portals",
    ];

    // Without the options there is nothing to build.
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read the tenants folder"),
        "{}",
        run.stderr
    );

    let mut check = vec!["check"];
    check.extend(dirs);
    let (run, json) = ws.run_json(&check);
    assert_eq!(run.code, 0, "{json:#}");
    assert_eq!(json["warnings"], 0);
    assert!(!ws.exists("public"));

    let mut build = vec!["build"];
    build.extend(dirs);
    let (run, json) = ws.run_json(&build);
    assert_eq!(run.code, 0, "{json:#}");
    assert!(statuses(&json).values().all(|s| s == "built"));
    assert!(!ws.exists("dist"));
    for slug in SLUGS {
        assert!(
            ws.exists(&format!("public/portals/{slug}/index.html")),
            "{slug}"
        );
        assert!(
            ws.exists(&format!("public/portals/{slug}/manifest.json")),
            "{slug}"
        );
    }
    // Tenant-relative paths and own folders follow --tenants-dir.
    assert!(ws.exists("public/portals/lumio/help/de/business-contact/index.html"));
    assert!(
        ws.read("public/portals/nordwatt/help/de/contact/index.html")
            .contains("Kundenzentrum am Hafen")
    );
    let index = ws.read_json("public/portals/index.json");
    assert_eq!(index["slugs"].as_array().unwrap().len(), 4);

    // Problems are reported with the paths as given.
    ws.replace_line(
        "conf/tenants/solva.yaml",
        "  - slug: solva",
        "  - slug: Solva_X",
    );
    let (run, json) = ws.run_json(&check);
    assert_eq!(run.code, 1);
    assert_eq!(
        diagnostic(&json, "Solva_X")["file"],
        "conf/tenants/solva.yaml"
    );
}

#[test]
fn quiet_prints_nothing_on_success_but_shows_errors() {
    let ws = workspace();
    for args in [["build", "--quiet"], ["build", "-q"], ["check", "-q"]] {
        let run = ws.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert_eq!(run.stderr, "", "{args:?}");
    }
    assert!(ws.exists("dist/solva/index.html"));

    ws.replace_line("tenants/solva.yaml", "  - slug: solva", "  - slug: Solva_X");
    let run = ws.run(&["build", "-q"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: `Solva_X` is not a valid plan slug"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_format_prints_one_valid_document() {
    let ws = workspace();
    let (run, json) = ws.run_json(&["build"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "");
    assert_eq!(json["command"], "build");
    assert_eq!(json["ok"], true);
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 0);
    assert!(json["files_written"].as_u64().unwrap() > 150);
    assert_eq!(json["files_unchanged"], 0);
    assert!(json["elapsed_ms"].is_u64());
    assert_eq!(json["failed_tenant_files"], serde_json::json!([]));
    assert_eq!(json["removed"], serde_json::json!([]));
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    let slugs = json["slugs"].as_array().unwrap();
    let listed: Vec<&str> = slugs.iter().map(|s| s["slug"].as_str().unwrap()).collect();
    assert_eq!(listed, SLUGS);
    for s in slugs {
        assert_eq!(s["status"], "built");
        assert_eq!(
            s["org"],
            if s["slug"].as_str().unwrap().starts_with("lumio") {
                "lumio"
            } else {
                s["slug"].as_str().unwrap()
            }
        );
        assert!(s["files_written"].as_u64().unwrap() > 30);
    }
    let total: u64 = slugs
        .iter()
        .map(|s| s["files_written"].as_u64().unwrap())
        .sum();
    assert_eq!(json["files_written"], total);

    let (run, json) = ws.run_json(&["check"]);
    assert_eq!(run.code, 0);
    assert_eq!(json["command"], "check");
    assert_eq!(json["ok"], true);
    assert!(statuses(&json).values().all(|s| s == "checked"));
}

#[test]
fn edge_url_option_sets_the_api_route() {
    let ws = workspace();
    let run = ws.run(&["build", "--edge-url", "https://edge.example.net/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for slug in SLUGS {
        let redirects = ws.read(&format!("dist/{slug}/_redirects"));
        assert!(
            redirects
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == ["/api/*", "https://edge.example.net/api/:splat", "200"]),
            "{slug}: {redirects}"
        );
    }
}
