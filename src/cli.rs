//! The command line: what each command and option means.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "portalgen",
    version,
    about = "Builds white-label customer portals for energy retailers: one static bundle per plan slug."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// Folder with the tenant configs (<org>.yaml).
    #[arg(
        long,
        global = true,
        default_value = "tenants",
        env = "PORTALGEN_TENANTS"
    )]
    pub tenants_dir: PathBuf,
    /// Folder with the themes.
    #[arg(
        long,
        global = true,
        default_value = "themes",
        env = "PORTALGEN_THEMES"
    )]
    pub themes_dir: PathBuf,
    /// Folder with the help center (<locale>/**/*.md).
    #[arg(long, global = true, default_value = "help", env = "PORTALGEN_HELP")]
    pub help_dir: PathBuf,
    /// Output folder: one bundle per plan slug.
    #[arg(long, global = true, default_value = "dist", env = "PORTALGEN_OUT")]
    pub out: PathBuf,
    /// Worker threads (default: one per CPU).
    #[arg(short, long, global = true)]
    pub jobs: Option<usize>,
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Output format of the summary and problems.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the bundles of all tenants, or of the given plan slugs, into the output folder.
    Build(BuildArgs),
    /// Load, validate and render everything, write nothing, and report every problem.
    Check(CheckArgs),
    /// Build, serve the bundles at http://<slug>.localhost:<port>/ and rebuild on every edit,
    /// reloading open pages (stylesheets swap in place; errors show in the page).
    Watch(WatchArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Build only this plan slug (repeatable).
    #[arg(long = "tenant", value_name = "SLUG")]
    pub tenants: Vec<String>,
    /// Origin of the edge API that `/api/*` is routed to in `_redirects`.
    #[arg(
        long,
        default_value = "https://edge.customerportal.energy",
        env = "PORTALGEN_EDGE_URL"
    )]
    pub edge_url: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check only this plan slug (repeatable).
    #[arg(long = "tenant", value_name = "SLUG")]
    pub tenants: Vec<String>,
    /// Treat warnings (such as missing translations) as errors.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Watch only this plan slug (repeatable).
    #[arg(long = "tenant", value_name = "SLUG")]
    pub tenants: Vec<String>,
    /// Port of the dev server (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Address the dev server listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Open the index page in a browser.
    #[arg(long)]
    pub open: bool,
    /// Scan the folders for changes instead of relying on file-system events (Docker, WSL, NFS).
    #[arg(long)]
    pub poll: bool,
    /// Origin of the edge API that `/api/*` is routed to in `_redirects`.
    #[arg(
        long,
        default_value = "https://edge.customerportal.energy",
        env = "PORTALGEN_EDGE_URL"
    )]
    pub edge_url: String,
}
