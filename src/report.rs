//! Telling the user what happened: problems rustc-style on stderr, a one-line summary, or one
//! JSON document with both for machines.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::build::{BuildReport, SlugStatus};
use crate::cli::Format;

#[derive(Serialize)]
struct JsonReport<'a> {
    command: &'a str,
    ok: bool,
    errors: usize,
    warnings: usize,
    files_written: usize,
    files_unchanged: usize,
    #[serde(flatten)]
    report: &'a BuildReport,
}

/// Prints `report`; `ok` is the command's verdict. Write errors (a closed pipe) are ignored.
pub fn print(command: &str, report: &BuildReport, ok: bool, format: Format, quiet: bool) {
    let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = report.diagnostics.len() - errors;
    match format {
        Format::Json => {
            let json = JsonReport {
                command,
                ok,
                errors,
                warnings,
                files_written: report.files_written(),
                files_unchanged: report.files_unchanged(),
                report,
            };
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer_pretty(&mut out, &json);
            let _ = writeln!(out);
        }
        Format::Text => {
            let mut err = std::io::stderr().lock();
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            for diagnostic in &report.diagnostics {
                if quiet && !diagnostic.is_error() {
                    continue;
                }
                let _ = writeln!(err, "{}\n", diagnostic.render(color));
            }
            if !quiet || !ok {
                let _ = writeln!(
                    std::io::stdout().lock(),
                    "{}",
                    summary_line(command, report, errors, warnings)
                );
            }
        }
    }
}

fn summary_line(command: &str, report: &BuildReport, errors: usize, warnings: usize) -> String {
    let seconds = report.elapsed.as_secs_f64();
    let problems = match (errors, warnings) {
        (0, 0) => String::new(),
        (e, w) => format!(", {e} error(s), {w} warning(s)"),
    };
    let failed = report.count(SlugStatus::Failed);
    let mut failed = if failed > 0 {
        format!(", {failed} failed")
    } else {
        String::new()
    };
    if !report.failed_tenant_files.is_empty() {
        failed.push_str(&format!(
            ", {} tenant file(s) unusable",
            report.failed_tenant_files.len()
        ));
    }
    match command {
        "check" => format!(
            "checked {} slug(s){failed}{problems} in {seconds:.2} s",
            report.slugs.len()
        ),
        _ => {
            let removed = if report.removed.is_empty() {
                String::new()
            } else {
                format!(", {} removed", report.removed.len())
            };
            format!(
                "built {} slug(s) ({} changed, {} unchanged{failed}{removed}): {} files written, {} unchanged{problems} in {seconds:.2} s",
                report.slugs.len(),
                report.count(SlugStatus::Built),
                report.count(SlugStatus::Unchanged),
                report.files_written(),
                report.files_unchanged(),
            )
        }
    }
}
