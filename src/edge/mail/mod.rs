//! Sending mail: over SMTP when `--smtp` names a server, otherwise into an outbox folder (one
//! `.eml` file per message) so the first run works offline. Messages go through a queue to one
//! sending thread: a request never waits for the mail server, and answers take the same time
//! whether or not a mail was sent.

mod login_code;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

pub use login_code::{LOGIN_CODE_TEMPLATES, login_code_mail};

/// Messages waiting beyond this many are dropped (and logged): the queue must not grow without
/// bound when the mail server is down.
const QUEUE: usize = 1024;
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// A rendered message.
#[derive(Debug)]
pub struct Mail {
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// What the message is, for the log; never its secret content.
    pub label: String,
}

enum Delivery {
    Smtp(Box<SmtpTransport>),
    Outbox(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    queue: SyncSender<Mail>,
}

impl Mailer {
    /// Starts the sending thread: SMTP to `smtp_url` (`smtp://host:port`,
    /// `smtps://user:pass@host`, `smtp://host:587?tls=required`) or files in `outbox`.
    pub fn start(smtp_url: Option<&str>, outbox: &Path) -> io::Result<(Mailer, String)> {
        let (delivery, described) = match smtp_url {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| io::Error::other(format!("--smtp {url}: {e}")))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                (
                    Delivery::Smtp(Box::new(transport)),
                    format!("mail goes out over SMTP ({})", without_password(url)),
                )
            }
            None => {
                fs::create_dir_all(outbox)?;
                (
                    Delivery::Outbox(outbox.to_path_buf()),
                    format!("mail goes to the outbox folder {}", outbox.display()),
                )
            }
        };
        let (queue, waiting) = sync_channel(QUEUE);
        std::thread::spawn(move || send_all(delivery, waiting));
        Ok((Mailer { queue }, described))
    }

    /// Queues `mail`; a full queue drops it with a log line.
    pub fn send(&self, mail: Mail) {
        if let Err(TrySendError::Full(mail) | TrySendError::Disconnected(mail)) =
            self.queue.try_send(mail)
        {
            log(&format!("mail dropped, the queue is full: {}", mail.label));
        }
    }
}

fn send_all(delivery: Delivery, waiting: Receiver<Mail>) {
    for (n, mail) in waiting.into_iter().enumerate() {
        let label = mail.label.clone();
        let message = match build(mail) {
            Ok(message) => message,
            Err(err) => {
                log(&format!("mail not sent ({label}): {err}"));
                continue;
            }
        };
        let outcome = match &delivery {
            Delivery::Smtp(transport) => transport
                .send(&message)
                .map(|_| "sent over SMTP".to_owned())
                .map_err(|e| e.to_string()),
            Delivery::Outbox(dir) => write_outbox(dir, n, &message)
                .map(|file| format!("written to {}", file.display()))
                .map_err(|e| e.to_string()),
        };
        match outcome {
            Ok(done) => log(&format!("mail {label}: {done}")),
            Err(err) => log(&format!("mail not sent ({label}): {err}")),
        }
    }
}

fn build(mail: Mail) -> Result<Message, lettre::error::Error> {
    let mut builder = Message::builder()
        .from(mail.from)
        .to(mail.to)
        .subject(mail.subject);
    if let Some(reply_to) = mail.reply_to {
        builder = builder.reply_to(reply_to);
    }
    builder.multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
}

fn write_outbox(dir: &Path, n: usize, message: &Message) -> io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let file = dir.join(format!("{stamp}-{n:04}.eml"));
    let temp = file.with_extension("eml.tmp");
    fs::write(&temp, message.formatted())?;
    fs::rename(&temp, &file)?;
    Ok(file)
}

/// `a***@example.com`: enough to tell messages apart in a log, not enough to read an address.
pub fn masked_address(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

fn without_password(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
        _ => url.to_owned(),
    }
}

fn log(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_show_neither_addresses_nor_passwords() {
        assert_eq!(
            masked_address("anna.schmidt@example.com"),
            "a***@example.com"
        );
        assert_eq!(
            without_password("smtps://user:secret@smtp.example.com:465"),
            "smtps://***@smtp.example.com:465"
        );
        assert_eq!(
            without_password("smtp://localhost:2525"),
            "smtp://localhost:2525"
        );
    }
}
