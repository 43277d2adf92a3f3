//! The supported deployment as real processes: `portalgen serve` (restartable on the same store,
//! killable with SIGKILL) and nginx run unprivileged from a temporary folder with the shipped
//! front configuration (`deploy/nginx/`), plus the probes of tests/front.rs: the thread count and
//! memory of a process, idle half-open connections, an endless header line, and plain requests
//! that report connection errors instead of panicking (the durability test kills the server
//! mid-request).

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::Workspace;
use super::serve::{collect, listening_port};

// --- the edge

/// Files the edge keeps between restarts: the store, the server secret and the outbox.
pub struct EdgeState {
    pub db: PathBuf,
    pub secret: PathBuf,
    pub outbox: PathBuf,
}

impl EdgeState {
    pub fn in_dir(dir: &Path) -> EdgeState {
        EdgeState {
            db: dir.join("db.sqlite"),
            secret: dir.join("secret.key"),
            outbox: dir.join("outbox"),
        }
    }
}

/// A running `portalgen serve`; killed (SIGKILL) when dropped.
pub struct EdgeProcess {
    child: Child,
    pub pid: u32,
    pub port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl EdgeProcess {
    /// Starts `portalgen serve --listen 127.0.0.1:0` in `ws` with `state` and the `extra`
    /// arguments, and waits until its banner is complete (the line ending in "Ctrl-C stops").
    pub fn start(
        ws: &Workspace,
        state: &EdgeState,
        extra: &[&str],
        env: &[(&str, &Path)],
    ) -> EdgeProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portalgen"));
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--db")
            .arg(&state.db)
            .arg("--secret-file")
            .arg(&state.secret)
            .arg("--outbox")
            .arg(&state.outbox)
            .args(extra);
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
            "PORTALGEN_CLOCK_FILE",
        ] {
            cmd.env_remove(var);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        let mut child = cmd
            .env("NO_COLOR", "1")
            .current_dir(ws.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start portalgen serve");
        let stdout = collect(child.stdout.take().unwrap());
        let stderr = collect(child.stderr.take().unwrap());
        let pid = child.id();
        let mut edge = EdgeProcess {
            child,
            pid,
            port: 0,
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let out = edge.stdout();
            if let Some(port) = listening_port(&out)
                && out.lines().any(|l| l.trim_end().ends_with("Ctrl-C stops"))
            {
                edge.port = port;
                return edge;
            }
            if let Ok(Some(status)) = edge.child.try_wait() {
                panic!(
                    "portalgen serve exited ({status}) before listening:\n{}",
                    edge.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "portalgen serve did not finish its banner within 120 s:\n{}",
                edge.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    /// stderr: the request log.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn output(&self) -> String {
        format!("--- stdout\n{}--- stderr\n{}", self.stdout(), self.log())
    }

    /// `(slug, email)` of every "sign in as" line of the banner.
    pub fn demo_accounts(&self) -> Vec<(String, String)> {
        let mut slug = String::new();
        let mut accounts = Vec::new();
        for line in self.stdout().lines() {
            if let Some(rest) = line.trim_start().strip_prefix("sign in as ") {
                let email = rest.split_whitespace().next().unwrap_or_default();
                accounts.push((slug.clone(), email.to_owned()));
            } else if line.starts_with("  ") && line.contains("http://") {
                slug = line
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
        }
        accounts
    }

    /// SIGKILL, and wait until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stats(&self) -> ProcStats {
        proc_stats(self.pid)
    }
}

impl Drop for EdgeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

// --- nginx

/// The repository's front configuration.
pub fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx")
}

/// The nginx binary, or a failure that says how to get it: the tests never skip.
pub fn nginx_binary() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("nginx")).collect())
        .unwrap_or_default();
    candidates.extend(["/usr/sbin/nginx".into(), "/usr/local/sbin/nginx".into()]);
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed: these tests run the shipped front configuration \
                 (deploy/nginx/) in a real nginx. Run ./scripts/test.sh, which installs the \
                 Debian packages the tests need, or `sudo apt-get install nginx`."
            )
        })
}

fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// `deploy/nginx/portalgen.conf` with its `listen 80` lines on `127.0.0.1:<port>` and its edge
/// (`server 127.0.0.1:8080`) at `edge`; nothing else changes.
pub fn instantiate_site(site: &str, port: u16, edge: &str) -> String {
    let (mut listens, mut upstreams) = (0, 0);
    let mut out = String::new();
    for line in site.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        if let Some(rest) = trimmed.strip_prefix("listen 80") {
            listens += 1;
            out.push_str(&format!("{indent}listen 127.0.0.1:{port}{rest}\n"));
        } else if let Some(rest) = trimmed.strip_prefix("server 127.0.0.1:8080") {
            upstreams += 1;
            out.push_str(&format!("{indent}server {edge}{rest}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(listens >= 1, "no `listen 80` line in portalgen.conf");
    assert_eq!(
        upstreams, 1,
        "one `server 127.0.0.1:8080` line in portalgen.conf"
    );
    out
}

/// nginx with the shipped configuration, unprivileged, everything in a temporary folder;
/// stopped (`nginx -s stop`: SIGTERM to the master, which stops its workers) when dropped.
pub struct Nginx {
    child: Child,
    binary: PathBuf,
    pub port: u16,
    pub dir: TempDir,
}

impl Nginx {
    /// nginx in front of the edge at `127.0.0.1:<edge_port>`, on a free loopback port.
    pub fn start(edge_port: u16) -> Nginx {
        let binary = nginx_binary();
        let mut last_error = String::new();
        for _ in 0..5 {
            match Nginx::try_start(&binary, edge_port) {
                Ok(nginx) => return nginx,
                Err(error) => last_error = error,
            }
        }
        panic!("nginx did not start:\n{last_error}");
    }

    fn try_start(binary: &Path, edge_port: u16) -> Result<Nginx, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let port = free_port();
        let deploy = deploy_dir();
        fs::create_dir_all(root.join("portalgen")).unwrap();
        for entry in fs::read_dir(deploy.join("portalgen")).unwrap() {
            let entry = entry.unwrap();
            fs::copy(entry.path(), root.join("portalgen").join(entry.file_name())).unwrap();
        }
        let site = fs::read_to_string(deploy.join("portalgen.conf")).unwrap();
        let site = instantiate_site(&site, port, &format!("127.0.0.1:{edge_port}"));
        fs::write(root.join("portalgen.conf"), site).unwrap();
        let p = root.display();
        // As root, workers would switch to `nobody`, who cannot enter the private temp folder.
        let user = if effective_uid() == Some(0) {
            "user root;\n"
        } else {
            ""
        };
        let main = format!(
            "# tests/common/front.rs: the shipped portalgen.conf and portalgen/*.conf, run from {p}\n\
             {user}worker_processes auto;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log info;\n\
             events {{\n    include portalgen/events.conf;\n}}\n\
             http {{\n\
             \x20   access_log {p}/access.log;\n\
             \x20   client_body_temp_path {p}/temp/body;\n\
             \x20   proxy_temp_path {p}/temp/proxy;\n\
             \x20   fastcgi_temp_path {p}/temp/fastcgi;\n\
             \x20   uwsgi_temp_path {p}/temp/uwsgi;\n\
             \x20   scgi_temp_path {p}/temp/scgi;\n\
             \x20   include portalgen.conf;\n\
             }}\n"
        );
        fs::create_dir_all(root.join("temp")).unwrap();
        fs::write(root.join("nginx.conf"), main).unwrap();
        let mut child = Command::new(binary)
            .arg("-p")
            .arg(format!("{p}/"))
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .arg("-e")
            .arg(root.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let stderr = collect(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log = fs::read_to_string(root.join("error.log")).unwrap_or_default();
                return Err(format!(
                    "nginx exited ({status}):\n{}\n{log}",
                    stderr.lock().unwrap()
                ));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Nginx {
                    child,
                    binary: binary.to_path_buf(),
                    port,
                    dir,
                });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("nginx did not listen within 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    pub fn access_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // `nginx -s stop` sends the master SIGTERM (by its pid file); it stops its workers.
        let root = self.dir.path();
        let _ = Command::new(&self.binary)
            .arg("-p")
            .arg(format!("{}/", root.display()))
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .arg("-e")
            .arg(root.join("error.log"))
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

// --- process figures

/// Threads and memory of a process, from /proc.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    pub threads: usize,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Peak resident memory since the start (VmHWM), KiB.
    pub hwm_kib: u64,
}

pub fn proc_stats(pid: u32) -> ProcStats {
    let threads = fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0);
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    ProcStats {
        threads,
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
    }
}

/// Samples a process every 10 ms and keeps the highest thread count and resident memory.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<Mutex<ProcStats>>,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new(proc_stats(pid)));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                let now = proc_stats(pid);
                let mut peak = p.lock().unwrap();
                peak.threads = peak.threads.max(now.threads);
                peak.rss_kib = peak.rss_kib.max(now.rss_kib);
                peak.hwm_kib = peak.hwm_kib.max(now.hwm_kib);
                drop(peak);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Sampler {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    /// Stops sampling; the peaks.
    pub fn finish(mut self) -> ProcStats {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        *self.peak.lock().unwrap()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// --- probes

/// Opens `n` connections to `port` that each send the start of a request and never finish it.
/// Every `drip_every`-th one (if not 0) then sends one more header byte per second, as a
/// slowloris client does.
pub struct HalfOpen {
    conns: Vec<TcpStream>,
    pub opened_in: Duration,
    dripping: Arc<AtomicBool>,
    drip_thread: Option<JoinHandle<()>>,
}

impl HalfOpen {
    pub fn open(port: u16, n: usize, host: &str, path: &str, drip_every: usize) -> HalfOpen {
        let started = Instant::now();
        let mut conns = Vec::with_capacity(n);
        let mut drips = Vec::new();
        for i in 0..n {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Slow: ").as_bytes())
                .expect("send the partial request");
            if drip_every > 0 && i % drip_every == 0 {
                drips.push(s.try_clone().unwrap());
            }
            conns.push(s);
        }
        let opened_in = started.elapsed();
        let dripping = Arc::new(AtomicBool::new(true));
        let flag = dripping.clone();
        let drip_thread = std::thread::spawn(move || {
            while flag.load(Ordering::SeqCst) && !drips.is_empty() {
                std::thread::sleep(Duration::from_secs(1));
                drips.retain_mut(|s| s.write_all(b"a").is_ok());
            }
        });
        HalfOpen {
            conns,
            opened_in,
            dripping,
            drip_thread: Some(drip_thread),
        }
    }

    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Waits until the server has closed each connection, at most until `deadline`: for each,
    /// how long after `since` that was seen (`None`: still open).
    pub fn wait_closed(&self, since: Instant, deadline: Instant) -> Vec<Option<Duration>> {
        let mut closed = Vec::with_capacity(self.conns.len());
        for conn in &self.conns {
            let mut conn = conn;
            let mut buf = [0u8; 1024];
            let seen = loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break None;
                }
                conn.set_read_timeout(Some(left.min(Duration::from_millis(500))))
                    .unwrap();
                match conn.read(&mut buf) {
                    Ok(0) => break Some(since.elapsed()),
                    // A 408 or other answer before the close: keep reading to the end.
                    Ok(_) => continue,
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        continue;
                    }
                    Err(_) => break Some(since.elapsed()),
                }
            };
            closed.push(seen);
        }
        closed
    }

    /// How many the server has closed by now (without waiting).
    pub fn count_closed(&self) -> usize {
        self.conns
            .iter()
            .filter(|c| {
                let mut buf = [0u8; 1];
                c.set_nonblocking(true).unwrap();
                let mut conn: &TcpStream = c;
                let closed = match conn.read(&mut buf) {
                    Ok(0) => true,
                    Ok(_) => false,
                    Err(e) => e.kind() != io::ErrorKind::WouldBlock,
                };
                c.set_nonblocking(false).unwrap();
                closed
            })
            .count()
    }

    /// Closes every connection from this side.
    pub fn close(mut self) {
        self.stop_dripping();
        for c in &self.conns {
            let _ = c.shutdown(Shutdown::Both);
        }
        self.conns.clear();
    }

    fn stop_dripping(&mut self) {
        self.dripping.store(false, Ordering::SeqCst);
        if let Some(t) = self.drip_thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for HalfOpen {
    fn drop(&mut self) {
        self.dripping.store(false, Ordering::SeqCst);
    }
}

/// What sending one endless header line did.
#[derive(Debug)]
pub struct HugeHeader {
    /// The answer's status, if one came.
    pub status: Option<u16>,
    /// The first bytes of the answer.
    pub answer: String,
    /// Bytes of the header line the server took before it stopped reading.
    pub sent: usize,
    pub write_error: Option<String>,
    pub elapsed: Duration,
}

/// Sends `GET <path>` with one header line of `size` bytes (then ends the request), reading
/// the answer at the same time.
pub fn huge_header(port: u16, host: &str, path: &str, size: usize) -> HugeHeader {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut reader = stream.try_clone().unwrap();
    let read_thread = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        answer
    });
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = 0;
    let mut write_error = None;
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Huge: ");
    let mut result = stream.write_all(head.as_bytes());
    while result.is_ok() && sent < size {
        let n = chunk.len().min(size - sent);
        result = stream.write_all(&chunk[..n]);
        if result.is_ok() {
            sent += n;
        }
    }
    if result.is_ok() {
        result = stream.write_all(b"\r\n\r\n");
    }
    if let Err(e) = result {
        write_error = Some(e.to_string());
    }
    let _ = stream.shutdown(Shutdown::Write);
    let answer = read_thread.join().unwrap();
    let answer = String::from_utf8_lossy(&answer[..answer.len().min(400)]).into_owned();
    let status = answer
        .strip_prefix("HTTP/1.")
        .and_then(|r| r.get(2..5))
        .and_then(|s| s.parse().ok());
    HugeHeader {
        status,
        answer,
        sent,
        write_error,
        elapsed: started.elapsed(),
    }
}

// --- plain requests that may fail

/// An answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }

    /// `name=value` of the first `Set-Cookie`.
    pub fn cookie(&self) -> Option<String> {
        let value = self.header("set-cookie")?;
        Some(value.split(';').next()?.trim().to_owned())
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer. `headers` are added as
/// given; a `body` goes with `Content-Length`. Connection errors are returned, not panicked on.
pub fn request(
    port: u16,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    // A server may answer (and close) before it reads a body it refuses.
    let written = stream.write_all(&bytes);
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    parse_answer(&raw).ok_or_else(|| {
        let cause = read.err().or(written.err());
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "{method} {host}{path}: no complete answer ({} bytes; {cause:?})",
                raw.len()
            ),
        )
    })
}

/// A same-origin JSON POST, as the portal's own page sends it.
pub fn post_json(
    port: u16,
    host: &str,
    path: &str,
    body: &serde_json::Value,
    extra: &[(&str, &str)],
) -> io::Result<Answer> {
    let mut headers = vec![
        ("Sec-Fetch-Site", "same-origin"),
        ("Content-Type", "application/json"),
    ];
    headers.extend_from_slice(extra);
    let body = serde_json::to_vec(body).unwrap();
    request(port, "POST", host, path, &headers, Some(&body))
}

fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if let Some(length) = length {
        if body.len() < length {
            return None;
        }
        body.truncate(length);
    }
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// Minimum, median and maximum, for reports.
pub fn spread(mut values: Vec<Duration>) -> (Duration, Duration, Duration) {
    values.sort();
    if values.is_empty() {
        return Default::default();
    }
    (
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
    )
}
