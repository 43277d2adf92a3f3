//! `portalgen watch`: the theme designer's loop. An initial build, a dev server for the watched
//! slugs, and a watcher on the inputs; each batch of edits reloads only the parts of the
//! workspace it touched, re-renders only what depends on them, and tells the open pages to swap
//! their stylesheet, reload, or show the build's errors.

mod changes;
mod inputs;
mod live;
mod server;

use std::collections::BTreeSet;
use std::io::{self, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use self::changes::{Edit, InputRoots};
use self::inputs::{InputWatcher, Signal};
use self::live::{LiveHub, Rebuilt};
use self::server::{DevServer, Site};
use crate::build::{BuildOptions, BuildReport, BuildSession, SlugStatus};
use crate::bundle_host::BundleHost;
use crate::cli::Format;
use crate::diagnostics::Diagnostic;
use crate::report;
use crate::workspace::{Changed, WorkspacePaths};

pub struct WatchOptions {
    pub build: BuildOptions,
    pub listen: SocketAddr,
    pub open: bool,
    pub poll: bool,
    pub quiet: bool,
}

/// Runs until Ctrl-C. Fails only when the server or the watcher cannot start; problems in the
/// inputs are shown and wait for the next edit.
pub fn run(paths: WorkspacePaths, options: WatchOptions) -> io::Result<()> {
    let out = options.build.out.clone();
    // Watch first: an edit made while the first build runs is picked up right after it.
    let (signals, received) = channel();
    let stop = signals.clone();
    ctrlc::set_handler(move || {
        let _ = stop.send(Signal::Stop);
    })
    .map_err(io::Error::other)?;
    let roots = input_roots(&paths, &out);
    let dirs = [&roots.tenants, &roots.themes, &roots.help].map(|d| d.to_path_buf());
    let watcher = InputWatcher::start(&dirs, options.poll, signals).map_err(io::Error::other)?;

    let mut session = BuildSession::new(paths.clone(), options.build.clone(), true);
    let first = session.build(&Changed::default());
    report::print(
        "build",
        &first,
        !first.has_errors(),
        Format::Text,
        options.quiet,
    );

    let hub = Arc::new(LiveHub::default());
    hub.set_errors(overlay_errors(&first));
    let site = Arc::new(Site {
        bundles: BundleHost::new(&out),
        slugs: RwLock::new(served_slugs(&[], &first)),
        hub: hub.clone(),
    });
    let server = DevServer::start(options.listen, site.clone())?;
    announce(server.port, &site);
    if options.open {
        open_browser(&format!("http://localhost:{}/", server.port));
    }

    while let Some(paths_changed) = next_batch(&received) {
        let org_ids: BTreeSet<String> = session
            .workspace()
            .map(|w| w.tenants.iter().map(|t| t.id.clone()).collect())
            .unwrap_or_default();
        let Some(edit) =
            changes::classify(&roots, &org_ids, paths_changed.iter().map(|p| p.as_path()))
        else {
            continue;
        };
        let started = Instant::now();
        let report = session.build(&edit.changed);
        if let Ok(mut slugs) = site.slugs.write() {
            *slugs = served_slugs(&slugs, &report);
        }
        let rebuilt = rebuilt(&report, &edit);
        hub.publish(&rebuilt);
        print_rebuild(&report, &rebuilt, started.elapsed(), options.quiet);
    }

    drop(watcher);
    hub.close();
    server.stop();
    if !options.quiet {
        let _ = writeln!(io::stdout().lock(), "stopped");
    }
    Ok(())
}

/// Waits for the next batch of changed paths, joined with any already queued behind it, so
/// that edits made during a rebuild cause one more rebuild, not one each; `None` on Ctrl-C.
fn next_batch(received: &Receiver<Signal>) -> Option<Vec<PathBuf>> {
    let mut paths = Vec::new();
    loop {
        let signal = if paths.is_empty() {
            received.recv().ok()?
        } else {
            match received.try_recv() {
                Ok(signal) => signal,
                Err(_) => return Some(paths),
            }
        };
        match signal {
            Signal::Changed(more) => paths.extend(more),
            Signal::WatchFailed(why) => {
                let _ = writeln!(io::stderr().lock(), "watching the inputs: {why}");
            }
            Signal::Stop => return None,
        }
    }
}

/// The input folders as the watcher reports paths: absolute and resolved.
fn input_roots(paths: &WorkspacePaths, out: &Path) -> InputRoots {
    let resolve = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| absolute(p));
    InputRoots {
        tenants: resolve(&paths.tenants),
        themes: resolve(&paths.themes),
        help: resolve(&paths.help),
        out: resolve(out),
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The slugs the server answers for: every slug the build knows (one without a bundle yet
/// answers 404), and those served before whose tenant file fails to load now, since their last
/// good bundle stays in place until the file is fixed or deleted.
fn served_slugs(before: &[String], report: &BuildReport) -> Vec<String> {
    let mut slugs: BTreeSet<String> = report.slugs.iter().map(|s| s.slug.clone()).collect();
    if !report.failed_tenant_files.is_empty() {
        slugs.extend(before.iter().cloned());
    }
    slugs.retain(|slug| !report.removed.contains(slug));
    slugs.into_iter().collect()
}

fn rebuilt(report: &BuildReport, edit: &Edit) -> Rebuilt {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| d.canonicalize().ok());
    Rebuilt {
        slugs: report
            .slugs
            .iter()
            .filter(|s| s.status == SlugStatus::Built)
            .map(|s| (s.slug.clone(), s.stylesheet.clone().unwrap_or_default()))
            .collect(),
        inputs: edit
            .inputs
            .iter()
            .map(|p| shown_path(p, cwd.as_deref()))
            .collect(),
        stylesheets_only: edit.stylesheets_only,
        errors: overlay_errors(report),
    }
}

fn shown_path(path: &Path, cwd: Option<&Path>) -> String {
    cwd.and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The build's errors as the overlay shows them.
fn overlay_errors(report: &BuildReport) -> Vec<Value> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(overlay_error)
        .collect()
}

fn overlay_error(d: &Diagnostic) -> Value {
    let location = d.location.as_ref();
    let position = |n: usize| (n > 0).then_some(n);
    json!({
        "severity": d.severity,
        "message": d.message,
        "file": location.map(|l| l.file.display().to_string()),
        "line": location.and_then(|l| position(l.line)),
        "column": location.and_then(|l| position(l.column)),
        "rendered": d.render(false),
    })
}

fn announce(port: u16, site: &Site) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "serving http://localhost:{port}/");
    for slug in site.slugs.read().map(|s| s.clone()).unwrap_or_default() {
        let _ = writeln!(out, "  {slug}  http://{slug}.localhost:{port}/");
    }
    let _ = writeln!(out, "watching for changes; Ctrl-C stops");
}

fn print_rebuild(report: &BuildReport, rebuilt: &Rebuilt, took: Duration, quiet: bool) {
    let color = io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = io::stderr().lock();
    for diagnostic in report.diagnostics.iter().filter(|d| d.is_error() || !quiet) {
        let _ = writeln!(err, "{}\n", diagnostic.render(color));
    }
    let ms = took.as_millis();
    let kind = if rebuilt.stylesheets_only {
        "css"
    } else {
        "reload"
    };
    let slugs: Vec<&str> = rebuilt.slugs.iter().map(|(s, _)| s.as_str()).collect();
    let line = match (rebuilt.errors.len(), slugs.is_empty()) {
        (0, true) => format!("no bundle changed ({ms} ms)"),
        (0, false) => format!("rebuilt {} ({kind}) in {ms} ms", slugs.join(", ")),
        (n, _) => format!(
            "{n} error(s); the last good bundles stay served{} ({ms} ms)",
            if slugs.is_empty() {
                String::new()
            } else {
                format!("; rebuilt {}", slugs.join(", "))
            }
        ),
    };
    if rebuilt.errors.is_empty() {
        if !quiet {
            let _ = writeln!(io::stdout().lock(), "{line}");
        }
    } else {
        let _ = writeln!(err, "{line}");
    }
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_err()
    {
        let _ = writeln!(io::stderr().lock(), "could not start a browser; open {url}");
    }
}
