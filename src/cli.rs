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
    /// Worker threads (default: one per CPU, one more for commands that write bundles).
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
    /// Serve the portals and the edge API: each slug's bundle by host, sign-in, the
    /// customer's data (builds the bundles first).
    Serve(ServeArgs),
    /// Fill the store with the demo data (what `serve --demo` does on start).
    Seed(SeedArgs),
    /// API keys of the organizations' backends (portal single sign-on) and their signing
    /// secrets for Nomos webhooks.
    Keys(KeysArgs),
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

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "PORTALGEN_LISTEN")]
    pub listen: std::net::SocketAddr,
    /// The SQLite store (created on first start).
    #[arg(long, default_value = "data/portalgen.db", env = "PORTALGEN_DB")]
    pub db: PathBuf,
    /// Folder the bundles are built into and served from (default: --out).
    #[arg(long)]
    pub dist: Option<PathBuf>,
    /// Host names of the portals; `{slug}.localhost` always works locally.
    #[arg(
        long,
        default_value = "{slug}.customerportal.energy",
        env = "PORTALGEN_DOMAIN"
    )]
    pub domain: String,
    /// SMTP server for the sign-in e-mails, e.g. smtp://localhost:2525 or
    /// smtps://user:password@smtp.example.com; without it mail goes to --outbox.
    #[arg(long, env = "PORTALGEN_SMTP")]
    pub smtp: Option<String>,
    /// Folder for outgoing mail when no SMTP server is given.
    #[arg(long, default_value = "data/outbox")]
    pub outbox: PathBuf,
    /// The server secret that keys every stored hash (created on first start); keep it out of
    /// the database and its backups.
    #[arg(long, default_value = "data/secret.key", env = "PORTALGEN_SECRET_FILE")]
    pub secret_file: PathBuf,
    /// Sender address of the e-mails (the display name is the organization's).
    #[arg(long, default_value = "portal@customerportal.energy")]
    pub mail_from: String,
    /// Worker threads answering requests.
    #[arg(long, default_value_t = 8)]
    pub workers: usize,
    /// Fill the store with demo customers and data for every plan slug (kept up to date).
    #[arg(long)]
    pub demo: bool,
    /// Requests come through the front proxy on this machine: take the client address from
    /// X-Real-IP when the connection comes from loopback.
    #[arg(long)]
    pub behind_proxy: bool,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// The SQLite store.
    #[arg(long, default_value = "data/portalgen.db", env = "PORTALGEN_DB")]
    pub db: PathBuf,
    /// Seed the demo data (the only kind there is).
    #[arg(long, required = true)]
    pub demo: bool,
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key for an organization's backend; it is shown once.
    Create {
        /// The organization (tenant file name without .yaml).
        #[arg(long)]
        org: String,
        /// What the key is for.
        #[arg(long, default_value = "backend")]
        name: String,
        #[arg(long, default_value = "data/portalgen.db", env = "PORTALGEN_DB")]
        db: PathBuf,
        #[arg(long, default_value = "data/secret.key", env = "PORTALGEN_SECRET_FILE")]
        secret_file: PathBuf,
    },
    /// Create (or replace) an organization's signing secret for Nomos webhooks at
    /// /webhooks/nomos/<org>; it is shown once.
    WebhookSecret {
        /// The organization (tenant file name without .yaml).
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "data/portalgen.db", env = "PORTALGEN_DB")]
        db: PathBuf,
        /// The server secret the signing secret is sealed with in the store.
        #[arg(long, default_value = "data/secret.key", env = "PORTALGEN_SECRET_FILE")]
        secret_file: PathBuf,
    },
}
