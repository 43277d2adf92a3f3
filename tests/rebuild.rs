//! Rebuilds: unchanged input writes nothing, a change rebuilds only what it affects, a failing
//! slug keeps its previous bundle, and bundles of removed tenants are pruned (but only when every
//! tenant file could be read).

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::*;

/// Files of `before` and `after` (snapshots of one folder) that are byte-for-byte the same.
fn same_content<'a>(
    before: &'a BTreeMap<String, FileState>,
    after: &'a BTreeMap<String, FileState>,
) -> Vec<&'a String> {
    before
        .iter()
        .filter(|(path, state)| after.get(*path).is_some_and(|a| a.content == state.content))
        .map(|(path, _)| path)
        .collect()
}

fn slug_files(all: &BTreeMap<String, FileState>, slug: &str) -> BTreeMap<String, FileState> {
    let prefix = format!("{slug}/");
    all.iter()
        .filter_map(|(p, s)| {
            p.strip_prefix(&prefix)
                .map(|rest| (rest.to_owned(), s.clone()))
        })
        .collect()
}

/// No half-built bundle is left: `.portalgen` holds the state files and at most an empty
/// staging folder; no temporary files anywhere.
fn assert_no_staging_leftovers(ws: &Workspace) {
    let mut entries: Vec<String> = fs::read_dir(ws.path("dist/.portalgen"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert!(
        entries == ["state"] || entries == ["staging", "state"],
        "dist/.portalgen: {entries:?}"
    );
    if ws.exists("dist/.portalgen/staging") {
        let left: Vec<_> = fs::read_dir(ws.path("dist/.portalgen/staging"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "staging not empty: {left:?}");
    }
    for file in ws.files("dist") {
        assert!(
            !file.contains(".previous") && !file.contains("tmp-portalgen"),
            "leftover {file}"
        );
    }
    for file in ws.files("dist/.portalgen/state") {
        assert!(
            file.ends_with(".json") && !file.contains('/'),
            "state: {file}"
        );
    }
}

fn index_slugs(ws: &Workspace) -> Vec<String> {
    ws.read_json("dist/index.json")["slugs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn second_build_without_changes_writes_nothing() {
    let ws = workspace();
    let first = ws.build_ok();
    assert!(statuses(&first).values().all(|s| s == "built"), "{first:#}");
    let written = first["files_written"].as_u64().unwrap();
    assert!(written > 150, "{written}");
    let before = ws.snapshot("dist");

    let second = ws.build_ok();
    assert_eq!(second["files_written"], 0);
    assert!(
        statuses(&second).values().all(|s| s == "unchanged"),
        "{second:#}"
    );
    for slug in second["slugs"].as_array().unwrap() {
        assert_eq!(slug["files_written"], 0);
        assert!(slug["files_unchanged"].as_u64().unwrap() > 30, "{slug}");
    }
    assert_eq!(second["files_unchanged"], written);
    let after = ws.snapshot("dist");
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, state) in &before {
        let now = &after[path];
        assert_eq!(now.inode, state.inode, "{path} was replaced");
        assert_eq!(now.modified, state.modified, "{path} was rewritten");
        assert_eq!(now.content, state.content, "{path} changed");
    }

    let text = ws.run(&["build"]);
    assert_eq!(text.code, 0);
    assert!(
        text.stdout
            .starts_with("built 4 slug(s) (0 changed, 4 unchanged): 0 files written"),
        "{}",
        text.stdout
    );
    assert_no_staging_leftovers(&ws);
}

#[test]
fn changing_one_tenant_rebuilds_only_its_slugs() {
    let ws = workspace();
    ws.build_ok();
    let before = ws.snapshot("dist");
    ws.replace_line(
        "tenants/lumio.yaml",
        "    primary:",
        "    primary: \"#123456\"",
    );

    let json = ws.build_ok();
    let statuses = statuses(&json);
    assert_eq!(statuses["lumio"], "built");
    assert_eq!(statuses["lumio-business"], "built");
    assert_eq!(statuses["nordwatt"], "unchanged");
    assert_eq!(statuses["solva"], "unchanged");
    let after = ws.snapshot("dist");

    for slug in ["nordwatt", "solva"] {
        let (b, a) = (slug_files(&before, slug), slug_files(&after, slug));
        assert_eq!(b, a, "{slug} was touched");
    }
    for slug in ["lumio", "lumio-business"] {
        let (b, a) = (slug_files(&before, slug), slug_files(&after, slug));
        let kept = same_content(&b, &a);
        for path in &kept {
            assert_eq!(
                a[*path].inode, b[*path].inode,
                "{slug}/{path}: unchanged file not reused"
            );
            assert_eq!(
                a[*path].modified, b[*path].modified,
                "{slug}/{path}: unchanged file rewritten"
            );
        }
        let kept_names: Vec<&str> = kept.iter().map(|p| p.as_str()).collect();
        for must in [
            "_headers",
            "_redirects",
            "config.json",
            "help/de/search.json",
            "help/en/search.json",
        ] {
            assert!(
                kept_names.contains(&must),
                "{slug}: {must} should be unchanged"
            );
        }
        // Every script module of the theme is kept (js/ and js/views/).
        let modules = walkdir::WalkDir::new(ws.path("themes/default/js"))
            .into_iter()
            .filter(|entry| entry.as_ref().is_ok_and(|e| e.file_type().is_file()))
            .count();
        assert!(modules > 5, "the theme's modules were counted");
        assert_eq!(
            kept_names
                .iter()
                .filter(|p| p.starts_with("assets/js."))
                .count(),
            modules,
            "{slug}: {kept_names:?}"
        );
        assert!(
            kept_names
                .iter()
                .any(|p| p.starts_with("assets/brand/logo."))
        );
        // What changed was written anew: the stylesheet (new name) and every page linking it.
        let written: Vec<&String> = a
            .keys()
            .filter(|p| b.get(*p).is_none_or(|s| s.content != a[*p].content))
            .collect();
        let outcome = json["slugs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["slug"] == slug)
            .unwrap();
        assert_eq!(
            outcome["files_written"],
            written.len() as u64,
            "{slug}: {written:?}"
        );
        assert_eq!(outcome["files_unchanged"], kept.len() as u64);
        assert!(
            written
                .iter()
                .any(|p| p.starts_with("assets/app.") && p.ends_with(".css"))
        );
        assert!(written.iter().any(|p| *p == "index.html"));
        assert!(
            !a.keys()
                .any(|p| b.contains_key(p) && p.starts_with("assets/app.")),
            "{slug}: old css kept"
        );
        let css = a
            .iter()
            .find(|(p, _)| p.starts_with("assets/app."))
            .unwrap()
            .1;
        assert!(String::from_utf8_lossy(&css.content).contains("--brand-primary:#123456"));
    }
    assert_no_staging_leftovers(&ws);
}

#[test]
fn tenant_option_builds_only_that_slug() {
    let ws = workspace();
    let (run, json) = ws.run_json(&["build", "--tenant", "solva"]);
    assert_eq!(run.code, 0, "{json:#}");
    assert_eq!(
        statuses(&json),
        BTreeMap::from([("solva".to_owned(), "built".to_owned())])
    );
    for slug in ["lumio", "lumio-business", "nordwatt"] {
        assert!(!ws.exists(&format!("dist/{slug}")), "{slug} built");
    }
    assert!(ws.exists("dist/solva/index.html"));
    assert_eq!(index_slugs(&ws), ["solva"]);

    // A later partial build leaves the other bundles alone and prunes nothing.
    let json = ws.build_ok();
    assert_eq!(statuses(&json)["solva"], "unchanged");
    assert_eq!(index_slugs(&ws), SLUGS);
    let before = ws.snapshot("dist");
    ws.replace_line(
        "tenants/nordwatt.yaml",
        "    primary:",
        "    primary: \"#123456\"",
    );
    ws.replace_line(
        "tenants/solva.yaml",
        "    primary:",
        "    primary: \"#654321\"",
    );
    let (run, json) = ws.run_json(&["build", "--tenant", "solva"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        statuses(&json),
        BTreeMap::from([("solva".to_owned(), "built".to_owned())])
    );
    assert_eq!(json["removed"], serde_json::json!([]));
    let after = ws.snapshot("dist");
    for slug in ["lumio", "lumio-business", "nordwatt"] {
        assert_eq!(
            slug_files(&before, slug),
            slug_files(&after, slug),
            "{slug} touched"
        );
    }
    assert_ne!(slug_files(&before, "solva"), slug_files(&after, "solva"));
    assert_eq!(index_slugs(&ws), SLUGS);
}

/// A tenant whose own help article is broken fails alone; the others rebuild from the changed
/// shared help; its previous bundle stays as it was.
#[test]
fn failed_slug_keeps_its_previous_bundle() {
    let ws = workspace();
    ws.build_ok();
    let before = ws.snapshot("dist");
    let old_index = ws.read_json("dist/index.json");
    ws.write(
        "tenants/nordwatt/help/de/broken.md",
        "---\ntitle: \"Kaputt\"\ncategory: \"Test\"\n---\nHallo {{ org.nmae }}\n",
    );
    ws.append_line(
        "help/en/contract/tariff.md",
        "\nA sentence added for this test.",
    );

    let (run, json) = ws.run_json(&["build"]);
    assert_eq!(run.code, 1, "{json:#}");
    assert_eq!(json["ok"], false);
    let statuses = statuses(&json);
    assert_eq!(statuses["nordwatt"], "failed");
    for slug in ["lumio", "lumio-business", "solva"] {
        assert_eq!(statuses[slug], "built", "{slug}");
        let page = ws.read(&format!("dist/{slug}/help/en/tariff/index.html"));
        assert!(page.contains("A sentence added for this test."), "{slug}");
    }
    let d = diagnostic(&json, "org.nmae");
    assert_eq!(d["file"], "tenants/nordwatt/help/de/broken.md");
    assert_eq!(d["line"], 5);
    assert_eq!(d["column"], 7);
    assert_eq!(d["tenants"], serde_json::json!(["nordwatt"]));

    let after = ws.snapshot("dist");
    assert_eq!(
        slug_files(&before, "nordwatt"),
        slug_files(&after, "nordwatt"),
        "nordwatt's bundle changed"
    );
    assert_eq!(
        fs::read(ws.path("dist/.portalgen/state/nordwatt.json")).unwrap(),
        before[".portalgen/state/nordwatt.json"].content
    );
    let index = ws.read_json("dist/index.json");
    let entry = |index: &serde_json::Value| {
        index["slugs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["slug"] == "nordwatt")
            .cloned()
    };
    assert_eq!(
        entry(&index),
        entry(&old_index),
        "nordwatt's index entry changed"
    );
    assert_no_staging_leftovers(&ws);

    let text = ws.run(&["build"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("1 failed"), "{}", text.stdout);
    assert!(
        text.stderr
            .contains("--> tenants/nordwatt/help/de/broken.md:5:7"),
        "{}",
        text.stderr
    );

    // Once fixed, it builds again.
    ws.remove("tenants/nordwatt/help/de/broken.md");
    let json = ws.build_ok();
    assert_eq!(self::statuses(&json)["nordwatt"], "built");
    assert!(
        ws.read("dist/nordwatt/help/en/tariff/index.html")
            .contains("A sentence added for this test.")
    );
}

/// themes/… templates.rs: "a broken override template fails only its own organization".
#[test]
fn broken_template_override_fails_only_its_organization() {
    let ws = workspace();
    ws.build_ok();
    let before = ws.snapshot("dist");
    let mut layout: Vec<String> = ws
        .read("themes/default/templates/layout.html")
        .lines()
        .map(str::to_owned)
        .collect();
    layout.insert(2, "{% if %}".to_owned());
    ws.write(
        "tenants/nordwatt/templates/layout.html",
        &(layout.join("\n") + "\n"),
    );
    ws.append_line(
        "help/en/contract/tariff.md",
        "\nA sentence added for this test.",
    );

    let (run, json) = ws.run_json(&["build"]);
    assert_eq!(run.code, 1, "{json:#}");
    let d = diagnostic(&json, "syntax error");
    assert_eq!(d["file"], "tenants/nordwatt/templates/layout.html");
    assert_eq!(d["line"], 3);
    assert_eq!(d["tenants"], serde_json::json!(["nordwatt"]));
    let after = ws.snapshot("dist");
    assert_eq!(
        slug_files(&before, "nordwatt"),
        slug_files(&after, "nordwatt"),
        "nordwatt's bundle changed"
    );
    let statuses = statuses(&json);
    assert_eq!(statuses["nordwatt"], "failed");
    for slug in ["lumio", "lumio-business", "solva"] {
        assert_eq!(statuses[slug], "built", "{slug}: {:#}", json["slugs"]);
    }
    assert_no_staging_leftovers(&ws);
}

/// A tenant file that cannot be parsed keeps its previous bundle, and dist/index.json keeps
/// listing it (nothing is pruned, so the bundle is still deployed).
#[test]
fn unusable_tenant_file_keeps_its_bundle_and_index_entry() {
    let ws = workspace();
    ws.build_ok();
    let before = ws.snapshot("dist");
    // A syntax error: the file cannot be parsed, so its slugs are unknown.
    ws.replace_line("tenants/nordwatt.yaml", "  logo:", "  logo: [unclosed");
    let (run, json) = ws.run_json(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        json["failed_tenant_files"],
        serde_json::json!(["tenants/nordwatt.yaml"])
    );
    assert_eq!(json["removed"], serde_json::json!([]));
    let after = ws.snapshot("dist");
    assert_eq!(
        slug_files(&before, "nordwatt"),
        slug_files(&after, "nordwatt")
    );
    assert!(ws.exists("dist/.portalgen/state/nordwatt.json"));
    assert_no_staging_leftovers(&ws);
    assert_eq!(
        index_slugs(&ws),
        SLUGS,
        "dist/index.json dropped a slug whose bundle is still there"
    );
}

#[test]
fn removed_tenant_is_pruned() {
    let ws = workspace();
    ws.build_ok();
    ws.remove("tenants/solva.yaml");
    let json = ws.build_ok();
    assert_eq!(json["removed"], serde_json::json!(["solva"]));
    assert!(!statuses(&json).contains_key("solva"));
    assert!(!ws.exists("dist/solva"));
    assert!(!ws.exists("dist/.portalgen/state/solva.json"));
    assert_eq!(index_slugs(&ws), ["lumio", "lumio-business", "nordwatt"]);
    assert_no_staging_leftovers(&ws);

    ws.write(
        "tenants/solva.yaml",
        &fs::read_to_string(format!("{}/tenants/solva.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    );
    ws.remove("tenants/nordwatt.yaml");
    let text = ws.run(&["build"]);
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("1 removed"), "{}", text.stdout);
    assert!(!ws.exists("dist/nordwatt"));
    assert!(ws.exists("dist/solva/index.html"));
}

#[test]
fn nothing_is_pruned_while_a_tenant_file_is_unparsable() {
    let ws = workspace();
    ws.build_ok();
    let before = ws.snapshot("dist");
    ws.remove("tenants/solva.yaml");
    ws.replace_line("tenants/nordwatt.yaml", "  phone:", "  phone: +49 40: 5550");
    let (run, json) = ws.run_json(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(json["removed"], serde_json::json!([]));
    assert_eq!(
        json["failed_tenant_files"],
        serde_json::json!(["tenants/nordwatt.yaml"])
    );
    let after = ws.snapshot("dist");
    for slug in ["solva", "nordwatt"] {
        assert_eq!(
            slug_files(&before, slug),
            slug_files(&after, slug),
            "{slug}"
        );
    }
    assert!(ws.exists("dist/.portalgen/state/solva.json"));

    // Fixed: now solva goes.
    ws.write(
        "tenants/nordwatt.yaml",
        &fs::read_to_string(format!(
            "{}/tenants/nordwatt.yaml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    );
    let json = ws.build_ok();
    assert_eq!(json["removed"], serde_json::json!(["solva"]));
    assert!(!ws.exists("dist/solva"));
    assert_eq!(index_slugs(&ws), ["lumio", "lumio-business", "nordwatt"]);
}

/// A bundle file deleted or overwritten since the last build is restored by the next one: the
/// bundle must always match its manifest.
#[test]
fn rebuild_restores_deleted_or_modified_files() {
    let ws = workspace();
    ws.build_ok();
    let login = ws.read_bytes("dist/lumio/login/index.html");
    let redirects = ws.read_bytes("dist/nordwatt/_redirects");
    ws.remove("dist/lumio/login/index.html");
    ws.write("dist/nordwatt/_redirects", "tampered\n");

    let json = ws.build_ok();
    let statuses = statuses(&json);
    assert_eq!(statuses["solva"], "unchanged");
    assert!(
        ws.exists("dist/lumio/login/index.html"),
        "deleted page not restored: {json:#}"
    );
    assert_eq!(ws.read_bytes("dist/lumio/login/index.html"), login);
    assert_eq!(
        ws.read_bytes("dist/nordwatt/_redirects"),
        redirects,
        "modified file not restored"
    );
    assert_eq!(statuses["lumio"], "built");
    assert_eq!(statuses["nordwatt"], "built");
    for slug in ["lumio", "nordwatt"] {
        let outcome = json["slugs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["slug"] == slug)
            .unwrap();
        assert_eq!(outcome["files_written"], 1, "{slug}: {outcome}");
    }
}
