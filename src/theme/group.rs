//! Rendering a group of pages of one template that differ only inside the blocks `title` and
//! `main` (the help articles of one portal and locale) in one pass: the frame around the blocks
//! once, each block once per page, in its place.
//!
//! The pass renders a twin of the page template that extends it and replaces each of those
//! blocks by a loop over the pages: before each iteration the caller switches the context to that
//! page, and the loop body renders the real block (`super()`) after a cut mark. Cutting the output
//! at the marks gives the frame's pieces and each page's blocks. The caller must make sure that
//! the frame uses no value that differs between the pages (see `build::splice`); here the marks
//! must all go straight to the page, not into a `filter`, `set` or macro capture around a block.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use minijinja::{Error, Output};

/// The blocks that differ between the pages of a group.
const GROUP_BLOCKS: [&str; 2] = ["title", "main"];

/// Context variables of a group render: the pages to loop over, and per block its cut mark.
const OWN_PREFIX: &str = "__portalgen_group_";
const PAGES_VARIABLE: &str = "__portalgen_group_pages";
const CUT_PREFIX: &str = "__portalgen_group_cut_";

/// What a cut prints; removed again when the output is cut.
const CUT_MARK: &str = "\u{E000}";

/// Switches the context of a group render to page `Some(index)`, or back to the frame (`None`).
pub type SelectPage = Arc<dyn Fn(Option<usize>) + Send + Sync>;

/// The source of the twin that renders template `name` for a group of pages.
pub fn group_source(name: &str) -> String {
    let blocks: String = GROUP_BLOCKS
        .iter()
        .map(|block| {
            let cut = format!("{{{{ {CUT_PREFIX}{block} }}}}");
            format!(
                "{{% block {block} %}}{{% for __portalgen_group_page in {PAGES_VARIABLE} %}}\
                 {cut}{{{{ super() }}}}{{% endfor %}}{cut}{{% endblock %}}"
            )
        })
        .collect();
    // A JSON string is a valid template string literal, whatever the name contains.
    let target = serde_json::to_string(name).unwrap_or_default();
    format!("{{% extends {target} %}}{blocks}")
}

/// One group render: the context to render the twin with and the output it writes.
pub struct GroupRender {
    pages: usize,
    cuts: Vec<Arc<Cut>>,
    marks: Arc<Marks>,
    select: SelectPage,
}

/// What the cuts and the sink of a group render share.
#[derive(Debug, Default)]
struct Marks {
    /// Bytes written to the sink so far.
    written: AtomicUsize,
    /// Cuts printed so far.
    cuts: AtomicUsize,
}

impl GroupRender {
    pub fn new(pages: usize, select: SelectPage) -> Self {
        let marks = Arc::new(Marks::default());
        let cuts = GROUP_BLOCKS
            .iter()
            .map(|block| {
                Arc::new(Cut {
                    block,
                    marks: marks.clone(),
                    printed: Mutex::default(),
                })
            })
            .collect();
        GroupRender {
            pages,
            cuts,
            marks,
            select,
        }
    }

    /// `ctx`'s variables, the pages and the cut marks.
    pub fn context(&self, ctx: Value) -> Value {
        Value::from_object(GroupContext {
            ctx,
            pages: Value::from_object(Pages {
                count: self.pages,
                select: self.select.clone(),
            }),
            cuts: self.cuts.clone(),
        })
    }

    /// Where the twin is rendered to; each page gets `capacity` bytes to start with.
    pub fn sink(&self, capacity: usize) -> Sink {
        Sink {
            marks: self.marks.clone(),
            cuts_seen: 0,
            target: None,
            frame: Vec::new(),
            pages: (0..self.pages)
                .map(|_| Vec::with_capacity(capacity))
                .collect(),
            broken: false,
        }
    }

    /// Each page, if every block that appears was cut once per page and once at its end, in a
    /// row and each time straight into the page.
    pub fn finish(self, mut sink: Sink) -> Option<Vec<Vec<u8>>> {
        sink.route();
        let run = self.pages + 1;
        for cut in &self.cuts {
            let printed = cut.printed.lock().ok()?;
            let first = match printed.first() {
                None => continue,
                Some(first) => (*first)?,
            };
            let in_a_row = printed
                .iter()
                .enumerate()
                .all(|(i, n)| *n == Some(first + i));
            if printed.len() != run || first % run != 0 || !in_a_row {
                return None;
            }
        }
        if sink.broken || sink.target.is_some() {
            return None;
        }
        let mut pages = sink.pages;
        for page in &mut pages {
            page.extend_from_slice(&sink.frame);
        }
        Some(pages)
    }
}

/// Collects a group render's output straight into the pages: the frame's pieces into every
/// page, each block into its page, switching where a cut mark arrives.
pub struct Sink {
    marks: Arc<Marks>,
    cuts_seen: usize,
    /// The page whose block is being written, or `None` for the frame.
    target: Option<usize>,
    /// The piece of the frame since the last block.
    frame: Vec<u8>,
    pages: Vec<Vec<u8>>,
    /// A cut mark was not where it should be.
    broken: bool,
}

impl Sink {
    /// Acts on the cuts printed since the last write: drops each mark and switches to the page
    /// after it, or back to the frame after a run's last.
    fn route(&mut self) {
        let cuts = self.marks.cuts.load(Ordering::Relaxed);
        while self.cuts_seen < cuts {
            let buffer = match self.target {
                Some(page) => &mut self.pages[page],
                None => &mut self.frame,
            };
            match buffer.len().checked_sub(CUT_MARK.len()) {
                Some(end) if buffer.ends_with(CUT_MARK.as_bytes()) => buffer.truncate(end),
                _ => self.broken = true,
            }
            let in_run = self.cuts_seen % (self.pages.len() + 1);
            if in_run == 0 {
                for page in &mut self.pages {
                    page.extend_from_slice(&self.frame);
                }
                self.frame.clear();
            }
            self.target = (in_run < self.pages.len()).then_some(in_run);
            self.cuts_seen += 1;
        }
    }
}

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.route();
        match self.target {
            Some(page) => self.pages[page].extend_from_slice(buf),
            None => self.frame.extend_from_slice(buf),
        }
        self.marks.written.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug)]
struct GroupContext {
    ctx: Value,
    pages: Value,
    cuts: Vec<Arc<Cut>>,
}

impl Object for GroupContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        // Every variable of every page's blocks is looked up here: the own names are rare.
        if !key.starts_with(OWN_PREFIX) {
            return self.ctx.as_object()?.get_value_by_str(key);
        }
        if key == PAGES_VARIABLE {
            return Some(self.pages.clone());
        }
        let block = key.strip_prefix(CUT_PREFIX)?;
        let cut = self.cuts.iter().find(|cut| cut.block == block)?;
        Some(Value::from_dyn_object(cut.clone()))
    }
}

/// The pages of a group, to loop over: stepping to a page selects it.
struct Pages {
    count: usize,
    select: SelectPage,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} pages", self.count)
    }
}

impl Object for Pages {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let select = self.select.clone();
        let mut next = 0;
        let count = self.count;
        Enumerator::Iter(Box::new(std::iter::from_fn(move || {
            if next == count {
                select(None);
                return None;
            }
            select(Some(next));
            next += 1;
            Some(Value::from(next - 1))
        })))
    }
}

/// A cut mark; the template formatter calls `print` for it.
#[derive(Debug)]
pub struct Cut {
    block: &'static str,
    marks: Arc<Marks>,
    /// Per print: its number among all cuts of the render, if the mark went straight to the
    /// sink.
    printed: Mutex<Vec<Option<usize>>>,
}

impl Object for Cut {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }
}

impl Cut {
    pub fn print(&self, out: &mut Output) -> Result<(), Error> {
        let before = self.marks.written.load(Ordering::Relaxed);
        out.write_str(CUT_MARK)?;
        let direct = self.marks.written.load(Ordering::Relaxed) == before + CUT_MARK.len();
        let number = self.marks.cuts.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut printed) = self.printed.lock() {
            printed.push(direct.then_some(number));
        }
        Ok(())
    }
}
