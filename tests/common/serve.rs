//! `portalgen serve` for API tests: the real binary on an ephemeral port in a temporary copy of
//! the example workspace, with a real SMTP server on loopback, an injectable clock (a file with
//! unix seconds the server reads on every request), its output collected, and killed on drop.
//! Requests are raw HTTP/1.1 over a `TcpStream`; every answer must carry `Content-Length` and
//! `Connection: close`, and never an `Access-Control-*` header.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::smtp::{ReceivedMail, SmtpServer};
use super::{Run, Workspace, workspace};

/// The time every test server starts at: 2026-05-28T20:26:40Z.
pub const T0: i64 = 1_780_000_000;

/// How to start `portalgen serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub demo: bool,
    /// `--domain`; the default pattern when `None`.
    pub domain: Option<String>,
    /// `--behind-proxy`: the client address comes from `X-Real-IP`.
    pub behind_proxy: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            demo: true,
            domain: None,
            behind_proxy: false,
        }
    }
}

/// A workspace, SMTP server and clock, before the server starts (so `keys create` can run first).
pub struct Prepared {
    pub ws: Workspace,
    pub smtp: SmtpServer,
    clock: PathBuf,
}

/// A running `portalgen serve`.
pub struct Server {
    pub ws: Workspace,
    pub smtp: SmtpServer,
    pub port: u16,
    clock: PathBuf,
    now: AtomicI64,
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn prepare() -> Prepared {
    let ws = workspace();
    fs::create_dir_all(ws.path("data")).unwrap();
    let clock = ws.path("data/clock");
    fs::write(&clock, T0.to_string()).unwrap();
    Prepared {
        ws,
        smtp: SmtpServer::start(),
        clock,
    }
}

/// Starts a server with `options` in a fresh workspace.
pub fn serve(options: ServeOptions) -> Server {
    prepare().start(options)
}

/// `portalgen keys create --org <org>` on the store and secret of the server's workspace; the
/// key it prints.
fn create_key(ws: &Workspace, org: &str) -> String {
    let db = ws.path("data/db.sqlite");
    let secret = ws.path("data/secret.key");
    let run: Run = ws.run(&[
        "keys",
        "create",
        "--org",
        org,
        "--db",
        db.to_str().unwrap(),
        "--secret-file",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "keys create failed: {run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "keys create prints one line: {run:?}");
    let key = lines[0].trim();
    let hex = key.strip_prefix("pgk_").unwrap_or("");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "key is pgk_<64 hex>: {key:?}"
    );
    key.to_owned()
}

impl Prepared {
    pub fn keys_create(&self, org: &str) -> String {
        create_key(&self.ws, org)
    }

    pub fn start(self, options: ServeOptions) -> Server {
        let Prepared { ws, smtp, clock } = self;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portalgen"));
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--db")
            .arg(ws.path("data/db.sqlite"))
            .arg("--secret-file")
            .arg(ws.path("data/secret.key"))
            .arg("--outbox")
            .arg(ws.path("data/outbox"))
            .args(["--smtp", &smtp.url()]);
        if options.demo {
            cmd.arg("--demo");
        }
        if let Some(domain) = &options.domain {
            cmd.args(["--domain", domain]);
        }
        if options.behind_proxy {
            cmd.arg("--behind-proxy");
        }
        for var in [
            "PORTALGEN_TENANTS",
            "PORTALGEN_THEMES",
            "PORTALGEN_HELP",
            "PORTALGEN_OUT",
            "PORTALGEN_EDGE_URL",
            "PORTALGEN_LISTEN",
            "PORTALGEN_DB",
            "PORTALGEN_DOMAIN",
            "PORTALGEN_SMTP",
            "PORTALGEN_SECRET_FILE",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .env("PORTALGEN_CLOCK_FILE", &clock)
            .env("NO_COLOR", "1")
            .current_dir(ws.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start portalgen serve");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let mut server = Server {
            ws,
            smtp,
            port: 0,
            clock,
            now: AtomicI64::new(T0),
            child,
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(port) = listening_port(&server.stdout.lock().unwrap()) {
                server.port = port;
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "portalgen serve exited ({status}) before listening:\n{}",
                    server.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "portalgen serve did not listen within 60 s:\n{}",
                server.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

/// Collects a child's output on a thread of its own.
pub fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let shared = text.clone();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stream);
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            shared.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    text
}

/// The port of `serve`'s `listening on port N` line, once that line is complete.
pub fn listening_port(stdout: &str) -> Option<u16> {
    let at = stdout.find("listening on port ")? + "listening on port ".len();
    let digits: String = stdout[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // The line is complete only when its newline arrived.
    stdout[at + digits.len()..]
        .starts_with('\n')
        .then_some(())?;
    digits.parse().ok()
}

/// A demo sign-in from the start banner.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub description: String,
}

/// A signed-in customer.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session token (the cookie value).
    pub token: String,
    /// `Cookie:` header value that sends the session back.
    pub cookie: String,
    /// The answer's `customer`.
    pub customer: Value,
    /// The code used.
    pub code: String,
    pub response: Response,
}

impl Server {
    /// stdout and stderr of the server so far.
    pub fn output(&self) -> String {
        format!(
            "--- stdout\n{}--- stderr\n{}",
            self.stdout.lock().unwrap(),
            self.stderr.lock().unwrap()
        )
    }

    /// stderr (the request log) so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Asserts that no secret in `secrets` appears in the server's stdout or stderr.
    pub fn assert_output_free_of(&self, secrets: &[&str]) {
        // Give the last log lines (written after the answer) time to arrive.
        std::thread::sleep(Duration::from_millis(200));
        let output = self.output();
        for secret in secrets {
            assert!(!secret.is_empty());
            assert!(
                !output.contains(secret),
                "the server's output contains the secret {secret:?}:\n{output}"
            );
        }
    }

    /// The demo sign-ins of `slug` from the banner.
    pub fn demo_accounts(&self, slug: &str) -> Vec<DemoAccount> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(accounts) = banner_accounts(&self.stdout.lock().unwrap(), slug) {
                assert!(
                    !accounts.is_empty(),
                    "no demo sign-ins for {slug}:\n{}",
                    self.output()
                );
                return accounts;
            }
            assert!(
                Instant::now() < deadline,
                "no complete banner section for {slug}:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The `i`-th demo address of `slug`.
    pub fn demo_email(&self, slug: &str, i: usize) -> String {
        self.demo_accounts(slug)[i].email.clone()
    }

    // --- time

    pub fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    /// Moves the server's clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.set_time(self.now() + seconds);
    }

    pub fn set_time(&self, unix: i64) {
        // Write a new file and rename it over the old one: a reader never sees a partial write.
        let tmp = self.clock.with_extension("tmp");
        fs::write(&tmp, unix.to_string()).unwrap();
        fs::rename(&tmp, &self.clock).unwrap();
        self.now.store(unix, Ordering::SeqCst);
    }

    // --- keys

    /// `portalgen keys create --org <org>` while the server runs.
    pub fn keys_create(&self, org: &str) -> String {
        create_key(&self.ws, org)
    }

    // --- requests

    pub fn host(&self, slug: &str) -> String {
        format!("{slug}.localhost:{}", self.port)
    }

    pub fn origin(&self, slug: &str) -> String {
        format!("http://{slug}.localhost:{}", self.port)
    }

    pub fn send(&self, req: &Req) -> Response {
        exchange(self.port, req)
    }

    /// Sends every request at once (connections opened first, then all written together).
    pub fn send_parallel(&self, reqs: Vec<Req>) -> Vec<Response> {
        let barrier = Arc::new(Barrier::new(reqs.len()));
        let port = self.port;
        let threads: Vec<_> = reqs
            .into_iter()
            .map(|req| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                    barrier.wait();
                    exchange_on(stream, &req)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    }

    pub fn get(&self, slug: &str, path: &str) -> Response {
        self.send(&Req::new("GET", &self.host(slug), path))
    }

    /// A same-origin JSON POST to the portal `slug`, as the portal's own page sends it.
    pub fn post(&self, slug: &str, path: &str, body: &Value) -> Req {
        Req::new("POST", &self.host(slug), path)
            .header("Sec-Fetch-Site", "same-origin")
            .json(body)
    }

    pub fn request_code(&self, slug: &str, email: &str) -> Response {
        self.send(&self.post(slug, "/api/auth/code", &json!({ "email": email })))
    }

    pub fn verify(&self, slug: &str, email: &str, code: &str) -> Response {
        self.send(&self.post(
            slug,
            "/api/auth/verify",
            &json!({ "email": email, "code": code }),
        ))
    }

    /// Requests a code for `email` on `slug` (must be accepted) and returns the code from the
    /// mail the SMTP server receives.
    pub fn code_by_mail(&self, slug: &str, email: &str) -> String {
        let before = self.smtp.to(email).len();
        let answer = self.request_code(slug, email);
        assert_eq!(answer.status, 202, "code request: {answer}");
        self.mailed_code(email, before + 1)
    }

    /// The code in the `n`-th mail (1-based) to `email`.
    pub fn mailed_code(&self, email: &str, n: usize) -> String {
        let mail = self.smtp.wait_for(email, n, Duration::from_secs(15));
        mail.code()
            .unwrap_or_else(|| panic!("no six-digit code in the mail:\n{}", mail.raw))
    }

    pub fn mail(&self, email: &str, n: usize) -> ReceivedMail {
        self.smtp.wait_for(email, n, Duration::from_secs(15))
    }

    /// Signs `email` in on `slug` by code; the session's cookie and customer.
    pub fn sign_in(&self, slug: &str, email: &str) -> SignedIn {
        let code = self.code_by_mail(slug, email);
        let response = self.verify(slug, email, &code);
        assert_eq!(response.status, 200, "verify: {response}");
        signed_in(response, code)
    }

    /// `GET /api/session` on `slug` with a `Cookie:` header (or none).
    pub fn session(&self, slug: &str, cookie: Option<&str>) -> Response {
        let mut req = Req::new("GET", &self.host(slug), "/api/session");
        if let Some(cookie) = cookie {
            req = req.header("Cookie", cookie);
        }
        self.send(&req)
    }

    /// `POST /admin/magic_link` as a retailer's backend sends it (no browser headers).
    pub fn magic_link(&self, key: Option<&str>, body: &Value) -> Response {
        let mut req = Req::new(
            "POST",
            &format!("localhost:{}", self.port),
            "/admin/magic_link",
        )
        .json(body);
        if let Some(key) = key {
            req = req.header("Authorization", &format!("Bearer {key}"));
        }
        self.send(&req)
    }

    /// `POST /api/auth/magic {token}` on `slug`.
    pub fn use_magic(&self, slug: &str, token: &str) -> Response {
        self.send(&self.post(slug, "/api/auth/magic", &json!({ "token": token })))
    }
}

/// The session a successful verify (or magic) answer started.
pub fn signed_in(response: Response, code: String) -> SignedIn {
    let cookies = response.headers_named("set-cookie");
    assert_eq!(cookies.len(), 1, "one Set-Cookie: {response}");
    let cookie = parse_set_cookie(cookies[0]);
    SignedIn {
        token: cookie.value.clone(),
        cookie: format!("{}={}", cookie.name, cookie.value),
        customer: response.json()["customer"].clone(),
        code,
        response,
    }
}

/// The sign-ins listed under `slug` in the banner, once the section is complete (a later line
/// follows it).
fn banner_accounts(stdout: &str, slug: &str) -> Option<Vec<DemoAccount>> {
    let lines: Vec<&str> = stdout.split_inclusive('\n').collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("  {slug}  http")))?;
    let mut accounts = Vec::new();
    for line in &lines[start + 1..] {
        if !line.ends_with('\n') {
            return None;
        }
        let Some(rest) = line.trim_end().strip_prefix("      sign in as ") else {
            return Some(accounts);
        };
        let (email, description) = rest.split_once("  ").unwrap_or((rest, ""));
        accounts.push(DemoAccount {
            email: email.trim().to_owned(),
            description: description.trim().to_owned(),
        });
    }
    None
}

// --- HTTP

/// One request.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub host: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Send the body with `Transfer-Encoding: chunked` instead of `Content-Length`.
    pub chunked: bool,
}

impl Req {
    pub fn new(method: &str, host: &str, path: &str) -> Req {
        Req {
            method: method.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
            chunked: false,
        }
    }

    pub fn chunked(mut self) -> Req {
        self.chunked = true;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes every header called `name`.
    pub fn without(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Replaces the header `name` (or adds it).
    pub fn with(self, name: &str, value: &str) -> Req {
        self.without(name).header(name, value)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = Some(body.into());
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Req {
        self.with("Content-Type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
    }

    fn bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\n",
            self.method, self.path, self.host
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        match &self.body {
            Some(_) if self.chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
            Some(body) => head.push_str(&format!("Content-Length: {}\r\n", body.len())),
            None => {}
        }
        head.push_str("Connection: close\r\n\r\n");
        let mut bytes = head.into_bytes();
        match &self.body {
            Some(body) if self.chunked => {
                for chunk in body.chunks(4096) {
                    bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    bytes.extend_from_slice(chunk);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
            }
            Some(body) => bytes.extend_from_slice(body),
            None => {}
        }
        bytes
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// What was asked, for messages.
    pub asked: String,
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} → {}", self.asked, self.status)?;
        for (name, value) in &self.headers {
            write!(f, "\n  {name}: {value}")?;
        }
        write!(f, "\n  {}", self.text())
    }
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the answer is not JSON ({e}): {self}"))
    }

    /// The body with the request id (as the `X-Request-Id` header names it) cut out, so answers
    /// can be compared byte for byte.
    pub fn body_without_request_id(&self) -> String {
        let id = self
            .header("x-request-id")
            .unwrap_or_else(|| panic!("no X-Request-Id: {self}"));
        let text = self.text();
        assert!(text.contains(id), "the body does not carry {id}: {self}");
        text.replace(id, "<requestId>")
    }

    /// The headers except the per-request id.
    pub fn headers_without_request_id(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(n, _)| n != "x-request-id" && n != "date")
            .cloned()
            .collect()
    }

    /// Asserts the Nomos error envelope with `status` and `code`, and returns the body.
    pub fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "status: {self}");
        let body = assert_envelope(self);
        assert_eq!(body["code"], code, "error code: {self}");
        body
    }

    /// `Retry-After` in seconds (must be present and a whole number).
    pub fn retry_after(&self) -> i64 {
        let value = self
            .header("retry-after")
            .unwrap_or_else(|| panic!("no Retry-After: {self}"));
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Retry-After is not seconds: {self}"))
    }
}

/// Checks the error envelope `{code, message, requestId, errors?}` and `X-Request-Id`.
pub fn assert_envelope(response: &Response) -> Value {
    assert!(
        response
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json")),
        "error answers are JSON: {response}"
    );
    let body = response.json();
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("envelope is an object: {response}"));
    for key in object.keys() {
        assert!(
            ["code", "message", "requestId", "errors"].contains(&key.as_str()),
            "unexpected key {key:?} in the envelope: {response}"
        );
    }
    const CODES: [&str; 9] = [
        "BAD_REQUEST",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "TOO_MANY_REQUESTS",
        "INTERNAL_SERVER_ERROR",
    ];
    assert!(
        body["code"].as_str().is_some_and(|c| CODES.contains(&c)),
        "code is one of the envelope's: {response}"
    );
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message: {response}"
    );
    let id = body["requestId"].as_str().unwrap_or_default();
    assert!(
        id.starts_with("req_") && id.len() > 4,
        "requestId: {response}"
    );
    assert_eq!(
        response.header("x-request-id"),
        Some(id),
        "X-Request-Id equals requestId: {response}"
    );
    if let Some(errors) = object.get("errors") {
        let errors = errors
            .as_array()
            .unwrap_or_else(|| panic!("errors is an array: {response}"));
        assert!(!errors.is_empty(), "errors, when present, is not empty");
        for error in errors {
            let e = error.as_object().expect("errors[] are objects");
            for key in e.keys() {
                assert!(
                    ["code", "field", "message"].contains(&key.as_str()),
                    "unexpected key {key:?} in errors[]: {response}"
                );
            }
            assert!(
                error["code"].as_str().is_some_and(|c| [
                    "invalid_type",
                    "unrecognized_keys",
                    "invalid_format"
                ]
                .contains(&c)),
                "errors[].code: {response}"
            );
            assert!(error["message"].is_string(), "errors[].message: {response}");
            assert!(
                error.get("field").is_none_or(Value::is_string),
                "errors[].field: {response}"
            );
        }
    }
    body
}

fn exchange(port: u16, req: &Req) -> Response {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to portalgen serve");
    exchange_on(stream, req)
}

fn exchange_on(mut stream: TcpStream, req: &Req) -> Response {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let asked = format!("{} {}{}", req.method, req.host, req.path);
    // A server may answer (and close) before reading a body it refuses; the answer still counts.
    let _ = stream.write_all(&req.bytes());
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{asked}: reading the answer failed: {e}"),
        }
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "{asked}: no complete answer head: {:?}",
                String::from_utf8_lossy(&raw)
            )
        });
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = raw[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{asked}: bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let response = Response {
        status,
        headers,
        body,
        asked,
    };
    // What every answer of the edge has, and never has.
    for (name, _) in &response.headers {
        assert!(
            !name.starts_with("access-control-"),
            "no CORS header ever: {response}"
        );
    }
    assert!(
        response
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close")),
        "Connection: close: {response}"
    );
    let length: Option<usize> = response.header("content-length").map(|l| {
        l.parse()
            .unwrap_or_else(|_| panic!("Content-Length: {response}"))
    });
    if req.method == "HEAD" || response.status == 204 {
        // 204 must not carry Content-Length (RFC 9110 8.6); HEAD has no body.
        assert!(response.body.is_empty(), "no body: {response}");
    } else {
        let length = length.unwrap_or_else(|| panic!("Content-Length: {response}"));
        assert_eq!(response.body.len(), length, "body length: {response}");
    }
    response
}

// --- cookies and mail

/// A `Set-Cookie` header value.
#[derive(Debug, Clone)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// Attribute names lower-cased, values as sent.
    pub attrs: BTreeMap<String, Option<String>>,
}

pub fn parse_set_cookie(header: &str) -> SetCookie {
    let mut parts = header.split(';');
    let (name, value) = parts
        .next()
        .and_then(|p| p.trim().split_once('='))
        .unwrap_or_else(|| panic!("Set-Cookie without name=value: {header:?}"));
    let mut attrs = BTreeMap::new();
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.trim().to_owned())),
            None => (part, None),
        };
        let previous = attrs.insert(k.to_ascii_lowercase(), v);
        assert!(previous.is_none(), "attribute {k} twice in {header:?}");
    }
    SetCookie {
        name: name.trim().to_owned(),
        value: value.trim().to_owned(),
        attrs,
    }
}

/// A header value with RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) decoded.
pub fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let after = &rest[start + 2..];
        let word = after.split_once('?').and_then(|(_charset, r)| {
            let (enc, r) = r.split_once('?')?;
            let (text, r) = r.split_once("?=")?;
            Some((enc.to_ascii_lowercase(), text, r))
        });
        let Some((enc, text, remaining)) = word else {
            break;
        };
        // Whitespace between two encoded words is not part of the text.
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let bytes = match enc.as_str() {
            "b" => base64(text),
            _ => q_decode(text),
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = remaining;
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut acc, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in text.bytes() {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
            continue;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn q_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let (mut i, mut out) = (0, Vec::new());
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' if i + 3 <= bytes.len() => {
                match text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'='),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// `YYYY-MM-DD` of a unix time (UTC).
pub fn utc_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
