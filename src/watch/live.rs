//! Live reload: one Server-Sent Events stream per open page, told what each rebuild changed.
//! tiny_http buffers streamed bodies, so each stream writes the raw socket and flushes every
//! event itself, on a thread of its own.

use std::io::Write;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// Open pages beyond this many get no stream (a runaway tab must not pile up threads).
const MAX_STREAMS: usize = 64;
/// A comment this often lets a stream notice that its page has gone.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// What one rebuild means for the open pages.
#[derive(Debug, Default)]
pub struct Rebuilt {
    /// Slugs whose files changed, each with its stylesheet URL.
    pub slugs: Vec<(String, String)>,
    /// The edited inputs, as shown to the user.
    pub inputs: Vec<String>,
    /// Only stylesheets changed: pages swap them in place instead of reloading.
    pub stylesheets_only: bool,
    /// The build's errors, as the overlay shows them; empty when it succeeded.
    pub errors: Vec<Value>,
}

#[derive(Default)]
pub struct LiveHub {
    state: Mutex<HubState>,
}

#[derive(Default)]
struct HubState {
    generation: u64,
    errors: Vec<Value>,
    streams: Vec<Stream>,
    closed: bool,
}

struct Stream {
    /// The slug of the page's host; `None` for the index page, which hears about every slug.
    slug: Option<String>,
    events: Sender<String>,
}

impl LiveHub {
    /// Records the errors of the first build, shown to every page that connects.
    pub fn set_errors(&self, errors: Vec<Value>) {
        self.lock().errors = errors;
    }

    /// Tells every open page what `rebuilt` means for it.
    pub fn publish(&self, rebuilt: &Rebuilt) {
        let mut state = self.lock();
        state.generation += 1;
        let generation = state.generation;
        let had_errors = !state.errors.is_empty();
        state.errors = rebuilt.errors.clone();
        let all_slugs: Vec<&str> = rebuilt.slugs.iter().map(|(s, _)| s.as_str()).collect();
        state.streams.retain(|stream| {
            let mut events = Vec::new();
            if !rebuilt.errors.is_empty() {
                events.push(error_event(generation, &rebuilt.errors));
            } else if had_errors {
                events.push(event("ok", &json!({ "generation": generation })));
            }
            let stylesheet = match &stream.slug {
                None => Some(None),
                Some(slug) => rebuilt
                    .slugs
                    .iter()
                    .find(|(s, _)| s == slug)
                    .map(|(_, css)| Some(css.as_str())),
            };
            if let Some(stylesheet) = stylesheet.filter(|_| !all_slugs.is_empty()) {
                events.push(if rebuilt.stylesheets_only {
                    let mut data = json!({ "generation": generation, "slugs": all_slugs });
                    if let Some(href) = stylesheet {
                        data["stylesheet"] = json!(href);
                    }
                    event("css", &data)
                } else {
                    event(
                        "reload",
                        &json!({
                            "generation": generation,
                            "slugs": all_slugs,
                            "inputs": rebuilt.inputs,
                        }),
                    )
                });
            }
            events.into_iter().all(|e| stream.events.send(e).is_ok())
        });
    }

    /// A new stream for a page on `slug`'s host: a greeting and the current errors first.
    /// `None` when too many pages are open or the hub is closing.
    pub fn attach(&self, slug: Option<String>) -> Option<Receiver<String>> {
        let mut state = self.lock();
        if state.closed || state.streams.len() >= MAX_STREAMS {
            return None;
        }
        let (events, receiver) = channel();
        let hello = json!({ "generation": state.generation, "slug": slug });
        events.send(event("hello", &hello)).ok()?;
        if !state.errors.is_empty() {
            events
                .send(error_event(state.generation, &state.errors))
                .ok()?;
        }
        state.streams.push(Stream { slug, events });
        Some(receiver)
    }

    /// Ends every stream.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.streams.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes the response head and then each event as it comes, until the hub closes the stream
/// or the page goes away.
pub fn stream_events(mut socket: Box<dyn Write + Send>, events: Receiver<String>) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
    if socket.write_all(head.as_bytes()).is_err() {
        return;
    }
    loop {
        let chunk = match events.recv_timeout(KEEP_ALIVE) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => ": keep-alive\n\n".to_owned(),
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if socket
            .write_all(chunk.as_bytes())
            .and_then(|_| socket.flush())
            .is_err()
        {
            return;
        }
    }
}

fn event(kind: &str, data: &Value) -> String {
    format!("event: {kind}\ndata: {data}\n\n")
}

fn error_event(generation: u64, errors: &[Value]) -> String {
    event(
        "error",
        &json!({ "generation": generation, "diagnostics": errors }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(rx: &Receiver<String>) -> Vec<String> {
        rx.try_iter()
            .map(|e| e.lines().next().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn pages_hear_only_about_their_own_slug() {
        let hub = LiveHub::default();
        let lumio = hub.attach(Some("lumio".into())).unwrap();
        let solva = hub.attach(Some("solva".into())).unwrap();
        let index = hub.attach(None).unwrap();
        for rx in [&lumio, &solva, &index] {
            assert_eq!(drain(rx), ["event: hello"]);
        }
        hub.publish(&Rebuilt {
            slugs: vec![("lumio".into(), "/assets/app.1.css".into())],
            stylesheets_only: true,
            ..Rebuilt::default()
        });
        let css = lumio.try_recv().unwrap();
        assert!(css.starts_with("event: css\n") && css.contains("/assets/app.1.css"));
        assert!(drain(&solva).is_empty());
        assert_eq!(drain(&index), ["event: css"]);
    }

    #[test]
    fn errors_reach_every_page_and_new_ones_until_a_build_succeeds() {
        let hub = LiveHub::default();
        let page = hub.attach(Some("lumio".into())).unwrap();
        drain(&page);
        hub.publish(&Rebuilt {
            errors: vec![json!({ "message": "broken" })],
            ..Rebuilt::default()
        });
        assert_eq!(drain(&page), ["event: error"]);
        let late = hub.attach(Some("solva".into())).unwrap();
        assert_eq!(drain(&late), ["event: hello", "event: error"]);
        hub.publish(&Rebuilt::default());
        assert_eq!(drain(&page), ["event: ok"]);
        assert_eq!(drain(&hub.attach(None).unwrap()), ["event: hello"]);
    }
}
