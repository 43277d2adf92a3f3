//! The commands: turn options into a run of the pipeline and its outcome into an exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::build::{self, BuildOptions, Mode, Replace};
use crate::cli::{
    BuildArgs, CheckArgs, Format, GlobalOptions, KeysArgs, KeysCommand, SeedArgs, ServeArgs,
    WatchArgs,
};
use crate::edge::{self, ServeOptions};
use crate::report;
use crate::watch::{self, WatchOptions};
use crate::workspace::WorkspacePaths;

/// Plans from which a progress bar is worth showing.
const PROGRESS_FROM: usize = 20;

pub fn build(global: &GlobalOptions, args: BuildArgs) -> ExitCode {
    let options = BuildOptions {
        mode: Mode::Build,
        out: global.out.clone(),
        slugs: args.tenants,
        edge_url: args.edge_url,
        progress_from: progress_from(global),
        replace: Replace::Whole,
    };
    let report = in_pool(global, Workers::RenderAndWrite, || {
        build::run(&paths(global), &options)
    });
    let ok = !report.has_errors();
    report::print("build", &report, ok, global.format, global.quiet);
    exit_code(ok)
}

pub fn check(global: &GlobalOptions, args: CheckArgs) -> ExitCode {
    let options = BuildOptions {
        mode: Mode::Check,
        out: global.out.clone(),
        slugs: args.tenants,
        edge_url: String::new(),
        progress_from: progress_from(global),
        replace: Replace::Whole,
    };
    let report = in_pool(global, Workers::Render, || {
        build::run(&paths(global), &options)
    });
    let ok = !report.has_errors() && !(args.strict && !report.diagnostics.is_empty());
    report::print("check", &report, ok, global.format, global.quiet);
    exit_code(ok)
}

pub fn watch(global: &GlobalOptions, args: WatchArgs) -> ExitCode {
    let options = WatchOptions {
        build: BuildOptions {
            mode: Mode::Build,
            out: global.out.clone(),
            slugs: args.tenants,
            edge_url: args.edge_url,
            progress_from: progress_from(global),
            replace: Replace::ChangedFiles,
        },
        listen: std::net::SocketAddr::new(args.bind, args.port),
        open: args.open,
        poll: args.poll,
        quiet: global.quiet,
    };
    finish(
        "watch",
        in_pool(global, Workers::RenderAndWrite, || {
            watch::run(paths(global), options)
        }),
    )
}

pub fn serve(global: &GlobalOptions, args: ServeArgs) -> ExitCode {
    let options = ServeOptions {
        listen: args.listen,
        db: args.db,
        dist: args.dist.unwrap_or_else(|| global.out.clone()),
        domain: args.domain,
        smtp: args.smtp,
        outbox: args.outbox,
        secret_file: args.secret_file,
        mail_from: args.mail_from,
        workers: args.workers,
        demo: args.demo,
        behind_proxy: args.behind_proxy,
        quiet: global.quiet,
    };
    finish(
        "serve",
        in_pool(global, Workers::RenderAndWrite, || {
            edge::run(paths(global), options)
        }),
    )
}

pub fn seed(global: &GlobalOptions, args: SeedArgs) -> ExitCode {
    finish("seed", edge::seed_demo(&paths(global), &args.db))
}

pub fn keys(global: &GlobalOptions, args: KeysArgs) -> ExitCode {
    match args.command {
        KeysCommand::Create {
            org,
            name,
            db,
            secret_file,
        } => finish(
            "keys create",
            edge::create_api_key(&paths(global), &db, &secret_file, &org, &name),
        ),
        KeysCommand::WebhookSecret {
            org,
            db,
            secret_file,
        } => finish(
            "keys webhook-secret",
            edge::create_webhook_secret(&paths(global), &db, &secret_file, &org),
        ),
    }
}

/// Exit code of a long-running or one-off command: its error on stderr.
fn finish(command: &str, outcome: std::io::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "error: portalgen {command}: {err}");
            ExitCode::FAILURE
        }
    }
}

fn paths(global: &GlobalOptions) -> WorkspacePaths {
    WorkspacePaths {
        tenants: global.tenants_dir.clone(),
        themes: global.themes_dir.clone(),
        help: global.help_dir.clone(),
    }
}

fn progress_from(global: &GlobalOptions) -> Option<usize> {
    let wanted = !global.quiet && global.format == Format::Text && std::io::stderr().is_terminal();
    wanted.then_some(PROGRESS_FROM)
}

/// What a command's worker threads do, which decides how many it gets without `--jobs`.
enum Workers {
    /// Render only: one per CPU.
    Render,
    /// Render and write bundles: one more than CPUs. A worker creating files often sleeps in
    /// the file system (waiting for an inode table block another worker is updating), and the
    /// extra one renders meanwhile (BENCHMARKS.md, "Where the build waits").
    RenderAndWrite,
}

/// Runs `work` on a thread pool of `--jobs` threads, or as many as `workers` calls for.
fn in_pool<T: Send>(
    global: &GlobalOptions,
    workers: Workers,
    work: impl FnOnce() -> T + Send,
) -> T {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match (global.jobs, workers) {
        (Some(jobs), _) => jobs.max(1),
        (None, Workers::Render) => cpus,
        (None, Workers::RenderAndWrite) => cpus + 1,
    };
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
