//! Hot reload: a directory of plugins kept loaded while its files change.
//!
//! [`PluginDirectory::watch`] loads every `.wasm` file of a directory with the application's
//! own `load` function (so the directory holds whatever the application makes of a file: a
//! checked plugin of its world, a [`Compiled`](crate::Compiled), ...), then watches the directory
//! with `notify`. When a file is added or changed, the new version is loaded on the watcher's
//! thread and swapped in; when one is removed, its plugin is dropped from the directory.
//!
//! Callers take a plugin with [`PluginDirectory::get`], an `Arc` of the version current at
//! that moment: a call made with it finishes on that version even if a newer one is swapped in
//! meanwhile (or the file is removed), and the next `get` gives the newer one. A file that
//! fails to load leaves the version before it serving. Every load, reload, failure and unload
//! is an [`Event`], read with [`PluginDirectory::next_event`], a span
//! ([`telemetry::LOAD_SPAN`]) and a count in [`telemetry::RELOADS`].
//!
//! `Send + Sync` when `P` is: share it between the threads that call plugins.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use crate::{Error, telemetry};

/// How long a file must be quiet after a change before it is loaded: a plugin being copied in
/// is loaded once, when the copy is done, not half-written.
pub const SETTLE: Duration = Duration::from_millis(100);

/// What happened to a plugin of a watched directory. `name` is the file name (`p.wasm`).
#[derive(Debug)]
pub enum Event {
    /// A plugin was loaded for the first time, in `took`.
    Loaded {
        /// The file name.
        name: String,
        /// How long loading took.
        took: Duration,
    },
    /// A changed file was loaded and swapped in for the previous version, in `took`.
    Reloaded {
        /// The file name.
        name: String,
        /// How long loading took.
        took: Duration,
    },
    /// A new or changed file did not load; the previous version (if any) still serves.
    Failed {
        /// The file name.
        name: String,
        /// Why.
        error: Error,
    },
    /// The file was removed; calls already holding the plugin finish on it.
    Unloaded {
        /// The file name.
        name: String,
    },
}

type Plugins<P> = Arc<RwLock<BTreeMap<String, Arc<P>>>>;

/// What a file looked like when it was last loaded (or failed to): its modification time and
/// length. Loading a file makes the watcher see it opened and read; an unchanged stamp tells
/// that apart from a change.
type Stamp = (Option<SystemTime>, u64);

/// Each file's last stamp.
type Seen = BTreeMap<String, Stamp>;

/// The application's load function beside the stamps of what it loaded: one load at a time.
type Loader<F> = Arc<Mutex<(Seen, F)>>;

/// The plugins of a directory, reloaded as its `.wasm` files change. See the
/// [module docs](self).
pub struct PluginDirectory<P> {
    plugins: Plugins<P>,
    events: Mutex<Receiver<Event>>,
    /// Set when the directory is dropped: the watcher's thread loads nothing more, so it ends
    /// as soon as it has read the changes queued before it, and with it the `load` function
    /// (and the engine it holds). Without it, a directory dropped while its files change kept
    /// compiling every queued change first (found by `just soak`).
    closed: Arc<AtomicBool>,
    _watcher: Debouncer<RecommendedWatcher>,
}

impl<P> Drop for PluginDirectory<P> {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
    }
}

impl<P: Send + Sync + 'static> PluginDirectory<P> {
    /// Loads every `.wasm` file in `dir` with `load` (in name order; a failure is an
    /// [`Event::Failed`], not an error) and starts watching `dir`.
    ///
    /// # Errors
    /// [`ErrorKind::Read`](crate::ErrorKind::Read) if `dir` cannot be read or watched.
    pub fn watch(
        dir: impl AsRef<Path>,
        load: impl Fn(&Path) -> Result<P, Error> + Send + 'static,
    ) -> Result<Self, Error> {
        let dir = dir.as_ref().to_owned();
        let read_error = |source| Error::read(&dir, source);
        let plugins: Plugins<P> = Arc::default();
        let (sender, events) = mpsc::channel();
        // The watcher starts before the first scan, so that no change falls between the two;
        // what both see is loaded once (the stamps in `Seen` tell).
        let loader = Arc::new(Mutex::new((Seen::new(), load)));
        let closed = Arc::new(AtomicBool::new(false));
        let on_change = {
            let (plugins, loader, sender) = (plugins.clone(), loader.clone(), sender.clone());
            let closed = closed.clone();
            move |result: DebounceEventResult| {
                let Ok(changes) = result else { return };
                for change in changes.iter().filter(|change| is_plugin(&change.path)) {
                    if closed.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Some(event) = update(&plugins, &loader, &change.path) {
                        // The directory's owner may have dropped the receiver: nobody to tell.
                        let _ = sender.send(event);
                    }
                }
            }
        };
        let mut watcher = new_debouncer(SETTLE, on_change)
            .map_err(|error| read_error(std::io::Error::other(error)))?;
        watcher
            .watcher()
            .watch(&dir, RecursiveMode::NonRecursive)
            .map_err(|error| read_error(std::io::Error::other(error)))?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .and_then(|entries| entries.map(|e| e.map(|e| e.path())).collect())
            .map_err(read_error)?;
        files.sort();
        for file in files.iter().filter(|file| is_plugin(file)) {
            if let Some(event) = update(&plugins, &loader, file) {
                let _ = sender.send(event);
            }
        }
        Ok(Self {
            plugins,
            events: Mutex::new(events),
            closed,
            _watcher: watcher,
        })
    }

    /// The current version of the plugin loaded from the file `name` (`p.wasm`), if any.
    pub fn get(&self, name: &str) -> Option<Arc<P>> {
        self.read().get(name).cloned()
    }

    /// The file names of the plugins loaded now, in order.
    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// The next thing that happened, in order since the directory was opened (each load,
    /// reload, failure and unload), waiting at most `timeout` for one. `None` if nothing
    /// happened in that time.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        let events = self
            .events
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        events.recv_timeout(timeout).ok()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<P>>> {
        // A writer never panics while holding the lock (it only inserts or removes), so a
        // poisoned lock still holds a consistent map.
        self.plugins
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<P> std::fmt::Debug for PluginDirectory<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginDirectory").finish_non_exhaustive()
    }
}

fn is_plugin(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "wasm")
}

/// Brings the directory's entry for `file` up to date: loads and swaps in the file if it is
/// there and changed since `seen`, drops the entry if it is gone. `None` if there was nothing
/// to do (the file is as it was, or a file never loaded was removed).
fn update<P, F: Fn(&Path) -> Result<P, Error>>(
    plugins: &Plugins<P>,
    loader: &Loader<F>,
    file: &Path,
) -> Option<Event> {
    let mut loader = loader
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (seen, load) = &mut *loader;
    let name = file
        .file_name()
        .map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    let write = || {
        plugins
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    let Ok(metadata) = std::fs::metadata(file) else {
        seen.remove(&name);
        let event = write().remove(&name).map(|_| Event::Unloaded { name });
        event.iter().for_each(Event::record);
        return event;
    };
    let stamp = (metadata.modified().ok(), metadata.len());
    if seen.insert(name.clone(), stamp) == Some(stamp) {
        return None;
    }
    let span = tracing::info_span!(
        target: "plugin_host",
        telemetry::LOAD_SPAN,
        plugin = %name,
        outcome = tracing::field::Empty,
        duration_s = tracing::field::Empty,
    );
    let start = Instant::now();
    let event = match span.in_scope(|| load(file)) {
        Ok(plugin) => {
            let took = start.elapsed();
            match write().insert(name.clone(), Arc::new(plugin)) {
                Some(_) => Event::Reloaded { name, took },
                None => Event::Loaded { name, took },
            }
        }
        Err(error) => Event::Failed { name, error },
    };
    span.record("outcome", event.outcome());
    span.record("duration_s", start.elapsed().as_secs_f64());
    event.record();
    Some(event)
}

impl Event {
    /// The outcome label of the event, in [`telemetry::RELOADS`]: `loaded`, `reloaded`,
    /// `failed` or `unloaded`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Loaded { .. } => "loaded",
            Self::Reloaded { .. } => "reloaded",
            Self::Failed { .. } => "failed",
            Self::Unloaded { .. } => "unloaded",
        }
    }

    /// The file name the event is about.
    pub fn name(&self) -> &str {
        match self {
            Self::Loaded { name, .. }
            | Self::Reloaded { name, .. }
            | Self::Failed { name, .. }
            | Self::Unloaded { name } => name,
        }
    }

    /// Counts the event in [`telemetry::RELOADS`].
    fn record(&self) {
        telemetry::reloaded(self.name(), self.outcome());
    }
}
