//! Watching the input folders: notify with a debouncer, inotify or polling, delivering batches
//! of changed paths to the rebuild loop.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use notify::{EventKind, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, NoCache, RecommendedCache, new_debouncer, new_debouncer_opt,
};

/// Quiet time after the last event of a burst before it is reported: short enough for an
/// instant reload, long enough to join an editor's write-then-rename into one batch.
const DEBOUNCE: Duration = Duration::from_millis(20);
/// How often `--poll` scans the folders.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What the rebuild loop hears from the watcher and the Ctrl-C handler.
#[derive(Debug)]
pub enum Signal {
    Changed(Vec<PathBuf>),
    WatchFailed(String),
    Stop,
}

/// Keeps the watcher running while alive.
pub enum InputWatcher {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, NoCache>),
}

impl InputWatcher {
    /// Watches each of `dirs` recursively (missing ones are skipped).
    pub fn start(dirs: &[PathBuf], poll: bool, signals: Sender<Signal>) -> notify::Result<Self> {
        let handler = move |result: DebounceEventResult| {
            let signal = match result {
                // Reading the inputs (as every build does) is not a change.
                Ok(events) => Signal::Changed(
                    events
                        .into_iter()
                        .filter(|e| !matches!(e.event.kind, EventKind::Access(_)))
                        .flat_map(|e| e.event.paths)
                        .collect::<Vec<_>>(),
                ),
                Err(errors) => Signal::WatchFailed(
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            };
            let _ = signals.send(signal);
        };
        let mut watcher = if poll {
            let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
            InputWatcher::Poll(new_debouncer_opt(DEBOUNCE, None, handler, NoCache, config)?)
        } else {
            InputWatcher::Native(new_debouncer(DEBOUNCE, None, handler)?)
        };
        for dir in dirs.iter().filter(|d| d.is_dir()) {
            watcher.watch(dir)?;
        }
        Ok(watcher)
    }

    fn watch(&mut self, dir: &Path) -> notify::Result<()> {
        match self {
            InputWatcher::Native(d) => d.watch(dir, RecursiveMode::Recursive),
            InputWatcher::Poll(d) => d.watch(dir, RecursiveMode::Recursive),
        }
    }
}
