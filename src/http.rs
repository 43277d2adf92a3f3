//! HTTP responses over tiny_http, written by hand on a connection that closes after them.
//!
//! tiny_http serves each connection on a thread from a pool that only grows when it counts no
//! idle thread, and that count lags behind: when a browser opens several keep-alive connections
//! at once, some wait in the queue until another connection closes, which a browser may never
//! do. Closing every connection after its response keeps the pool moving.

use std::io::Write;

use tiny_http::{Method, Request};

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
