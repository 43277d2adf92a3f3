//! The dev server: each watched slug's bundle at `http://<slug>.localhost:<port>/` as a static
//! host would serve it, an index page linking them, and the live-reload script and streams.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

use tiny_http::{Method, Request, Server};

use super::live::{self, LiveHub};
use crate::bundle_host::{BundleHost, plain_http_header};
use crate::http::{Reply, send};

const WORKERS: usize = 4;
const LIVE_SCRIPT: &str = include_str!("live.js");
const LIVE_STYLES: &str = include_str!("live.css");
const LIVE_TAG: &str = "<script type=\"module\" src=\"/__portalgen/live.js\"></script>";

/// What the server shows; the slug list changes when tenants are added or removed.
pub struct Site {
    pub bundles: BundleHost,
    pub slugs: RwLock<Vec<String>>,
    pub hub: Arc<LiveHub>,
}

pub struct DevServer {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
    pub port: u16,
}

impl DevServer {
    pub fn start(addr: SocketAddr, site: Arc<Site>) -> io::Result<DevServer> {
        let server = Server::http(addr).map_err(io::Error::other)?;
        let port = server
            .server_addr()
            .to_ip()
            .map_or(addr.port(), |a| a.port());
        let server = Arc::new(server);
        let workers = (0..WORKERS)
            .map(|_| {
                let server = server.clone();
                let site = site.clone();
                std::thread::spawn(move || {
                    while let Ok(request) = server.recv() {
                        handle(&site, request);
                    }
                })
            })
            .collect();
        Ok(DevServer {
            server,
            workers,
            port,
        })
    }

    pub fn stop(self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers {
            let _ = worker.join();
        }
    }
}

fn handle(site: &Site, request: Request) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return send(request, Reply::text(405, "only GET and HEAD are served"));
    }
    let host = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .map(|h| h.value.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let slug = host.strip_suffix(".localhost").map(str::to_owned);
    let path = request
        .url()
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_owned();

    match path.as_str() {
        "/__portalgen/events" => {
            return match site.hub.attach(slug) {
                Some(events) => {
                    let socket = request.into_writer();
                    std::thread::spawn(move || live::stream_events(socket, events));
                }
                None => send(request, Reply::text(503, "too many live-reload streams")),
            };
        }
        "/__portalgen/live.js" => {
            return send(
                request,
                dev_file("text/javascript; charset=utf-8", LIVE_SCRIPT),
            );
        }
        "/__portalgen/live.css" => {
            return send(request, dev_file("text/css; charset=utf-8", LIVE_STYLES));
        }
        _ => {}
    }
    let Some(slug) = slug else {
        let reply = match path.as_str() {
            "/" => dev_file("text/html; charset=utf-8", &index_page(site, &request)),
            _ => Reply::text(404, "not found"),
        };
        return send(request, reply);
    };
    let watched = site
        .slugs
        .read()
        .map(|s| s.contains(&slug))
        .unwrap_or(false);
    if !watched {
        return send(
            request,
            Reply::text(404, &format!("`{slug}` is not a watched plan slug")),
        );
    }
    if path.starts_with("/api/") {
        let envelope = serde_json::json!({
            "code": "NOT_FOUND",
            "message": "The edge API does not run under `portalgen watch`; `portalgen serve` answers /api/.",
        });
        return send(
            request,
            Reply::new(404, "application/json", envelope.to_string()),
        );
    }
    let reply = match site.bundles.get(&slug, &path) {
        Some(file) => {
            let html = file.content_type.starts_with("text/html");
            let content = if html {
                inject_live_script(&file.body)
            } else {
                file.body
            };
            let mut reply = Reply::new(file.status, file.content_type, content);
            for (name, value) in &file.headers {
                if let Some(value) = plain_http_header(name, value) {
                    reply = reply.header(name, &value);
                }
            }
            reply
        }
        None => Reply::text(404, &format!("no bundle for `{slug}` yet")),
    };
    send(request, reply)
}

fn inject_live_script(html: &[u8]) -> Vec<u8> {
    let at = html
        .windows(7)
        .position(|w| w.eq_ignore_ascii_case(b"</head>"))
        .unwrap_or(0);
    let mut out = Vec::with_capacity(html.len() + LIVE_TAG.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(LIVE_TAG.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn index_page(site: &Site, request: &Request) -> String {
    let port = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .and_then(|h| h.value.as_str().rsplit_once(':').map(|(_, p)| p.to_owned()))
        .unwrap_or_default();
    let slugs = site.slugs.read().map(|s| s.clone()).unwrap_or_default();
    let items: String = slugs
        .iter()
        .map(|slug| {
            let url = format!("http://{slug}.localhost:{port}/");
            format!("<li><a href=\"{url}\">{slug}</a> <code>{url}</code></li>")
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>portalgen watch</title>{LIVE_TAG}</head><body><main><h1>portalgen watch</h1><p>Watched portals:</p><ul>{items}</ul></main></body></html>"
    )
}

/// A file of the dev server itself, never cached.
fn dev_file(content_type: &str, content: &str) -> Reply {
    Reply::new(200, content_type, content).header("Cache-Control", "no-store")
}
