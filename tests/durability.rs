//! Durability: `portalgen serve --demo` is killed with SIGKILL while customers sign in, sign out
//! and request codes in parallel, then started again on the same store and secret. Everything it
//! acknowledged before the kill must still be there: every session it created works on
//! `/api/session`, every sign-out it confirmed stays signed out, every code it mailed and nobody
//! used still signs in, and every code request it accepted still counts for the resend cooldown.
//! Requests that were in flight at the kill may or may not have happened; they are not checked.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::front::{Answer, EdgeProcess, EdgeState, post_json, request};
use common::smtp::SmtpServer;
use serde_json::json;

/// Unix time the test starts its clock at (2026-06-01T00:00:00Z).
const T0: i64 = 1_780_272_000;
/// Clock step between rounds: more than the 60 s resend cooldown, and 5 rounds span more than
/// the hour of the 5-codes-per-hour limit, so every round may request a code for every address.
const ROUND_STEP: i64 = 13 * 60;
const WORKERS: usize = 4;
/// Threads that only request codes for addresses nobody has (one write each), back to back.
const BURSTERS: usize = 2;
const KILLS: usize = 3;

/// What the test knows the server acknowledged, or sent without an answer.
#[derive(Default)]
struct Ledger {
    /// Sessions the server created (verify answered 200).
    sessions: Vec<Session>,
    /// Codes mailed for an accepted request and never submitted.
    unused_codes: Vec<(String, String, String)>,
    /// Code requests answered 202: slug, address, clock time.
    code_requests: Vec<(String, String, i64)>,
    /// Requests sent that got no answer (the kill came first).
    unanswered: usize,
    /// Accepted code requests for a known address whose mail never arrived.
    mails_lost: usize,
    /// Answers that are wrong whatever the timing (e.g. 429 or 500 while the server ran).
    wrong: Vec<String>,
}

#[derive(Clone)]
struct Session {
    slug: String,
    email: String,
    cookie: String,
    logout: Logout,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Logout {
    No,
    /// Sent, no answer: the session may or may not exist.
    Unanswered,
    /// Answered 204: the session must stay gone.
    Done,
}

struct Load {
    port: u16,
    now: i64,
    killed: Arc<AtomicBool>,
    smtp: Arc<SmtpServer>,
    /// Mails per address already read.
    mail_seen: Arc<Mutex<HashMap<String, usize>>>,
    ledger: Arc<Mutex<Ledger>>,
    /// A distinct client address per request, so the per-client limits stay out of the way.
    next_ip: Arc<AtomicU64>,
}

impl Load {
    fn host(&self, slug: &str) -> String {
        format!("{slug}.localhost:{}", self.port)
    }

    fn ip(&self) -> String {
        let n = self.next_ip.fetch_add(1, Ordering::SeqCst);
        format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
    }

    fn post(
        &self,
        slug: &str,
        path: &str,
        body: serde_json::Value,
        cookie: Option<&str>,
    ) -> Option<Answer> {
        let ip = self.ip();
        let mut extra = vec![("X-Real-IP", ip.as_str())];
        if let Some(cookie) = cookie {
            extra.push(("Cookie", cookie));
        }
        match post_json(self.port, &self.host(slug), path, &body, &extra) {
            Ok(answer) => Some(answer),
            Err(e) => {
                // Sent, but the server died before it answered (a refused connection was not).
                if e.kind() != std::io::ErrorKind::ConnectionRefused {
                    self.ledger.lock().unwrap().unanswered += 1;
                }
                None
            }
        }
    }

    fn wrong(&self, what: String) {
        // After the kill, nothing that arrives is wrong.
        if !self.killed.load(Ordering::SeqCst) {
            self.ledger.lock().unwrap().wrong.push(what);
        }
    }

    /// Waits for the next mail to `email`; None once the server is dead.
    fn next_code(&self, email: &str) -> Option<String> {
        let seen = *self.mail_seen.lock().unwrap().get(email).unwrap_or(&0);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mails = self.smtp.to(email);
            if mails.len() > seen {
                self.mail_seen
                    .lock()
                    .unwrap()
                    .insert(email.to_owned(), seen + 1);
                return mails[seen].code();
            }
            if self.killed.load(Ordering::SeqCst) {
                // Give a mail that was on its way a moment to arrive.
                std::thread::sleep(Duration::from_millis(300));
                if self.smtp.to(email).len() > seen {
                    continue;
                }
                return None;
            }
            if Instant::now() > deadline {
                self.wrong(format!("no mail to {email} within 15 s"));
                return None;
            }
            // Each look copies every mail so far: not too often.
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// One customer: code request, code from the mail, verify, session, sometimes sign-out; and
    /// a code request for an address nobody has.
    fn flow(&self, slug: &str, email: &str, n: usize, ghost: &str) {
        if self.killed.load(Ordering::SeqCst) {
            return;
        }
        match self.post(slug, "/api/auth/code", json!({ "email": ghost }), None) {
            Some(a) if a.status == 202 => self.acked_code_request(slug, ghost),
            Some(a) => self.wrong(format!("code request {ghost}: {} {}", a.status, a.text())),
            None => return,
        }
        match self.post(slug, "/api/auth/code", json!({ "email": email }), None) {
            Some(a) if a.status == 202 => self.acked_code_request(slug, email),
            Some(a) => {
                return self.wrong(format!("code request {email}: {} {}", a.status, a.text()));
            }
            None => return,
        }
        let Some(code) = self.next_code(email) else {
            if self.killed.load(Ordering::SeqCst) {
                self.ledger.lock().unwrap().mails_lost += 1;
            }
            return;
        };
        if self.killed.load(Ordering::SeqCst) {
            let mut ledger = self.ledger.lock().unwrap();
            ledger
                .unused_codes
                .push((slug.to_owned(), email.to_owned(), code));
            return;
        }
        let verify = self.post(
            slug,
            "/api/auth/verify",
            json!({ "email": email, "code": code }),
            None,
        );
        let cookie = match verify {
            Some(a) if a.status == 200 => a.cookie().expect("Set-Cookie on a sign-in"),
            Some(a) => return self.wrong(format!("verify {email}: {} {}", a.status, a.text())),
            None => return,
        };
        let index = {
            let mut ledger = self.ledger.lock().unwrap();
            ledger.sessions.push(Session {
                slug: slug.to_owned(),
                email: email.to_owned(),
                cookie: cookie.clone(),
                logout: Logout::No,
            });
            ledger.sessions.len() - 1
        };
        match request(
            self.port,
            "GET",
            &self.host(slug),
            "/api/session",
            &[("Cookie", &cookie)],
            None,
        ) {
            Ok(a) if a.status == 200 => {}
            Ok(a) => return self.wrong(format!("session {email}: {} {}", a.status, a.text())),
            Err(_) => return,
        }
        if n.is_multiple_of(3) {
            self.ledger.lock().unwrap().sessions[index].logout = Logout::Unanswered;
            match self.post(slug, "/api/auth/logout", json!({}), Some(&cookie)) {
                Some(a) if a.status == 204 => {
                    self.ledger.lock().unwrap().sessions[index].logout = Logout::Done;
                }
                Some(a) => self.wrong(format!("logout {email}: {} {}", a.status, a.text())),
                None => {}
            }
        }
    }

    fn acked_code_request(&self, slug: &str, email: &str) {
        self.ledger.lock().unwrap().code_requests.push((
            slug.to_owned(),
            email.to_owned(),
            self.now,
        ));
    }
}

fn set_clock(file: &Path, unix: i64) {
    let tmp = file.with_extension("tmp");
    fs::write(&tmp, unix.to_string()).unwrap();
    fs::rename(&tmp, file).unwrap();
}

/// A small pseudo-random number from the time, for kill moments; printed so a failure can be
/// read against it.
fn random_millis(low: u64, high: u64, salt: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut x = nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    low + x % (high - low)
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_is_killed() {
    let ws = common::workspace();
    let state_dir = ws.path("state");
    fs::create_dir_all(&state_dir).unwrap();
    let state = EdgeState::in_dir(&state_dir);
    let clock = state_dir.join("clock");
    let mut now = T0;
    set_clock(&clock, now);
    let env = [("PORTALGEN_CLOCK_FILE", clock.as_path())];
    // A new SMTP server for every run of the edge: mails of one run only, read by address.
    let start = |smtp: &SmtpServer| {
        let url = smtp.url();
        EdgeProcess::start(
            &ws,
            &state,
            &["--demo", "--behind-proxy", "--smtp", &url],
            &env,
        )
    };
    let mut smtp = Arc::new(SmtpServer::start());
    let mut edge = start(&smtp);
    let accounts = edge.demo_accounts();
    assert!(
        accounts.len() >= 8,
        "demo sign-ins in the banner:\n{}",
        edge.output()
    );
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut mail_seen = Arc::new(Mutex::new(HashMap::new()));
    let next_ip = Arc::new(AtomicU64::new(1));
    let mut report = Vec::new();

    for kill in 0..KILLS {
        // --- load, and a SIGKILL at a random moment of it
        let port = edge.port;
        let killed = Arc::new(AtomicBool::new(false));
        let kill_after = Duration::from_millis(random_millis(500, 2500, kill as u64));
        let mut rounds = 0;
        let (sessions_before, unanswered_before, lost_before) = {
            let l = ledger.lock().unwrap();
            (l.sessions.len(), l.unanswered, l.mails_lost)
        };
        let edge_ref = &mut edge;
        // The server's time; changed only under the write lock, so a request sent under the
        // read lock knows the time it was answered at.
        let time = RwLock::new(now);
        std::thread::scope(|scope| {
            let killed_flag = killed.clone();
            scope.spawn(move || {
                std::thread::sleep(kill_after);
                edge_ref.kill();
                killed_flag.store(true, Ordering::SeqCst);
            });
            for b in 0..BURSTERS {
                let load = Load {
                    port,
                    now,
                    killed: killed.clone(),
                    smtp: smtp.clone(),
                    mail_seen: mail_seen.clone(),
                    ledger: ledger.clone(),
                    next_ip: next_ip.clone(),
                };
                let (time, accounts) = (&time, &accounts);
                scope.spawn(move || {
                    let mut n = 0;
                    while !load.killed.load(Ordering::SeqCst) {
                        let slug = &accounts[n % accounts.len()].0;
                        let ghost = format!("burst-{kill}-{b}-{n}@{slug}.example.com");
                        let at = time.read().unwrap();
                        match load.post(slug, "/api/auth/code", json!({ "email": ghost }), None) {
                            Some(a) if a.status == 202 => load
                                .ledger
                                .lock()
                                .unwrap()
                                .code_requests
                                .push((slug.clone(), ghost, *at)),
                            Some(a) => load.wrong(format!("code request {ghost}: {}", a.status)),
                            None => {}
                        }
                        drop(at);
                        n += 1;
                    }
                });
            }
            loop {
                {
                    let mut at = time.write().unwrap();
                    *at = now;
                    set_clock(&clock, now);
                }
                let load = Load {
                    port,
                    now,
                    killed: killed.clone(),
                    smtp: smtp.clone(),
                    mail_seen: mail_seen.clone(),
                    ledger: ledger.clone(),
                    next_ip: next_ip.clone(),
                };
                // One flow per address per round, WORKERS at a time; the clock stands still
                // during a round.
                std::thread::scope(|round| {
                    for w in 0..WORKERS {
                        let (load, accounts) = (&load, &accounts);
                        round.spawn(move || {
                            for (i, (slug, email)) in accounts.iter().enumerate() {
                                if i % WORKERS == w {
                                    let ghost =
                                        format!("nobody-{kill}-{rounds}-{i}@{slug}.example.com");
                                    load.flow(slug, email, rounds + i, &ghost);
                                }
                            }
                        });
                    }
                });
                rounds += 1;
                if killed.load(Ordering::SeqCst) {
                    break;
                }
                now += ROUND_STEP;
            }
        });
        {
            let l = ledger.lock().unwrap();
            assert!(
                l.wrong.is_empty(),
                "wrong answers while the server ran:\n{}",
                l.wrong.join("\n")
            );
        }

        // --- the same store and secret again, at the same time
        set_clock(&clock, now);
        smtp = Arc::new(SmtpServer::start());
        mail_seen = Arc::new(Mutex::new(HashMap::new()));
        edge = start(&smtp);
        let load = Load {
            port: edge.port,
            now,
            killed: Arc::new(AtomicBool::new(false)),
            smtp: smtp.clone(),
            mail_seen: mail_seen.clone(),
            ledger: ledger.clone(),
            next_ip: next_ip.clone(),
        };
        let mut l = ledger.lock().unwrap();
        let mut checked = 0;
        for s in &l.sessions {
            let answer = request(
                edge.port,
                "GET",
                &load.host(&s.slug),
                "/api/session",
                &[("Cookie", &s.cookie)],
                None,
            )
            .expect("GET /api/session after the restart");
            match s.logout {
                Logout::No => {
                    assert_eq!(
                        answer.status,
                        200,
                        "a session created before the kill (answered 200) works after the restart: {} on {}: {}",
                        s.email,
                        s.slug,
                        answer.text()
                    );
                    assert_eq!(
                        answer.json()["customer"]["email"],
                        s.email.as_str(),
                        "the session's customer: {}",
                        answer.text()
                    );
                    checked += 1;
                }
                Logout::Done => {
                    assert_eq!(
                        answer.status,
                        401,
                        "a sign-out confirmed before the kill (204) holds after the restart: {} on {}: {}",
                        s.email,
                        s.slug,
                        answer.text()
                    );
                    checked += 1;
                }
                Logout::Unanswered => {}
            }
        }
        let unused = std::mem::take(&mut l.unused_codes);
        for (slug, email, code) in &unused {
            let answer = post_json(
                edge.port,
                &load.host(slug),
                "/api/auth/verify",
                &json!({ "email": email, "code": code }),
                &[("X-Real-IP", &load.ip())],
            )
            .expect("verify after the restart");
            assert_eq!(
                answer.status,
                200,
                "a code mailed before the kill (request answered 202) and never used signs in after the restart: {email} on {slug}: {}",
                answer.text()
            );
            l.sessions.push(Session {
                slug: slug.clone(),
                email: email.clone(),
                cookie: answer.cookie().expect("Set-Cookie on a sign-in"),
                logout: Logout::No,
            });
        }
        let recent: Vec<(String, String, i64)> = l
            .code_requests
            .iter()
            .filter(|(_, _, t)| *t == now)
            .cloned()
            .collect();
        for (slug, email, _) in &recent {
            let answer = post_json(
                edge.port,
                &load.host(slug),
                "/api/auth/code",
                &json!({ "email": email }),
                &[("X-Real-IP", &load.ip())],
            )
            .expect("code request after the restart");
            assert_eq!(
                answer.status,
                429,
                "a code request accepted (202) just before the kill still counts for the 60 s cooldown after the restart: {email} on {slug}: {}",
                answer.text()
            );
        }
        report.push(format!(
            "kill {}: after {} ms in round {rounds}; sessions created {} (in all {}), requests without answer {}, accepted code requests whose mail never came {}; checked after restart: {checked} sessions and sign-outs, {} unused codes, {} code requests of the last round",
            kill + 1,
            kill_after.as_millis(),
            l.sessions.len() - sessions_before - unused.len(),
            l.sessions.len(),
            l.unanswered - unanswered_before,
            l.mails_lost - lost_before,
            unused.len(),
            recent.len(),
        ));
        drop(l);
        now += ROUND_STEP;
    }
    eprintln!("durability:\n  {}", report.join("\n  "));
    let l = ledger.lock().unwrap();
    assert!(
        l.sessions.len() >= 10,
        "the load created too few sessions to mean anything ({}):\n{}",
        l.sessions.len(),
        edge.output()
    );
}
