//! A real SMTP server on loopback for the tests: it speaks enough of RFC 5321 for a mail client
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message it receives, and decodes
//! their text parts so tests can read what a customer would read.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One received message.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as transmitted (headers and MIME body).
    pub raw: String,
}

impl ReceivedMail {
    /// The value of the first header `name` (unfolded), if any.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// Every text part (plain and HTML), decoded from quoted-printable or base64.
    pub fn text_parts(&self) -> Vec<(String, String)> {
        let mut parts = Vec::new();
        for chunk in self.raw.split("\r\n--") {
            let Some((head, body)) = chunk.split_once("\r\n\r\n") else {
                continue;
            };
            let head_lower = head.to_ascii_lowercase();
            let Some(kind) = ["text/plain", "text/html"]
                .into_iter()
                .find(|k| head_lower.contains(&format!("content-type: {k}")))
            else {
                continue;
            };
            let body = body.split("\r\n--").next().unwrap_or_default();
            let decoded = if head_lower.contains("content-transfer-encoding: base64") {
                base64_decode(body)
            } else if head_lower.contains("content-transfer-encoding: quoted-printable") {
                quoted_printable_decode(body)
            } else {
                body.to_owned()
            };
            parts.push((kind.to_owned(), decoded));
        }
        parts
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        self.text_parts()
            .into_iter()
            .find(|(k, _)| k == "text/plain")
            .map(|(_, t)| t)
            .unwrap_or_default()
    }

    /// The first run of exactly six digits in the plain-text part: the sign-in code.
    pub fn code(&self) -> Option<String> {
        let text = self.text();
        let bytes = text.as_bytes();
        (0..bytes.len().saturating_sub(5)).find_map(|i| {
            let run = &bytes[i..i + 6];
            let before = i.checked_sub(1).map(|j| bytes[j]);
            let after = bytes.get(i + 6).copied();
            (run.iter().all(u8::is_ascii_digit)
                && !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit()))
            .then(|| String::from_utf8_lossy(run).into_owned())
        })
    }
}

#[derive(Default)]
struct Inbox {
    mails: Mutex<Vec<ReceivedMail>>,
    arrived: Condvar,
}

/// The running server; it stops with the test process.
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Inbox>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP port");
        let port = listener.local_addr().unwrap().port();
        let inbox = Arc::new(Inbox::default());
        let shared = inbox.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let inbox = shared.clone();
                std::thread::spawn(move || {
                    let _ = session(stream, &inbox);
                });
            }
        });
        SmtpServer { port, inbox }
    }

    /// `smtp://127.0.0.1:<port>` for `portalgen serve --smtp`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn all(&self) -> Vec<ReceivedMail> {
        self.inbox.mails.lock().unwrap().clone()
    }

    /// Messages to `address` received so far.
    pub fn to(&self, address: &str) -> Vec<ReceivedMail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    /// Waits until `address` has received `count` messages in all, and returns the last.
    pub fn wait_for(&self, address: &str, count: usize, timeout: Duration) -> ReceivedMail {
        let deadline = Instant::now() + timeout;
        let mut mails = self.inbox.mails.lock().unwrap();
        loop {
            let to_address: Vec<&ReceivedMail> = mails
                .iter()
                .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
                .collect();
            if to_address.len() >= count {
                return to_address[count - 1].clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no mail #{count} to {address} within {timeout:?}"
            );
            mails = self.inbox.arrived.wait_timeout(mails, left).unwrap().0;
        }
    }
}

fn session(stream: TcpStream, inbox: &Inbox) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    write!(out, "220 test-smtp ESMTP ready\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write!(out, "250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            write!(out, "250 OK\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address_in(&command);
            to.clear();
            write!(out, "250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address_in(&command));
            write!(out, "250 OK\r\n")?;
        } else if upper == "DATA" {
            write!(out, "354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                raw.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            inbox.mails.lock().unwrap().push(ReceivedMail {
                from: from.clone(),
                to: to.clone(),
                raw,
            });
            inbox.arrived.notify_all();
            write!(out, "250 OK: queued\r\n")?;
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            write!(out, "250 OK\r\n")?;
        } else if upper.starts_with("QUIT") {
            write!(out, "221 Bye\r\n")?;
            return Ok(());
        } else {
            write!(out, "502 Command not implemented\r\n")?;
        }
    }
}

fn address_in(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

fn quoted_printable_decode(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Some(b) = joined
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64_decode(body: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
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
    String::from_utf8_lossy(&out).into_owned()
}
