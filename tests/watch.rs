//! `portalgen watch`: the initial build and the dev server (routing by Host header, headers from
//! `_headers`, rewrites from `_redirects`, the injected live-reload script), the event stream
//! (`hello`, `css`, `reload`, `error`, `ok`), incremental rebuilds that write exactly what a full
//! build writes and leave untouched slugs alone, errors that keep the previous bundle served, new
//! and deleted tenant files, ignored editor files, and a clean shutdown.
//!
//! Every test starts the binary in its own workspace with `watch --port 0`, talks to it over raw
//! HTTP/1.1 and reads the server-sent events on a background thread.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// How long to wait for an event, a response or a file to appear.
const WAIT: Duration = Duration::from_secs(10);
/// How long a stream must stay silent when no event is expected.
const QUIET: Duration = Duration::from_millis(1500);
/// How long the initial build and server start may take.
const STARTUP: Duration = Duration::from_secs(60);
/// What the dev server inserts before `</head>` of every HTML response.
const LIVE_SCRIPT: &str = r#"<script type="module" src="/__portalgen/live.js"></script>"#;

// ---------------------------------------------------------------------------------------------
// The running command
// ---------------------------------------------------------------------------------------------

/// What the command printed so far, shared with the reader threads.
#[derive(Clone, Default)]
struct Logs {
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Logs {
    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Both outputs, for failure messages.
    fn dump(&self) -> String {
        format!(
            "--- watch stdout:\n{}\n--- watch stderr:\n{}\n---",
            self.stdout().join("\n"),
            self.stderr()
        )
    }
}

/// `portalgen watch --port 0` running in a workspace; terminated (SIGTERM, then SIGKILL) when
/// dropped, so no process is left behind when a test fails.
struct Watch {
    child: Child,
    port: u16,
    logs: Logs,
}

/// The port of the stdout line `serving http://localhost:<PORT>/`.
fn serving_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("serving http://localhost:")? + "serving http://localhost:".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !rest[digits.len()..].starts_with('/') {
        return None;
    }
    digits.parse().ok()
}

impl Watch {
    fn start(ws: &Workspace) -> Watch {
        Watch::start_with(ws, &[])
    }

    /// `portalgen watch --port 0 <args>`.
    fn start_with(ws: &Workspace, args: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portalgen"))
            .args(["watch", "--port", "0"])
            .args(args)
            .current_dir(ws.root())
            .env_remove("PORTALGEN_TENANTS")
            .env_remove("PORTALGEN_THEMES")
            .env_remove("PORTALGEN_HELP")
            .env_remove("PORTALGEN_OUT")
            .env_remove("PORTALGEN_EDGE_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn portalgen watch");
        let logs = Logs::default();
        let (port_tx, port_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let lines = logs.stdout.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(port) = serving_port(&line) {
                    let _ = port_tx.send(port);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let stderr = child.stderr.take().unwrap();
        let lines = logs.stderr.clone();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap().push(line);
            }
        });
        // The guard exists before the first wait, so a failure below still ends the process.
        let mut watch = Watch {
            child,
            port: 0,
            logs,
        };
        match port_rx.recv_timeout(STARTUP) {
            Ok(port) => watch.port = port,
            Err(e) => {
                thread::sleep(Duration::from_millis(300));
                let status = watch.child.try_wait();
                panic!(
                    "no `serving http://localhost:<PORT>/` line ({e:?}); process: {status:?}\n{}",
                    watch.logs.dump()
                );
            }
        }
        watch
    }

    /// The Host header of a slug (`""` for the index host).
    fn host(&self, slug: &str) -> String {
        if slug.is_empty() {
            format!("localhost:{}", self.port)
        } else {
            format!("{slug}.localhost:{}", self.port)
        }
    }

    fn url(&self, slug: &str) -> String {
        format!("http://{slug}.localhost:{}/", self.port)
    }

    /// `GET path` on the host of `slug` (`""`: the index host).
    fn get(&self, slug: &str, path: &str) -> Response {
        self.get_host(&self.host(slug), path)
    }

    fn get_host(&self, host: &str, path: &str) -> Response {
        http_get(self.port, host, path)
            .unwrap_or_else(|e| panic!("GET {host}{path}: {e}\n{}", self.logs.dump()))
    }

    /// A new event stream on the host of `slug` (`""`: the index host), its `hello` received.
    fn events(&self, slug: &str) -> Events {
        Events::connect(self.port, &self.host(slug), self.logs.clone())
    }

    /// Sends a signal with the `kill` command.
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Sends `signal` and waits up to `limit` for the process to end.
    fn stop(&mut self, signal: &str, limit: Duration) -> Option<ExitStatus> {
        self.signal(signal);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until stdout has the line `  <slug>  http://<slug>.localhost:<PORT>/` of each slug.
    fn wait_slug_lines(&self, slugs: &[&str]) {
        self.eventually("a stdout line per slug", || {
            let stdout = self.logs.stdout();
            slugs.iter().all(|slug| {
                let url = self.url(slug);
                stdout
                    .iter()
                    .any(|l| l.split_whitespace().collect::<Vec<_>>() == [*slug, url.as_str()])
            })
        });
    }

    /// Polls `check` until it holds, for at most `WAIT`; the failure shows the output so far.
    fn eventually(&self, what: &str, check: impl FnMut() -> bool) {
        if !wait_until(check) {
            panic!("timed out waiting for: {what}\n{}", self.logs.dump());
        }
    }

    /// Waits until stderr contains `needle`.
    fn wait_stderr(&self, needle: &str) {
        self.eventually(&format!("stderr contains {needle:?}"), || {
            self.logs.stderr().contains(needle)
        });
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `check` until it holds, for at most `WAIT`; false if it never did.
fn wait_until(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while !check() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
    true
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 over a raw TcpStream
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Response {
    status: u16,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }
}

fn send_request(port: u16, host: &str, path: &str, accept: &str) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    Ok(stream)
}

/// Status line and headers (names lower-cased).
fn read_head(reader: &mut impl BufRead) -> io::Result<(u16, Vec<(String, String)>)> {
    let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(bad("connection closed before the status line".into()));
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("connection closed in the headers".into()));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    Ok((status, headers))
}

/// A `Transfer-Encoding: chunked` body as a plain byte stream.
struct Chunked<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            // The CRLF after the previous chunk's data, then the size line.
            while line.trim().is_empty() {
                line.clear();
                if self.inner.read_line(&mut line)? == 0 {
                    self.done = true;
                    return Ok(0);
                }
            }
            let size = line.trim().split(';').next().unwrap_or_default();
            self.left = usize::from_str_radix(size.trim(), 16).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {line:?}"))
            })?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..n])?;
        if n == 0 {
            self.done = true;
        }
        self.left -= n;
        Ok(n)
    }
}

/// The body of a response whose head was read from `reader`.
fn body_reader<R: BufRead + Send + 'static>(
    reader: R,
    headers: &[(String, String)],
) -> Box<dyn Read + Send> {
    let value = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    if value("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        Box::new(Chunked {
            inner: reader,
            left: 0,
            done: false,
        })
    } else if let Some(len) = value("content-length").and_then(|v| v.parse::<u64>().ok()) {
        Box::new(reader.take(len))
    } else {
        Box::new(reader)
    }
}

fn http_get(port: u16, host: &str, path: &str) -> io::Result<Response> {
    let stream = send_request(port, host, path, "*/*")?;
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_head(&mut reader)?;
    let mut body = Vec::new();
    body_reader(reader, &headers).read_to_end(&mut body)?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------------------------
// Server-sent events
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Event {
    kind: String,
    data: Value,
    raw: String,
}

/// One client of `/__portalgen/events`; a background thread parses the stream into events.
struct Events {
    label: String,
    rx: Receiver<Event>,
    socket: TcpStream,
    logs: Logs,
    /// The data of the `hello` event.
    hello: Value,
    last_generation: u64,
}

impl Events {
    fn connect(port: u16, host: &str, logs: Logs) -> Events {
        let label = format!("events on {host}");
        let stream = send_request(port, host, "/__portalgen/events", "text/event-stream")
            .unwrap_or_else(|e| panic!("{label}: {e}\n{}", logs.dump()));
        let socket = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let (status, headers) =
            read_head(&mut reader).unwrap_or_else(|e| panic!("{label}: {e}\n{}", logs.dump()));
        assert_eq!(status, 200, "{label}: status");
        let content_type = headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{label}: Content-Type {content_type:?}"
        );
        // Events come when they come; keep-alive comments are every 15 s.
        socket.set_read_timeout(None).unwrap();
        let (tx, rx) = mpsc::channel();
        let body = BufReader::new(body_reader(reader, &headers));
        thread::spawn(move || {
            let mut kind = String::new();
            let mut data: Vec<String> = Vec::new();
            for line in body.lines() {
                let Ok(line) = line else { break };
                let line = line.strip_suffix('\r').unwrap_or(&line);
                if line.is_empty() {
                    if !data.is_empty() || !kind.is_empty() {
                        let raw = data.join("\n");
                        let event = Event {
                            kind: if kind.is_empty() {
                                "message".to_owned()
                            } else {
                                std::mem::take(&mut kind)
                            },
                            data: serde_json::from_str(&raw).unwrap_or(Value::Null),
                            raw,
                        };
                        data.clear();
                        if tx.send(event).is_err() {
                            break;
                        }
                    }
                } else if line.starts_with(':') {
                    // A comment (keep-alive).
                } else {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "event" => kind = value.to_owned(),
                        "data" => data.push(value.to_owned()),
                        _ => {}
                    }
                }
            }
        });
        let mut events = Events {
            label,
            rx,
            socket,
            logs,
            hello: Value::Null,
            last_generation: 0,
        };
        events.hello = events.expect("hello");
        events
    }

    fn fail(&self, what: String) -> ! {
        panic!("{}: {what}\n{}", self.label, self.logs.dump())
    }

    /// The next event, which must be of `kind` and arrive within `WAIT`; returns its data.
    fn expect(&mut self, kind: &str) -> Value {
        let event = match self.rx.recv_timeout(WAIT) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => {
                self.fail(format!("no `{kind}` event within {WAIT:?}"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.fail(format!("stream closed while waiting for `{kind}`"))
            }
        };
        if event.kind != kind {
            self.fail(format!(
                "expected a `{kind}` event, got `{}`: {}",
                event.kind, event.raw
            ));
        }
        if !event.data.is_object() {
            self.fail(format!("`{kind}` data is not a JSON object: {}", event.raw));
        }
        let Some(generation) = event.data["generation"].as_u64() else {
            self.fail(format!(
                "`{kind}` without a numeric generation: {}",
                event.raw
            ))
        };
        if generation < self.last_generation {
            self.fail(format!(
                "generation went back from {} to {generation}: {}",
                self.last_generation, event.raw
            ));
        }
        self.last_generation = generation;
        event.data
    }

    /// No event at all for `QUIET`, and the stream still open.
    fn expect_quiet(&self) {
        match self.rx.recv_timeout(QUIET) {
            Ok(event) => self.fail(format!("unexpected `{}` event: {}", event.kind, event.raw)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.fail("stream closed".to_owned()),
        }
    }

    fn hello_generation(&self) -> u64 {
        self.hello["generation"].as_u64().unwrap()
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

/// A served HTML page: the live script once, right before `</head>`; returns the page without it.
fn without_live_script(body: &str, what: &str) -> String {
    assert_eq!(
        body.matches(LIVE_SCRIPT).count(),
        1,
        "{what}: live script not injected exactly once:\n{body}"
    );
    let at = body.find(LIVE_SCRIPT).unwrap();
    assert!(
        body[at + LIVE_SCRIPT.len()..]
            .trim_start()
            .starts_with("</head>"),
        "{what}: live script not right before </head>:\n{body}"
    );
    body.replacen(LIVE_SCRIPT, "", 1)
}

/// Text without any whitespace, to compare pages regardless of the injection's line breaks.
fn squeezed(text: &str) -> String {
    text.split_ascii_whitespace().collect()
}

/// `response` is an HTML page with status `status` that is the file `rel` on disk plus the live
/// script; returns the served text.
fn assert_serves_file(ws: &Workspace, response: &Response, status: u16, rel: &str) -> String {
    assert_eq!(response.status, status, "{rel}: status");
    assert!(
        response.content_type().starts_with("text/html"),
        "{rel}: Content-Type {:?}",
        response.content_type()
    );
    let text = response.text();
    let page = without_live_script(&text, rel);
    assert!(
        squeezed(&page) == squeezed(&ws.read(rel)),
        "served page is not {rel}:\n{text}"
    );
    text
}

/// The `href` of the page's `<link rel="stylesheet">`.
fn stylesheet_of(html: &str) -> String {
    let links: Vec<String> = start_tags(html)
        .into_iter()
        .filter(|t| t.name == "link" && t.attr("rel") == Some("stylesheet"))
        .map(|t| t.attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links.len(), 1, "stylesheet links: {links:?}");
    links[0].clone()
}

/// The `href`s of every `<a>` of a page.
fn links_of(html: &str) -> Vec<String> {
    start_tags(html)
        .into_iter()
        .filter(|t| t.name == "a")
        .filter_map(|t| t.attr("href").map(str::to_owned))
        .collect()
}

fn strings_of(value: &Value, what: &str) -> Vec<String> {
    let mut out: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// Runs `portalgen build --out dist2` and compares every file of `dist/<slug>` and
/// `dist2/<slug>` byte for byte.
fn assert_matches_full_build(ws: &Workspace, slugs: &[&str]) {
    let _ = fs::remove_dir_all(ws.path("dist2"));
    let run = ws.run(&["build", "--out", "dist2"]);
    assert_eq!(run.code, 0, "full build failed: {run:?}");
    let mut problems = Vec::new();
    for slug in slugs {
        let watched = ws.files(&format!("dist/{slug}"));
        let built = ws.files(&format!("dist2/{slug}"));
        assert!(!built.is_empty(), "the full build has no {slug}");
        for file in &built {
            if !watched.contains(file) {
                problems.push(format!("{slug}/{file}: missing in the watch output"));
            }
        }
        for file in &watched {
            if !built.contains(file) {
                problems.push(format!("{slug}/{file}: not in a full build"));
            } else if ws.read_bytes(&format!("dist/{slug}/{file}"))
                != ws.read_bytes(&format!("dist2/{slug}/{file}"))
            {
                problems.push(format!("{slug}/{file}: differs from a full build"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "dist/ differs from `portalgen build`:\n{}",
        problems.join("\n")
    );
}

/// Asserts that the files under `rel` are exactly as in `before`: same names, inodes, mtimes
/// and bytes.
fn assert_untouched(ws: &Workspace, rel: &str, before: &BTreeMap<String, FileState>) {
    let after = ws.snapshot(rel);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "{rel}: files added or removed"
    );
    for (path, state) in before {
        let now = &after[path];
        assert_eq!(now.inode, state.inode, "{rel}/{path} was replaced");
        assert_eq!(now.modified, state.modified, "{rel}/{path} was rewritten");
        assert_eq!(now.content, state.content, "{rel}/{path} changed");
    }
}

/// The diagnostic of an `error` event that names `file`.
fn diagnostic_for<'a>(error: &'a Value, file: &str) -> &'a Value {
    let diagnostics = error["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("error event without diagnostics: {error}"));
    diagnostics
        .iter()
        .find(|d| d["file"] == file)
        .unwrap_or_else(|| panic!("no diagnostic names {file}: {error:#}"))
}

fn assert_error_names(error: &Value, file: &str, line: usize) {
    let d = diagnostic_for(error, file);
    assert_eq!(d["severity"], "error", "{d:#}");
    assert_eq!(d["line"], line as u64, "{d:#}");
    assert!(
        d["column"].is_null() || d["column"].is_u64(),
        "column: {d:#}"
    );
    assert!(
        !d["message"].as_str().unwrap_or_default().is_empty(),
        "message: {d:#}"
    );
    let rendered = d["rendered"].as_str().unwrap_or_default();
    assert!(rendered.contains(file), "rendered: {d:#}");
}

fn lines_of(ws: &Workspace, rel: &str) -> Vec<String> {
    ws.read(rel).lines().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn initial_build_is_served_with_live_script_and_headers() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let port = watch.port;

    // stdout lists every slug with its URL.
    watch.wait_slug_lines(&SLUGS);

    // The index host links every slug, on both of its names.
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let index = watch.get_host(&host, "/");
        assert_eq!(index.status, 200, "{host}");
        assert!(index.content_type().starts_with("text/html"), "{index:?}");
        let links = links_of(&index.text());
        for slug in SLUGS {
            assert!(
                links.contains(&watch.url(slug)),
                "{host}: no link to {slug}: {links:?}"
            );
        }
    }

    // The initial build is exactly `portalgen build`, with no live-reload code on disk.
    for slug in SLUGS {
        for file in ws.files(&format!("dist/{slug}")) {
            let bytes = ws.read_bytes(&format!("dist/{slug}/{file}"));
            assert!(
                !String::from_utf8_lossy(&bytes).contains("__portalgen"),
                "dist/{slug}/{file} has live-reload code"
            );
        }
    }
    assert!(!ws.read("dist/lumio/index.html").contains("__portalgen"));
    assert_matches_full_build(&ws, &SLUGS);

    // A slug's pages: the file on disk plus the live script, with the headers of `_headers`.
    let home = watch.get("lumio", "/");
    assert_serves_file(&ws, &home, 200, "dist/lumio/index.html");
    let headers_file = ws.read("dist/lumio/_headers");
    let csp_on_disk = headers_file
        .lines()
        .find_map(|l| l.trim().strip_prefix("Content-Security-Policy:"))
        .expect("CSP in _headers")
        .trim();
    let directives = |csp: &str| -> Vec<String> {
        csp.split(';')
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect()
    };
    let csp = home
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no Content-Security-Policy: {:?}", home.headers));
    let expected: Vec<String> = directives(csp_on_disk)
        .into_iter()
        .filter(|d| d != "upgrade-insecure-requests")
        .collect();
    assert_eq!(directives(csp), expected, "CSP");
    assert!(expected.iter().any(|d| d.starts_with("frame-ancestors")));
    assert_eq!(home.header("strict-transport-security"), None, "HSTS");
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(home.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(home.header("cache-control"), Some("no-cache"));

    let route = watch.get("lumio", "/tariff/");
    assert_serves_file(&ws, &route, 200, "dist/lumio/tariff/index.html");
    let article = watch.get("lumio", "/help/en/tariff/");
    assert_serves_file(&ws, &article, 200, "dist/lumio/help/en/tariff/index.html");

    // Assets: as on disk, no script injected, immutable caching from `_headers`.
    let css_url = stylesheet_of(&ws.read("dist/lumio/index.html"));
    let css = watch.get("lumio", &css_url);
    assert_eq!(css.status, 200, "{css_url}");
    assert!(css.content_type().starts_with("text/css"), "{css:?}");
    assert_eq!(css.body, ws.read_bytes(&format!("dist/lumio{css_url}")));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let config = watch.get("lumio", "/config.json");
    assert_eq!(config.status, 200);
    assert_eq!(config.body, ws.read_bytes("dist/lumio/config.json"));

    // Each host serves its own bundle.
    let solva = watch.get("solva", "/");
    assert_serves_file(&ws, &solva, 200, "dist/solva/index.html");

    // Unknown paths: the bundle's 404 page with status 404.
    let missing = watch.get("lumio", "/no-such-page/");
    assert_serves_file(&ws, &missing, 404, "dist/lumio/404.html");
    let missing = watch.get("lumio", "/assets/app.0000000000.css");
    assert_eq!(missing.status, 404);

    // `_redirects` rewrites with status 200.
    let invoice = watch.get("lumio", "/invoices/abc");
    assert_serves_file(&ws, &invoice, 200, "dist/lumio/invoices/index.html");

    // A slug that is not watched.
    assert_eq!(watch.get("nope", "/").status, 404);

    // The live-reload files exist on every host.
    for host in ["", "lumio", "nordwatt"] {
        for path in ["/__portalgen/live.js", "/__portalgen/live.css"] {
            let r = watch.get(host, path);
            assert_eq!(r.status, 200, "{host:?} {path}");
            assert!(!r.body.is_empty(), "{host:?} {path} is empty");
        }
    }

    // Event streams greet with `hello`: the slug on its host, null on the index host.
    let lumio = watch.events("lumio");
    assert_eq!(lumio.hello["slug"], "lumio", "{}", lumio.hello);
    let index = watch.events("");
    assert!(index.hello["slug"].is_null(), "{}", index.hello);
    lumio.expect_quiet();
}

#[test]
fn css_edit_sends_css_event_with_new_stylesheet() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut lumio = watch.events("lumio");
    let mut solva = watch.events("solva");
    let mut index = watch.events("");
    let old = stylesheet_of(&ws.read("dist/lumio/index.html"));

    ws.append_line(
        "themes/default/styles/components.css",
        ".watch-test-marker { outline: 3px solid #abcdef; }",
    );

    let css = lumio.expect("css");
    assert!(
        css["generation"].as_u64().unwrap() > lumio.hello_generation(),
        "{css}"
    );
    assert!(
        strings_of(&css["slugs"], "slugs").contains(&"lumio".to_owned()),
        "{css}"
    );
    let url = css["stylesheet"]
        .as_str()
        .unwrap_or_else(|| panic!("no stylesheet: {css}"))
        .to_owned();
    assert!(
        url.starts_with("/assets/app.") && url.ends_with(".css"),
        "{url}"
    );
    assert_ne!(url, old, "the stylesheet URL did not change");

    let served = watch.get("lumio", &url);
    assert_eq!(served.status, 200, "{url}");
    assert!(served.content_type().starts_with("text/css"), "{served:?}");
    let text = served.text();
    assert!(
        text.contains(".watch-test-marker") && text.contains("#abcdef"),
        "new rule missing from {url}"
    );
    assert_eq!(stylesheet_of(&ws.read("dist/lumio/index.html")), url);
    assert_eq!(
        stylesheet_of(&without_live_script(&watch.get("lumio", "/").text(), "/")),
        url
    );

    // Every client gets the stylesheet of its own slug; the index host gets all slugs.
    let css = solva.expect("css");
    let solva_url = stylesheet_of(&ws.read("dist/solva/index.html"));
    assert_eq!(css["stylesheet"], solva_url.as_str(), "{css}");
    assert_ne!(solva_url, url);
    let css = index.expect("css");
    assert_eq!(strings_of(&css["slugs"], "slugs"), SLUGS, "{css}");
    assert!(
        css.get("stylesheet").is_none_or(Value::is_null),
        "index host got a stylesheet: {css}"
    );

    watch.eventually("a `rebuilt` line", || {
        watch
            .logs
            .stdout()
            .iter()
            .any(|l| l.starts_with("rebuilt") && l.contains("lumio"))
    });
    lumio.expect_quiet();
}

#[test]
fn template_rename_over_save_sends_reload() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut lumio = watch.events("lumio");
    let mut index = watch.events("");
    let marker = "Watch marker 7f3a1c";

    let file = "themes/default/templates/layout.html";
    let mut lines = lines_of(&ws, file);
    let body = lines
        .iter()
        .position(|l| l.starts_with("<body"))
        .expect("<body> line");
    lines.insert(body + 1, format!("<p class=\"watch-marker\">{marker}</p>"));
    ws.write(&format!("{file}.tmp"), &(lines.join("\n") + "\n"));
    fs::rename(ws.path(&format!("{file}.tmp")), ws.path(file)).unwrap();

    let reload = lumio.expect("reload");
    assert!(
        reload["generation"].as_u64().unwrap() > lumio.hello_generation(),
        "{reload}"
    );
    assert!(
        strings_of(&reload["slugs"], "slugs").contains(&"lumio".to_owned()),
        "{reload}"
    );
    let inputs = strings_of(&reload["inputs"], "inputs");
    assert!(inputs.contains(&file.to_owned()), "{reload}");
    assert!(
        !inputs.iter().any(|i| i.ends_with(".tmp")),
        "the temporary file is an input: {reload}"
    );
    let reload = index.expect("reload");
    assert_eq!(strings_of(&reload["slugs"], "slugs"), SLUGS, "{reload}");

    let page = watch.get("lumio", "/");
    assert_serves_file(&ws, &page, 200, "dist/lumio/index.html");
    assert!(page.text().contains(marker), "marker not served");
    let help = watch.get("lumio", "/help/de/");
    assert!(help.text().contains(marker), "marker not on the help page");
    assert!(ws.read("dist/lumio/index.html").contains(marker));
    lumio.expect_quiet();
}

#[test]
fn help_article_edit_reloads_only_slugs_showing_it() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut lumio = watch.events("lumio");
    let mut business = watch.events("lumio-business");
    let nordwatt = watch.events("nordwatt");
    let solva = watch.events("solva");
    let mut index = watch.events("");
    // Nordwatt replaces the German contact article with its own; Solva is English-only.
    let before_nordwatt = ws.snapshot("dist/nordwatt");
    let before_solva = ws.snapshot("dist/solva");
    let page = "dist/lumio/help/de/contact/index.html";
    let old_page = ws.read(page);
    let sentence = "Ein Satz aus dem Watch-Test.";

    let file = "help/de/support/contact.md";
    ws.append_line(file, &format!("\n{sentence}"));

    for stream in [&mut lumio, &mut business] {
        let reload = stream.expect("reload");
        let inputs = strings_of(&reload["inputs"], "inputs");
        assert!(inputs.contains(&file.to_owned()), "{reload}");
    }
    let reload = index.expect("reload");
    assert_eq!(
        strings_of(&reload["slugs"], "slugs"),
        ["lumio", "lumio-business"],
        "{reload}"
    );
    nordwatt.expect_quiet();
    solva.expect_quiet();

    let new_page = ws.read(page);
    assert_ne!(new_page, old_page);
    assert!(new_page.contains(sentence), "{page}");
    assert!(
        ws.read("dist/lumio-business/help/de/contact/index.html")
            .contains(sentence)
    );
    let served = watch.get("lumio", "/help/de/contact/");
    assert_serves_file(&ws, &served, 200, page);
    assert!(served.text().contains(sentence));
    assert_untouched(&ws, "dist/nordwatt", &before_nordwatt);
    assert_untouched(&ws, "dist/solva", &before_solva);
    assert_matches_full_build(&ws, &SLUGS);
}

#[test]
fn tenant_edit_reloads_only_its_slugs() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut nordwatt = watch.events("nordwatt");
    let lumio = watch.events("lumio");
    let solva = watch.events("solva");
    let before: Vec<_> = ["lumio", "lumio-business", "solva"]
        .iter()
        .map(|slug| (format!("dist/{slug}"), ws.snapshot(&format!("dist/{slug}"))))
        .collect();
    let old_css = stylesheet_of(&ws.read("dist/nordwatt/index.html"));

    let file = "tenants/nordwatt.yaml";
    ws.replace_line(file, "    primary:", "    primary: \"#123456\"");

    // The brand colour is in the stylesheet, but the input is not a stylesheet: `reload`.
    let reload = nordwatt.expect("reload");
    assert_eq!(
        strings_of(&reload["slugs"], "slugs"),
        ["nordwatt"],
        "{reload}"
    );
    assert!(
        strings_of(&reload["inputs"], "inputs").contains(&file.to_owned()),
        "{reload}"
    );
    lumio.expect_quiet();
    solva.expect_quiet();

    let new_css = stylesheet_of(&ws.read("dist/nordwatt/index.html"));
    assert_ne!(new_css, old_css);
    let css = watch.get("nordwatt", &new_css);
    assert_eq!(css.status, 200);
    assert!(css.text().contains("--brand-primary:#123456"), "{new_css}");
    let page = watch.get("nordwatt", "/");
    assert_serves_file(&ws, &page, 200, "dist/nordwatt/index.html");
    for (rel, snapshot) in &before {
        assert_untouched(&ws, rel, snapshot);
    }
}

#[test]
fn incremental_output_equals_full_build_after_edits() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut index = watch.events("");

    ws.append_line(
        "themes/default/styles/components.css",
        ".watch-test-marker { outline: 3px solid #abcdef; }",
    );
    index.expect("css");

    ws.replace_line(
        "themes/default/templates/layout.html",
        "<body",
        "<body class=\"page-{{ page.id }} watch-test\">",
    );
    index.expect("reload");

    ws.append_line(
        "help/en/contract/tariff.md",
        "\nA sentence added by the watch test.",
    );
    let reload = index.expect("reload");
    assert_eq!(strings_of(&reload["slugs"], "slugs"), SLUGS, "{reload}");

    ws.replace_line(
        "tenants/lumio.yaml",
        "    primary:",
        "    primary: \"#123456\"",
    );
    let reload = index.expect("reload");
    assert_eq!(
        strings_of(&reload["slugs"], "slugs"),
        ["lumio", "lumio-business"],
        "{reload}"
    );

    assert!(
        ws.read("dist/solva/help/en/tariff/index.html")
            .contains("A sentence added by the watch test.")
    );
    assert!(ws.read("dist/nordwatt/index.html").contains("watch-test"));
    assert_matches_full_build(&ws, &SLUGS);
    // The stale stylesheets are gone, as after a full build.
    for slug in SLUGS {
        let css: Vec<String> = ws
            .files(&format!("dist/{slug}/assets"))
            .into_iter()
            .filter(|f| f.starts_with("app.") && f.ends_with(".css"))
            .collect();
        assert_eq!(css.len(), 1, "{slug}: {css:?}");
    }
}

#[test]
fn template_error_keeps_serving_and_recovers() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut lumio = watch.events("lumio");
    let mut index = watch.events("");
    let old_page = watch.get("lumio", "/orders/").text();
    let old_disk = ws.read("dist/lumio/orders/index.html");

    let file = "themes/default/templates/routes/orders.html";
    let original = ws.read(file);
    let line = ws.append_line(file, "{% if %}oops{% endif %}");

    let error = lumio.expect("error");
    assert_error_names(&error, file, line);
    let error = index.expect("error");
    assert_error_names(&error, file, line);
    watch.wait_stderr(&format!("--> {file}:{line}:"));

    // The previous build keeps being served.
    let page = watch.get("lumio", "/orders/");
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), old_page);
    assert_eq!(ws.read("dist/lumio/orders/index.html"), old_disk);

    // A client that connects now learns about the error right away.
    let mut late = watch.events("solva");
    let error = late.expect("error");
    assert_error_names(&error, file, line);

    // Fixed: `ok` on the streams that saw the error (they stayed open).
    ws.write(file, &original);
    lumio.expect("ok");
    index.expect("ok");
    late.expect("ok");
    let fresh = watch.events("lumio");
    fresh.expect_quiet();
    assert_eq!(watch.get("lumio", "/orders/").text(), old_page);
}

#[test]
fn tenant_yaml_error_keeps_serving_and_recovers() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut nordwatt = watch.events("nordwatt");
    let mut lumio = watch.events("lumio");
    let old_page = watch.get("nordwatt", "/").text();
    let before = ws.snapshot("dist/nordwatt");

    let file = "tenants/nordwatt.yaml";
    let original = ws.read(file);
    let line = ws.replace_line(file, "  phone:", "  phone: +49 40: 5550");

    // Sent to every client, also those of other tenants.
    let error = nordwatt.expect("error");
    assert_error_names(&error, file, line);
    let error = lumio.expect("error");
    assert_error_names(&error, file, line);
    watch.wait_stderr(&format!("--> {file}:{line}:"));

    let page = watch.get("nordwatt", "/");
    assert_eq!(
        page.status, 200,
        "nordwatt's previous bundle is not served while its tenant file is broken"
    );
    assert_eq!(page.text(), old_page);
    assert_untouched(&ws, "dist/nordwatt", &before);
    assert_eq!(watch.get("nordwatt", "/tariff/").status, 200);

    let mut late = watch.events("nordwatt");
    assert_error_names(&late.expect("error"), file, line);

    ws.write(file, &original);
    nordwatt.expect("ok");
    lumio.expect("ok");
    late.expect("ok");
    watch.events("nordwatt").expect_quiet();
    assert_eq!(watch.get("nordwatt", "/").text(), old_page);
}

#[test]
fn stylesheet_error_keeps_serving_and_recovers() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut lumio = watch.events("lumio");
    let old_page = watch.get("lumio", "/").text();
    let old_css = stylesheet_of(&ws.read("dist/lumio/index.html"));
    let old_css_body = watch.get("lumio", &old_css).body;

    let file = "themes/default/styles/layout.css";
    let original = ws.read(file);
    let line = ws.append_line(file, ":::x { color: red }");

    let error = lumio.expect("error");
    assert_error_names(&error, file, line);
    watch.wait_stderr(&format!("--> {file}:{line}:"));

    let page = watch.get("lumio", "/");
    assert_eq!(page.status, 200);
    assert_eq!(page.text(), old_page);
    let css = watch.get("lumio", &old_css);
    assert_eq!(css.status, 200);
    assert_eq!(css.body, old_css_body);

    let mut late = watch.events("");
    assert_error_names(&late.expect("error"), file, line);

    ws.write(file, &original);
    lumio.expect("ok");
    late.expect("ok");
    watch.events("lumio").expect_quiet();
    assert_eq!(watch.get("lumio", "/").text(), old_page);
}

#[test]
fn new_tenant_file_adds_slug_and_deleting_it_removes_bundle() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut index = watch.events("");
    let before = ws.snapshot("dist/lumio");

    let solva = ws.read("tenants/solva.yaml");
    assert!(solva.contains("  - slug: solva\n"));
    ws.write(
        "tenants/zappa.yaml",
        &solva.replace("  - slug: solva\n", "  - slug: zappa\n"),
    );

    let reload = index.expect("reload");
    assert_eq!(strings_of(&reload["slugs"], "slugs"), ["zappa"], "{reload}");
    assert!(ws.exists("dist/zappa/index.html"));
    let page = watch.get("zappa", "/");
    assert_serves_file(&ws, &page, 200, "dist/zappa/index.html");
    let links = links_of(&watch.get("", "/").text());
    assert!(links.contains(&watch.url("zappa")), "{links:?}");
    assert_matches_full_build(&ws, &["zappa", "solva", "lumio"]);
    assert_untouched(&ws, "dist/lumio", &before);

    ws.remove("tenants/zappa.yaml");
    watch.eventually("dist/zappa is removed", || !ws.exists("dist/zappa"));
    watch.eventually("zappa.localhost is not served", || {
        watch.get("zappa", "/").status == 404
    });
    let links = links_of(&watch.get("", "/").text());
    assert!(!links.contains(&watch.url("zappa")), "{links:?}");
    assert!(links.contains(&watch.url("solva")), "{links:?}");
    assert_untouched(&ws, "dist/lumio", &before);
}

#[test]
fn editor_temp_files_are_ignored() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    let mut index = watch.events("");
    let generation = index.hello_generation();
    let before = ws.snapshot("dist");
    watch.wait_slug_lines(&SLUGS);
    let stdout_lines = watch.logs.stdout().len();
    let layout = ws.read("themes/default/templates/layout.html");
    let noise = [
        "themes/default/templates/.#layout.html",
        "themes/default/templates/layout.html~",
        "themes/default/templates/4913",
        "themes/default/templates/.layout.html.swp",
        "themes/default/templates/.layout.html.swx",
        "themes/default/templates/.DS_Store",
        "themes/default/styles/.DS_Store",
        "help/en/.DS_Store",
    ];
    for rel in noise {
        ws.write(rel, &layout.replace("<body", "<p>editor noise</p><body"));
    }
    // Saved again, as editors do, and vim's probe file removed again.
    ws.append_line("themes/default/templates/layout.html~", "<!-- noise -->");
    ws.append_line("themes/default/templates/.layout.html.swp", "noise");
    ws.remove("themes/default/templates/4913");

    index.expect_quiet();
    index.expect_quiet();
    assert_untouched(&ws, "dist", &before);
    let later = watch.events("");
    assert_eq!(later.hello_generation(), generation, "a rebuild happened");
    let stdout = watch.logs.stdout();
    assert!(
        stdout[stdout_lines..].is_empty(),
        "output after editor noise: {:?}",
        &stdout[stdout_lines..]
    );

    // The watcher is alive: a real edit still rebuilds, and names only its own input.
    ws.append_line(
        "help/en/contract/tariff.md",
        "\nA sentence added by the watch test.",
    );
    let reload = index.expect("reload");
    assert_eq!(
        strings_of(&reload["inputs"], "inputs"),
        ["help/en/contract/tariff.md"],
        "{reload}"
    );
}

#[test]
fn sigterm_exits_cleanly_after_a_rebuild() {
    let ws = workspace();
    let mut watch = Watch::start(&ws);
    let mut lumio = watch.events("lumio");
    ws.append_line(
        "themes/default/styles/components.css",
        ".watch-test-marker { outline: 3px solid #abcdef; }",
    );
    lumio.expect("css");

    let status = watch.stop("TERM", Duration::from_secs(5));
    let status =
        status.unwrap_or_else(|| panic!("still running 5 s after SIGTERM\n{}", watch.logs.dump()));
    assert_eq!(status.code(), Some(0), "{status:?}\n{}", watch.logs.dump());
    assert!(
        !ws.exists("dist/.portalgen/staging"),
        "dist/.portalgen/staging left: {:?}",
        ws.files("dist/.portalgen/staging")
    );
    assert!(ws.exists("dist/lumio/index.html"));
}

#[test]
fn sigint_exits_cleanly() {
    let ws = workspace();
    let mut watch = Watch::start(&ws);
    let _stream = watch.events("");
    let status = watch
        .stop("INT", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still running 5 s after SIGINT\n{}", watch.logs.dump()));
    assert_eq!(status.code(), Some(0), "{status:?}\n{}", watch.logs.dump());
    assert!(!ws.exists("dist/.portalgen/staging"));
}

#[test]
fn tenant_option_watches_only_that_slug() {
    let ws = workspace();
    let watch = Watch::start_with(&ws, &["--tenant", "solva"]);
    watch.wait_slug_lines(&["solva"]);
    assert!(ws.exists("dist/solva/index.html"));
    assert!(!ws.exists("dist/lumio"), "lumio was built");
    let links = links_of(&watch.get("", "/").text());
    assert!(links.contains(&watch.url("solva")), "{links:?}");
    assert!(!links.contains(&watch.url("lumio")), "{links:?}");
    let page = watch.get("solva", "/");
    assert_serves_file(&ws, &page, 200, "dist/solva/index.html");
    assert_eq!(watch.get("lumio", "/").status, 404);

    // Edits of the watched slug rebuild it; other tenants, old or new, stay out.
    let mut index = watch.events("");
    ws.replace_line(
        "tenants/solva.yaml",
        "    primary:",
        "    primary: \"#654321\"",
    );
    let reload = index.expect("reload");
    assert_eq!(strings_of(&reload["slugs"], "slugs"), ["solva"], "{reload}");
    ws.replace_line(
        "tenants/lumio.yaml",
        "    primary:",
        "    primary: \"#123456\"",
    );
    let solva = ws.read("tenants/solva.yaml");
    ws.write(
        "tenants/zappa.yaml",
        &solva.replace("  - slug: solva\n", "  - slug: zappa\n"),
    );
    index.expect_quiet();
    assert!(!ws.exists("dist/lumio"), "lumio was built");
    assert!(!ws.exists("dist/zappa"), "zappa was built");
    assert_eq!(watch.get("zappa", "/").status, 404);
}

/// Once `serving …` is printed, the inputs are watched: an edit made right then is not lost.
#[test]
fn edit_right_after_startup_is_rebuilt() {
    let ws = workspace();
    let watch = Watch::start(&ws);
    ws.append_line(
        "themes/default/styles/components.css",
        ".watch-test-marker { outline: 3px solid #abcdef; }",
    );
    watch.eventually("a `rebuilt` line", || {
        watch.logs.stdout().iter().any(|l| l.starts_with("rebuilt"))
    });
    let css = stylesheet_of(&ws.read("dist/lumio/index.html"));
    assert!(
        ws.read(&format!("dist/lumio{css}"))
            .contains(".watch-test-marker"),
        "the edit is not in dist/lumio"
    );
    assert_matches_full_build(&ws, &SLUGS);
}

/// SIGTERM as soon as `serving …` is printed still ends the command cleanly.
#[test]
fn sigterm_right_after_startup_exits_cleanly() {
    let ws = workspace();
    let mut watch = Watch::start(&ws);
    let status = watch
        .stop("TERM", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("still running 5 s after SIGTERM\n{}", watch.logs.dump()));
    assert_eq!(status.code(), Some(0), "{status:?}\n{}", watch.logs.dump());
    assert!(!ws.exists("dist/.portalgen/staging"));
}
