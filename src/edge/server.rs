//! The edge's HTTP side: a fixed pool of workers on tiny_http, each with its own store
//! connection. A request's portal comes from its Host header; `/api/` goes to the API, every
//! other path to the portal's bundle in `dist/`.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use serde_json::json;
use tiny_http::{Method, Request, Server};

use super::api::{Answer, ApiError, ApiRequest, MAX_BODY, MAX_WEBHOOK_BODY};
use super::auth::{codes, sessions, sso};
use super::{Call, Edge, log};
use super::{data, webhooks};
use crate::bundle_host::plain_http_header;
use crate::http::{Reply, compressed, send};

pub struct EdgeServer {
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
    pub port: u16,
}

impl EdgeServer {
    pub fn start(addr: SocketAddr, workers: usize, edge: Arc<Edge>) -> io::Result<EdgeServer> {
        let server = Server::http(addr).map_err(io::Error::other)?;
        let port = server
            .server_addr()
            .to_ip()
            .map_or(addr.port(), |a| a.port());
        let server = Arc::new(server);
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers.max(1) {
            let mut conn = edge.store.connect().map_err(io::Error::other)?;
            let server = server.clone();
            let edge = edge.clone();
            handles.push(std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&edge, &mut conn, request);
                }
            }));
        }
        Ok(EdgeServer {
            server,
            workers: handles,
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

fn handle(edge: &Edge, conn: &mut rusqlite::Connection, mut request: Request) {
    let started = Instant::now();
    let host = header(&request, "Host").unwrap_or_default();
    // Only the path is ever logged: queries can carry sign-in tokens.
    let path = request.url().split('?').next().unwrap_or("/").to_owned();
    let method = request.method().clone();
    let request_id = format!(
        "req_{}",
        super::auth::secret::random_token(12).unwrap_or_default()
    );
    let visit = edge.sites.visit(&host);

    let reply = if path == "/healthz" {
        health(conn, &request_id)
    } else if path == "/admin/magic_link"
        || path.starts_with("/api/")
        || path.starts_with("/webhooks/")
    {
        let origin = visit.as_ref().map(|v| v.origin.clone()).unwrap_or_default();
        let max_body = if path.starts_with("/webhooks/") {
            MAX_WEBHOOK_BODY
        } else {
            MAX_BODY
        };
        let answer =
            ApiRequest::read(&mut request, origin, request_id.clone(), max_body).and_then(|api| {
                let now = edge.clock.now();
                if path == "/admin/magic_link" {
                    match method {
                        Method::Post => sso::create_link(edge, conn, &api, now),
                        _ => Err(ApiError::method_not_allowed()),
                    }
                } else if let Some(org) = path.strip_prefix("/webhooks/nomos/") {
                    match method {
                        Method::Post => webhooks::receive(edge, conn, &api, org, now),
                        _ => Err(ApiError::method_not_allowed()),
                    }
                } else {
                    match &visit {
                        Some(visit) => {
                            let mut call = Call {
                                edge,
                                conn,
                                visit,
                                req: &api,
                                now,
                            };
                            route_api(&mut call)
                        }
                        None => Err(ApiError::not_found()),
                    }
                }
            });
        answer
            .unwrap_or_else(|e| e.into_answer(&request_id))
            .into_reply(&request_id)
    } else {
        match &visit {
            Some(visit) => bundle_file(edge, visit, &method, &path),
            None => Reply::text(404, "No portal at this address."),
        }
    };
    // The sign-in link answer carries a token next to values the caller chose: never
    // compressed, so its length cannot leak the token (BREACH).
    let reply = if path == "/admin/magic_link" {
        reply
    } else {
        compressed(&request, reply)
    };
    let status = reply.status;
    send(request, reply);
    log(&format!(
        "{method} {host}{path} {status} {}ms",
        started.elapsed().as_millis()
    ));
}

fn route_api(call: &mut Call) -> Result<Answer, ApiError> {
    let method = call.req.method.clone();
    match (call.req.path.as_str(), method) {
        ("/api/auth/code", Method::Post) => codes::request_code(call),
        ("/api/auth/verify", Method::Post) => codes::verify_code(call),
        ("/api/auth/magic", Method::Post) => sso::use_link(call),
        ("/api/auth/logout", Method::Post) => sessions::sign_out(call),
        ("/api/session", Method::Get) => sessions::show(call),
        ("/api/openapi.json", Method::Get) => Ok(Answer {
            status: 200,
            body: None,
            headers: Vec::new(),
            file: Some((
                "application/json".to_owned(),
                include_str!("openapi.json").as_bytes().to_vec(),
            )),
        }),
        ("/api/auth/code" | "/api/auth/verify" | "/api/auth/magic" | "/api/auth/logout", _)
        | ("/api/session" | "/api/openapi.json", _) => Err(ApiError::method_not_allowed()),
        _ => {
            let path = call.req.path.clone();
            let segments: Vec<&str> = path
                .trim_start_matches("/api/")
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            data::route(call, &segments).unwrap_or_else(|| Err(ApiError::not_found()))
        }
    }
}

fn health(conn: &rusqlite::Connection, request_id: &str) -> Reply {
    let store_ok = conn.query_row("SELECT 1", [], |_| Ok(())).is_ok();
    let status = if store_ok { 200 } else { 503 };
    Answer::json(
        status,
        json!({ "status": if store_ok { "ok" } else { "store unavailable" } }),
    )
    .into_reply(request_id)
}

fn bundle_file(edge: &Edge, visit: &super::sites::Visit, method: &Method, path: &str) -> Reply {
    if !matches!(method, Method::Get | Method::Head) {
        return Reply::text(405, "Only GET and HEAD are served here.");
    }
    match edge.bundles.get(&visit.site.slug, path) {
        Some(file) => {
            let mut reply = Reply::new(file.status, file.content_type, file.body);
            for (name, value) in &file.headers {
                let value = if visit.local {
                    plain_http_header(name, value)
                } else {
                    Some(value.clone())
                };
                if let Some(value) = value {
                    reply = reply.header(name, &value);
                }
            }
            reply
        }
        None => Reply::text(503, "This portal has not been built yet."),
    }
}

fn header(request: &Request, name: &'static str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str().to_owned())
}
