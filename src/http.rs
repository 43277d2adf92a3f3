//! HTTP responses over tiny_http, written by hand on a connection that closes after them.
//!
//! tiny_http serves each connection on a thread from a pool that only grows when it counts no
//! idle thread, and that count lags behind: when a browser opens several keep-alive connections
//! at once, some wait in the queue until another connection closes, which a browser may never
//! do. Closing every connection after its response keeps the pool moving.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use tiny_http::{Method, Request};

/// Smaller bodies gain too little from compression to pay for it.
const MIN_COMPRESSED_BODY: usize = 1024;

/// A complete response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    pub fn text(status: u16, message: &str) -> Self {
        Self::new(status, "text/plain; charset=utf-8", message)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `reply` gzip-compressed when `request` accepts gzip and the body is text worth compressing (the
/// app's JS and CSS, pages, API JSON); a portal served straight from the edge then transfers
/// what a CDN would. Compressible replies say `Vary: Accept-Encoding` either way.
pub fn compressed(request: &Request, mut reply: Reply) -> Reply {
    let compressible = reply.header_value("Content-Type").is_some_and(|t| {
        t.starts_with("text/")
            || t.starts_with("application/json")
            || t.starts_with("application/javascript")
            || t.starts_with("image/svg+xml")
    });
    if !compressible || reply.body.len() < MIN_COMPRESSED_BODY {
        return reply;
    }
    reply = reply.header("Vary", "Accept-Encoding");
    if !accepts_gzip(request) || reply.header_value("Content-Encoding").is_some() {
        return reply;
    }
    let mut encoder = GzEncoder::new(Vec::new(), Compression::new(6));
    match encoder
        .write_all(&reply.body)
        .and_then(|_| encoder.finish())
    {
        Ok(body) => Reply { body, ..reply }.header("Content-Encoding", "gzip"),
        Err(_) => reply,
    }
}

/// Whether an `Accept-Encoding` header lists gzip (or `*`) without `q=0`.
fn accepts_gzip(request: &Request) -> bool {
    request
        .headers()
        .iter()
        .filter(|h| h.field.equiv("Accept-Encoding"))
        .flat_map(|h| h.value.as_str().split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Writes `reply` and closes the connection. A client that went away is not an error.
pub fn send(request: Request, reply: Reply) {
    let head_only = *request.method() == Method::Head;
    let mut socket = request.into_writer();
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        // Values come from our own files and code; a line break would split the head.
        if !value.contains(['\r', '\n']) && !name.contains(['\r', '\n', ':']) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        reply.body.len()
    ));
    let _ = socket
        .write_all(head.as_bytes())
        .and_then(|_| {
            if head_only {
                Ok(())
            } else {
                socket.write_all(&reply.body)
            }
        })
        .and_then(|_| socket.flush());
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    }
}
