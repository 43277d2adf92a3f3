//! The supported deployment: `portalgen serve --behind-proxy` on 127.0.0.1 behind nginx with the
//! shipped front configuration (deploy/nginx/), both real processes. tiny_http 0.12 has no read
//! timeout, header size limit or connection cap, so the front must keep slow, oversized and
//! excess requests away from the edge: these tests send them through nginx and check the edge's
//! thread count, memory and request log. The same probes sent straight to the edge are measured
//! and printed (not asserted), to show what the front is for. Timings are printed, never asserted.
//!
//! nginx must be installed (Debian package `nginx`; ./scripts/test.sh installs it): without it
//! these tests fail, they do not skip.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::front::{
    EdgeProcess, EdgeState, HalfOpen, Nginx, Sampler, huge_header, mib, post_json, request, spread,
};
use common::workspace;
use serde_json::json;

const HALF_OPEN: usize = 300;
const HUGE_HEADER: usize = 100 << 20;

/// The edge (no demo data needed) and nginx in front of it.
fn edge_and_front(ws: &common::Workspace) -> (EdgeProcess, Nginx) {
    let state = EdgeState::in_dir(&ws.path("state"));
    let edge = EdgeProcess::start(ws, &state, &["--behind-proxy"], &[]);
    let nginx = Nginx::start(edge.port);
    // One request through the front first, so the edge's thread pool has its working size.
    let warm = request(nginx.port, "GET", "lumio.localhost", "/healthz", &[], None)
        .expect("GET /healthz through nginx");
    assert_eq!(warm.status, 200, "healthz through nginx: {}", warm.text());
    std::thread::sleep(Duration::from_millis(300));
    (edge, nginx)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[test]
fn idle_half_open_connections_end_at_the_front() {
    let ws = workspace();
    let (edge, nginx) = edge_and_front(&ws);
    let host = format!("lumio.localhost:{}", nginx.port);

    // --- through nginx: asserted
    let before = edge.stats();
    let sampler = Sampler::start(edge.pid);
    let opened_at = Instant::now();
    // Every 10th connection sends one more header byte per second (slowloris).
    let conns = HalfOpen::open(nginx.port, HALF_OPEN, &host, "/probe-idle", 10);
    std::thread::sleep(Duration::from_secs(2));
    let during = edge.stats();
    let started = Instant::now();
    let normal = request(nginx.port, "GET", &host, "/api/session", &[], None)
        .expect("a normal request through nginx while the idle connections are open");
    let normal_took = started.elapsed();
    assert_eq!(
        normal.status,
        401,
        "GET /api/session without a cookie reaches the edge: {}",
        normal.text()
    );
    let page = request(nginx.port, "GET", &host, "/", &[], None).expect("GET / through nginx");
    assert_eq!(page.status, 200, "the portal page through nginx");
    let closed = conns.wait_closed(opened_at, opened_at + Duration::from_secs(90));
    let peak = sampler.finish();
    let after = edge.stats();
    let still_open = closed.iter().filter(|c| c.is_none()).count();
    let times: Vec<Duration> = closed.iter().flatten().copied().collect();
    let (first, median, last) = spread(times);
    eprintln!(
        "through nginx, {HALF_OPEN} half-open connections (every 10th dripping a byte per second):\n  \
         opened in {}; the edge: threads {} before, {} during, peak {}, {} after; RSS {:.1} MiB \
         before, peak {:.1} MiB, {:.1} MiB after\n  \
         a normal request meanwhile: {} in {} ms\n  \
         nginx closed them after {} (first) / {} (median) / {} (last); still open after 90 s: \
         {still_open}",
        secs(conns.opened_in),
        before.threads,
        during.threads,
        peak.threads,
        after.threads,
        mib(before.rss_kib),
        mib(peak.rss_kib),
        mib(after.rss_kib),
        normal.status,
        normal_took.as_millis(),
        secs(first),
        secs(median),
        secs(last),
    );
    assert_eq!(
        still_open, 0,
        "nginx closes connections that never finish their request header (client_header_timeout)"
    );
    assert!(
        peak.threads < before.threads + 20,
        "the edge's threads stay flat: {} before, peak {}",
        before.threads,
        peak.threads
    );
    assert!(
        peak.rss_kib < before.rss_kib + 20 * 1024,
        "the edge's memory stays flat: {:.1} MiB before, peak {:.1} MiB",
        mib(before.rss_kib),
        mib(peak.rss_kib)
    );
    assert!(
        !edge.log().contains("/probe-idle"),
        "no unfinished request reached the edge:\n{}",
        edge.log()
    );

    // --- straight to the edge: measured only
    let before = edge.stats();
    let sampler = Sampler::start(edge.pid);
    let direct_host = format!("lumio.localhost:{}", edge.port);
    let opened_at = Instant::now();
    let conns = HalfOpen::open(edge.port, HALF_OPEN, &direct_host, "/probe-idle-direct", 10);
    std::thread::sleep(Duration::from_secs(3));
    let during = edge.stats();
    let started = Instant::now();
    let normal = request(edge.port, "GET", &direct_host, "/api/session", &[], None);
    let normal_took = started.elapsed();
    let closed = conns.wait_closed(opened_at, opened_at + Duration::from_secs(15));
    let still_open = closed.iter().filter(|c| c.is_none()).count();
    let opened_in = conns.opened_in;
    conns.close();
    std::thread::sleep(Duration::from_secs(1));
    let peak = sampler.finish();
    let after = edge.stats();
    eprintln!(
        "straight to the edge, the same {HALF_OPEN} connections (not asserted):\n  \
         opened in {}; threads {} before, {} during, peak {}, {} one second after the client \
         closed them; RSS {:.1} MiB before, peak {:.1} MiB, {:.1} MiB after\n  \
         a normal request meanwhile: {:?} in {} ms; still open after 15 s: {still_open} of \
         {HALF_OPEN}",
        secs(opened_in),
        before.threads,
        during.threads,
        peak.threads,
        after.threads,
        mib(before.rss_kib),
        mib(peak.rss_kib),
        mib(after.rss_kib),
        normal.map(|a| a.status),
        normal_took.as_millis(),
    );
}

#[test]
fn an_endless_header_line_ends_at_the_front() {
    let ws = workspace();
    let (edge, nginx) = edge_and_front(&ws);

    // --- through nginx: asserted
    let before = edge.stats();
    let sampler = Sampler::start(edge.pid);
    let host = format!("lumio.localhost:{}", nginx.port);
    let outcome = huge_header(nginx.port, &host, "/probe-huge", HUGE_HEADER);
    std::thread::sleep(Duration::from_millis(500));
    let peak = sampler.finish();
    eprintln!(
        "through nginx, one {} MiB header line: answer {:?} after {}, {:.1} MiB taken, write \
         error {:?}; the edge: RSS {:.1} MiB before, peak {:.1} MiB; threads {} before, peak {}",
        HUGE_HEADER >> 20,
        outcome.status,
        secs(outcome.elapsed),
        outcome.sent as f64 / 1048576.0,
        outcome.write_error,
        mib(before.rss_kib),
        mib(peak.rss_kib),
        before.threads,
        peak.threads,
    );
    assert!(
        matches!(outcome.status, Some(400 | 494)),
        "nginx refuses the header line with 400 (Request Header Or Cookie Too Large): {:?}",
        outcome.answer
    );
    assert!(
        peak.rss_kib < before.rss_kib + 10 * 1024,
        "the edge's memory is unchanged: {:.1} MiB before, peak {:.1} MiB",
        mib(before.rss_kib),
        mib(peak.rss_kib)
    );
    assert!(
        !edge.log().contains("/probe-huge"),
        "the request never reached the edge:\n{}",
        edge.log()
    );
    assert!(
        nginx
            .access_log()
            .contains("\"GET /probe-huge HTTP/1.1\" 400"),
        "nginx logged the refusal:\n{}",
        nginx.access_log()
    );

    // --- straight to the edge: measured only
    let before = edge.stats();
    let sampler = Sampler::start(edge.pid);
    let host = format!("lumio.localhost:{}", edge.port);
    let outcome = huge_header(edge.port, &host, "/probe-huge-direct", HUGE_HEADER);
    std::thread::sleep(Duration::from_millis(500));
    let peak = sampler.finish();
    let after = edge.stats();
    eprintln!(
        "straight to the edge, the same header line (not asserted): answer {:?} after {}, {:.1} \
         MiB taken, write error {:?}; RSS {:.1} MiB before, peak {:.1} MiB sampled (VmHWM {:.1} \
         MiB), {:.1} MiB after; the edge logged the request: {}",
        outcome.status,
        secs(outcome.elapsed),
        outcome.sent as f64 / 1048576.0,
        outcome.write_error,
        mib(before.rss_kib),
        mib(peak.rss_kib),
        mib(peak.hwm_kib),
        mib(after.rss_kib),
        edge.log().contains("/probe-huge-direct"),
    );
}

#[test]
fn bodies_over_16_kib_end_at_the_front() {
    let ws = workspace();
    let (edge, nginx) = edge_and_front(&ws);
    let host = format!("lumio.localhost:{}", nginx.port);
    let big = json!({ "email": format!("{}@example.com", "x".repeat(20 * 1024)) });

    let answer = post_json(nginx.port, &host, "/api/auth/code", &big, &[])
        .expect("POST of 20 KiB through nginx");
    assert_eq!(answer.status, 413, "20 KiB body: {}", answer.text());

    // The same body chunked (no Content-Length): refused once it passes 16 KiB.
    let body = serde_json::to_vec(&big).unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", nginx.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut raw = format!(
        "POST /api/auth/code HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(4096) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let _ = stream.write_all(&raw);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "20 KiB chunked body: {answer}"
    );

    // A body under the limit passes.
    let small = post_json(
        nginx.port,
        &host,
        "/api/auth/code",
        &json!({ "email": "nobody@example.com" }),
        &[],
    )
    .expect("POST through nginx");
    assert_eq!(small.status, 202, "a small code request: {}", small.text());
    std::thread::sleep(Duration::from_millis(200));
    let log = edge.log();
    assert_eq!(
        log.matches("/api/auth/code").count(),
        1,
        "only the small request reached the edge:\n{log}"
    );

    // Straight to the edge, for the record.
    let direct = post_json(
        edge.port,
        &format!("lumio.localhost:{}", edge.port),
        "/api/auth/code",
        &big,
        &[],
    );
    eprintln!(
        "20 KiB body: nginx 413 (Content-Length and chunked); straight to the edge: {:?}",
        direct.map(|a| a.status)
    );
}

#[test]
fn the_front_caps_requests_per_address() {
    let ws = workspace();
    let (edge, nginx) = edge_and_front(&ws);
    let host = format!("lumio.localhost:{}", nginx.port);
    // Requests whose header is complete but whose body never comes are in progress at nginx
    // (it reads the whole body before it calls the edge): they count against limit_conn.
    let limit = 32;
    let extra = 8;
    let mut conns = Vec::new();
    for _ in 0..limit + extra {
        let mut s = TcpStream::connect(("127.0.0.1", nginx.port)).unwrap();
        s.write_all(
            format!(
                "POST /api/auth/code HTTP/1.1\r\nHost: {host}\r\nSec-Fetch-Site: same-origin\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
        conns.push(s);
    }
    for conn in &conns {
        conn.set_nonblocking(true).unwrap();
    }
    // `extra` of them are answered at once, the others wait for their bodies (until nginx's
    // client_body_timeout of 10 s; we look for 8 s at most).
    let mut answers: Vec<Vec<u8>> = vec![Vec::new(); conns.len()];
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        for (conn, answer) in conns.iter_mut().zip(answers.iter_mut()) {
            let mut buf = [0u8; 4096];
            if let Ok(n) = conn.read(&mut buf) {
                answer.extend_from_slice(&buf[..n]);
            }
        }
        let complete = answers
            .iter()
            .filter(|a| a.windows(4).any(|w| w == b"\r\n\r\n"))
            .count();
        if complete >= extra || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Whatever else was on its way.
    std::thread::sleep(Duration::from_millis(200));
    for (conn, answer) in conns.iter_mut().zip(answers.iter_mut()) {
        let mut buf = [0u8; 4096];
        if let Ok(n) = conn.read(&mut buf) {
            answer.extend_from_slice(&buf[..n]);
        }
    }
    let answers: Vec<String> = answers
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let refused: Vec<&String> = answers.iter().filter(|a| !a.is_empty()).collect();
    assert_eq!(
        refused.len(),
        extra,
        "of {} requests in progress from one address, {limit} wait and {extra} are refused: {refused:#?}",
        limit + extra
    );
    for answer in refused {
        assert!(
            answer.starts_with("HTTP/1.1 429"),
            "past {limit} requests in progress from one address: 429: {answer}"
        );
        assert!(
            answer.contains("Retry-After: 1") && answer.contains("\"code\":\"TOO_MANY_REQUESTS\""),
            "429 with Retry-After and the API's error shape: {answer}"
        );
    }
    drop(conns);
    assert!(
        !edge.log().contains("/api/auth/code"),
        "none of them reached the edge:\n{}",
        edge.log()
    );
}

#[test]
fn the_front_routes_portal_hosts_and_sets_the_client_address() {
    let ws = workspace();
    let (mut edge, nginx) = edge_and_front(&ws);
    let host = format!("lumio.localhost:{}", nginx.port);

    // Portal hosts reach the edge: the bundle, and the API under /api/.
    let page = request(nginx.port, "GET", &host, "/login/", &[], None).unwrap();
    assert_eq!(page.status, 200, "the login page through nginx");
    assert!(page.text().contains("<html"), "{}", page.text());
    // The app's stylesheet leaves nginx compressed for a browser that accepts gzip.
    let css = page
        .text()
        .split('"')
        .find(|part| part.starts_with("/assets/app.") && part.ends_with(".css"))
        .expect("the page links its stylesheet")
        .to_owned();
    let gzipped = request(
        nginx.port,
        "GET",
        &host,
        &css,
        &[("Accept-Encoding", "gzip")],
        None,
    )
    .unwrap();
    assert_eq!(gzipped.status, 200);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert_eq!(gzipped.header("vary"), Some("Accept-Encoding"));
    let session = request(nginx.port, "GET", &host, "/api/session", &[], None).unwrap();
    assert_eq!(session.status, 401, "{}", session.text());
    assert_eq!(session.json()["code"], "UNAUTHORIZED");
    assert!(session.header("x-request-id").is_some());

    // Other host names are answered by nginx and never forwarded.
    for other in [
        "evil.example",
        "lumio.customerportal.energy.evil.example",
        "localhost",
    ] {
        let answer = request(nginx.port, "GET", other, "/api/session", &[], None).unwrap();
        assert_eq!(answer.status, 404, "Host {other}: {}", answer.text());
    }
    assert!(
        !edge.log().contains("evil.example"),
        "unknown hosts never reach the edge:\n{}",
        edge.log()
    );

    // nginx replaces a client's own X-Real-IP with the address it sees: the edge's per-client
    // limit of 10 code requests per 10 minutes counts them all as one client.
    let mut statuses = Vec::new();
    for i in 0..11 {
        let spoofed = format!("203.0.113.{i}");
        let answer = post_json(
            nginx.port,
            &host,
            "/api/auth/code",
            &json!({ "email": format!("nobody{i}@example.com") }),
            &[("X-Real-IP", &spoofed)],
        )
        .unwrap();
        statuses.push(answer.status);
    }
    assert_eq!(
        statuses,
        [vec![202; 10], vec![429]].concat(),
        "a spoofed X-Real-IP does not reach the edge"
    );

    // The edge down (or restarting): 503 with Retry-After in the API's error shape.
    edge.kill();
    let down = request(nginx.port, "GET", &host, "/api/session", &[], None).unwrap();
    assert_eq!(down.status, 503, "{}", down.text());
    assert_eq!(down.header("retry-after"), Some("5"));
    assert_eq!(down.json()["code"], "SERVICE_UNAVAILABLE");
}
