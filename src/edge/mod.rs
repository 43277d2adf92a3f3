//! The edge API (`portalgen serve`): each plan slug's bundle by host, and the JSON API under
//! `/api/` for signing in and the customer's data, on an embedded SQLite store.

pub mod api;
pub mod auth;
mod clock;
pub mod data;
pub mod documents;
pub mod mail;
mod server;
pub mod sites;
pub mod store;
pub mod webhooks;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::channel;

use lettre::message::Mailbox;
use rusqlite::Connection;

use self::api::ApiRequest;
use self::auth::limits::ClientLimits;
use self::auth::secret::{Purpose, ServerSecret, random_token};
use self::auth::sso::API_KEY_PREFIX;
use self::clock::Clock;
use self::mail::{LOGIN_CODE_TEMPLATES, Mailer};
use self::server::EdgeServer;
use self::sites::{DomainPattern, Sites, Visit};
use self::store::Store;
use crate::build::{BuildOptions, BuildSession, Mode, Replace};
use crate::cli::Format;
use crate::report;
use crate::workspace::{Changed, WorkspacePaths};

/// Seed of the demo data: the same demo on every machine.
pub const DEMO_SEED: u64 = 20_260_527;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub db: PathBuf,
    pub dist: PathBuf,
    pub domain: String,
    pub smtp: Option<String>,
    pub outbox: PathBuf,
    pub secret_file: PathBuf,
    pub mail_from: String,
    pub workers: usize,
    pub demo: bool,
    /// Take the client address from `X-Real-IP` (set by the front proxy) for per-client limits.
    pub behind_proxy: bool,
    pub quiet: bool,
}

/// Everything a request handler may use; shared by the workers.
pub struct Edge {
    pub store: Store,
    pub secret: ServerSecret,
    pub clock: Clock,
    pub sites: Sites,
    pub mailer: Mailer,
    pub mail_from: Mailbox,
    pub limits: ClientLimits,
    pub bundles: crate::bundle_host::BundleHost,
    pub behind_proxy: bool,
}

impl Edge {
    /// The port to put in links when the request came to this machine by a local name.
    pub fn local_port(&self, req: &ApiRequest) -> Option<u16> {
        let host = req.header("host")?.to_ascii_lowercase();
        let (name, port) = host.rsplit_once(':')?;
        let local = name == "localhost" || name == "127.0.0.1" || name.ends_with(".localhost");
        local.then(|| port.parse().ok()).flatten()
    }
}

/// One API request to a portal, answered on a worker.
pub struct Call<'a> {
    pub edge: &'a Edge,
    pub conn: &'a mut Connection,
    pub visit: &'a Visit,
    pub req: &'a ApiRequest,
    pub now: i64,
}

impl Call<'_> {
    /// Who the per-client limits count: the connecting address, or the one the front proxy saw.
    /// `X-Real-IP` counts only from a proxy on this machine: anyone else could choose it freely.
    pub fn client(&self) -> String {
        let from_local_proxy = self.edge.behind_proxy
            && self
                .req
                .client
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        let forwarded = from_local_proxy
            .then(|| self.req.header("x-real-ip"))
            .flatten();
        forwarded.unwrap_or(&self.req.client).to_owned()
    }
}

/// Builds the bundles, opens the store (seeding the demo when asked), and serves until Ctrl-C.
pub fn run(paths: WorkspacePaths, options: ServeOptions) -> io::Result<()> {
    let pattern = DomainPattern::parse(&options.domain).map_err(io::Error::other)?;
    let build = BuildOptions {
        mode: Mode::Build,
        out: options.dist.clone(),
        slugs: Vec::new(),
        edge_url: String::new(),
        progress_from: None,
        replace: Replace::Whole,
    };
    let mut session = BuildSession::new(paths, build, false);
    let report = session.build(&Changed::default());
    report::print(
        "build",
        &report,
        !report.has_errors(),
        Format::Text,
        options.quiet,
    );
    let workspace = session
        .workspace()
        .ok_or_else(|| io::Error::other("the workspace did not load"))?;
    let sites = Sites::from_workspace(workspace, pattern);
    check_mail_templates(&sites)?;

    let (store, mut conn) = open_store(&options.db, &sites)?;
    let clock = Clock::from_env();
    let demo = if options.demo {
        Some(seed(&mut conn, &sites, &clock)?)
    } else {
        None
    };
    drop(conn);

    let secret = ServerSecret::load_or_create(&options.secret_file)?;
    let (mailer, mail_route) = Mailer::start(options.smtp.as_deref(), &options.outbox)?;
    let mail_from: Mailbox = options
        .mail_from
        .parse()
        .map_err(|e| io::Error::other(format!("--mail-from {}: {e}", options.mail_from)))?;
    let edge = Arc::new(Edge {
        store,
        secret,
        clock,
        sites,
        mailer,
        mail_from,
        limits: ClientLimits::default(),
        bundles: crate::bundle_host::BundleHost::new(&options.dist),
        behind_proxy: options.behind_proxy,
    });
    let server = EdgeServer::start(options.listen, options.workers, edge.clone())?;
    announce(&edge, server.port, demo.as_ref(), &mail_route);

    let (stop, stopped) = channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .map_err(io::Error::other)?;
    let _ = stopped.recv();
    server.stop();
    log("stopped");
    Ok(())
}

/// `portalgen seed --demo`: the demo data, without serving.
pub fn seed_demo(paths: &WorkspacePaths, db: &Path) -> io::Result<()> {
    let sites = load_sites(paths)?;
    let (_, mut conn) = open_store(db, &sites)?;
    let summary = seed(&mut conn, &sites, &Clock::from_env())?;
    let mut out = io::stdout().lock();
    for portal in &summary.portals {
        let _ = writeln!(out, "{}", portal.slug);
        for sign_in in &portal.sign_ins {
            let _ = writeln!(out, "    {}  ({})", sign_in.email, sign_in.description);
        }
    }
    Ok(())
}

/// `portalgen keys create`: a new API key for `org`, printed once and stored only hashed.
pub fn create_api_key(
    paths: &WorkspacePaths,
    db: &Path,
    secret_file: &Path,
    org: &str,
    name: &str,
) -> io::Result<()> {
    let sites = load_sites(paths)?;
    require_org(&sites, org)?;
    let (_, conn) = open_store(db, &sites)?;
    let secret = ServerSecret::load_or_create(secret_file)?;
    let key = format!("{API_KEY_PREFIX}{}", random_token(32)?);
    let id = format!("key_{}", random_token(8)?);
    let hash = secret.hash(Purpose::ApiKey, &[&key]);
    store::auth::create_api_key(&conn, &id, org, &hash, name, Clock::from_env().now())
        .map_err(io::Error::other)?;
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{key}");
    let _ = writeln!(
        io::stderr(),
        "API key {id} for `{org}` ({name}). It is shown only now: store it in the backend's secrets. Use it as `Authorization: Bearer <key>` for POST /admin/magic_link."
    );
    Ok(())
}

/// `portalgen keys webhook-secret`: a new signing secret for `org`'s Nomos webhooks, printed
/// once and stored sealed with the server secret; it replaces the previous one at once.
pub fn create_webhook_secret(
    paths: &WorkspacePaths,
    db: &Path,
    secret_file: &Path,
    org: &str,
) -> io::Result<()> {
    let sites = load_sites(paths)?;
    require_org(&sites, org)?;
    let (_, conn) = open_store(db, &sites)?;
    let secret = ServerSecret::load_or_create(secret_file)?;
    let shown = webhooks::create_secret(&conn, &secret, org, Clock::from_env().now())?;
    let _ = writeln!(io::stdout().lock(), "{shown}");
    let _ = writeln!(
        io::stderr(),
        "Webhook signing secret for `{org}`; any earlier one no longer verifies. It is shown only now: enter it in the Nomos dashboard for the endpoint https://<a portal host>/webhooks/nomos/{org} (the HMAC key is the secret exactly as shown)."
    );
    Ok(())
}

fn require_org(sites: &Sites, org: &str) -> io::Result<()> {
    if sites.all().any(|s| s.tenant.id == org) {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "no organization `{org}` (expected the name of a tenant file, e.g. tenants/{org}.yaml)"
    )))
}

fn load_sites(paths: &WorkspacePaths) -> io::Result<Sites> {
    let workspace = crate::workspace::Workspace::load(paths, &[]);
    let pattern = DomainPattern::parse("{slug}.customerportal.energy").map_err(io::Error::other)?;
    Ok(Sites::from_workspace(&workspace, pattern))
}

/// The store, migrated and with the organizations and plans of the tenant configs.
fn open_store(db: &Path, sites: &Sites) -> io::Result<(Store, Connection)> {
    let store = Store::open(db).map_err(io::Error::other)?;
    let conn = store.connect().map_err(io::Error::other)?;
    store::sync_tenants(&conn, &tenant_rows(sites)).map_err(io::Error::other)?;
    Ok((store, conn))
}

fn seed(
    conn: &mut Connection,
    sites: &Sites,
    clock: &Clock,
) -> io::Result<store::demo::DemoSummary> {
    store::demo::seed_demo(conn, &demo_plans(sites), DEMO_SEED, clock.timestamp())
        .map_err(io::Error::other)
}

/// Every theme a portal uses must have the e-mail templates.
fn check_mail_templates(sites: &Sites) -> io::Result<()> {
    for site in sites.all() {
        for name in LOGIN_CODE_TEMPLATES {
            if !site.theme.templates.contains(name) {
                return Err(io::Error::other(format!(
                    "theme `{}` (used by {}) has no template templates/{name} for the sign-in e-mail",
                    site.theme.name, site.slug
                )));
            }
        }
    }
    Ok(())
}

fn tenant_rows(sites: &Sites) -> Vec<store::TenantOrganization> {
    let mut rows: Vec<store::TenantOrganization> = Vec::new();
    for site in sites.all() {
        let plan = store::TenantPlan {
            slug: site.slug.clone(),
            name: site.plan_name.clone(),
        };
        match rows.iter_mut().find(|r| r.id == site.tenant.id) {
            Some(row) => row.plans.push(plan),
            None => rows.push(store::TenantOrganization {
                id: site.tenant.id.clone(),
                name: site.tenant.config.organization.name.clone(),
                plans: vec![plan],
            }),
        }
    }
    rows
}

fn demo_plans(sites: &Sites) -> Vec<store::demo::DemoPlan> {
    sites
        .all()
        .map(|site| store::demo::DemoPlan {
            org_id: site.tenant.id.clone(),
            slug: site.slug.clone(),
            locales: site.tenant.config.locales.available.clone(),
            default_locale: site.tenant.config.locales.default.clone(),
        })
        .collect()
}

fn announce(edge: &Edge, port: u16, demo: Option<&store::demo::DemoSummary>, mail_route: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "portalgen serve: listening on port {port}");
    for site in edge.sites.all() {
        let _ = writeln!(
            out,
            "  {}  {}/",
            site.slug,
            edge.sites.url(&site.slug, Some(port))
        );
        let sign_ins = demo
            .iter()
            .flat_map(|d| &d.portals)
            .filter(|p| p.slug == site.slug)
            .flat_map(|p| &p.sign_ins);
        for sign_in in sign_ins {
            let _ = writeln!(
                out,
                "      sign in as {}  ({})",
                sign_in.email, sign_in.description
            );
        }
    }
    let _ = writeln!(out, "{mail_route}; Ctrl-C stops");
}

/// One line to the log (stderr). Never called with codes, tokens or keys.
pub fn log(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}
