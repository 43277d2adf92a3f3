//! The variables a page template sees: the page's own values, then those its locale shares with
//! every page. One object, because every variable lookup of every page goes through it.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use minijinja::value::{Enumerator, Object, Value};

/// The variables every page of one locale shares: a dozen, so a scan finds one sooner than a
/// hash would.
#[derive(Debug)]
pub struct SharedVars(pub Vec<(&'static str, Value)>);

impl SharedVars {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// The values that differ between the pages of a group (see `splice`).
#[derive(Debug, Clone)]
pub struct OwnValues {
    /// `{id, path, title}`.
    pub page: Value,
    /// Article pages: the article; undefined elsewhere.
    pub article: Value,
}

#[derive(Debug)]
pub struct PageContext {
    nav: Value,
    /// Help pages: the locale's help center; undefined elsewhere.
    help: Value,
    shared: Arc<SharedVars>,
    /// Switched between the pages of a group, which are rendered in one pass with this context.
    own: Mutex<OwnValues>,
}

impl PageContext {
    pub fn new(nav: Value, help: Value, shared: Arc<SharedVars>, own: OwnValues) -> Arc<Self> {
        Arc::new(PageContext {
            nav,
            help,
            shared,
            own: Mutex::new(own),
        })
    }

    pub fn set_own(&self, own: OwnValues) {
        *self.own() = own;
    }

    fn own(&self) -> MutexGuard<'_, OwnValues> {
        // Nothing can panic while the lock is held, but a poisoned value would still be whole.
        self.own
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Object for PageContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        let value = match key {
            "page" => self.own().page.clone(),
            "article" => self.own().article.clone(),
            "nav" => self.nav.clone(),
            "help" => self.help.clone(),
            name => return self.shared.get(name).cloned(),
        };
        (!value.is_undefined()).then_some(value)
    }
}

/// The context of a group render (see `theme::group`): a page context switched between the
/// pages of the group, which counts every use the frame (everything but the pages' blocks) makes
/// of something that could differ between them: `article`, anything of `page` but its `id`, and
/// `namespace()` (an object the blocks of every page could change).
#[derive(Debug)]
pub struct GroupProbe {
    context: Arc<PageContext>,
    in_block: AtomicBool,
    frame_uses: Arc<AtomicUsize>,
}

impl GroupProbe {
    pub fn new(context: Arc<PageContext>) -> Arc<Self> {
        Arc::new(GroupProbe {
            context,
            in_block: AtomicBool::new(false),
            frame_uses: Arc::default(),
        })
    }

    /// Switches to the blocks of a page with `own` values, or back to the frame.
    pub fn select(&self, own: Option<OwnValues>) {
        self.in_block.store(own.is_some(), Ordering::Relaxed);
        if let Some(own) = own {
            self.context.set_own(own);
        }
    }

    /// How often the frame used something that could differ between the pages.
    pub fn frame_uses(&self) -> usize {
        self.frame_uses.load(Ordering::Relaxed)
    }
}

impl Object for GroupProbe {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        if self.in_block.load(Ordering::Relaxed) {
            return self.context.get_value_by_str(key);
        }
        match key {
            "page" => Some(Value::from_object(PageIdProbe {
                page: self.context.get_value_by_str(key)?,
                uses: self.frame_uses.clone(),
            })),
            "article" | "namespace" => {
                self.frame_uses.fetch_add(1, Ordering::Relaxed);
                self.context.get_value_by_str(key)
            }
            _ => self.context.get_value_by_str(key),
        }
    }
}

/// `page` as the frame sees it: its `id` is the same for the whole group, any other use counts
/// (also later, from a block: a frame's reference keeps the page it was taken from).
struct PageIdProbe {
    page: Value,
    uses: Arc<AtomicUsize>,
}

impl PageIdProbe {
    fn used(&self) {
        self.uses.fetch_add(1, Ordering::Relaxed);
    }
}

impl Object for PageIdProbe {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        if key.as_str() != Some("id") {
            self.used();
        }
        let value = self.page.get_item(key).ok()?;
        (!value.is_undefined()).then_some(value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.used();
        Enumerator::Empty
    }

    fn render(self: &Arc<Self>, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.used();
        Ok(())
    }
}

impl fmt::Debug for PageIdProbe {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.used();
        Ok(())
    }
}
