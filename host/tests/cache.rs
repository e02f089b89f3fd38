//! The compilation cache survives what a disk does to it: a truncated, bit-flipped or foreign
//! entry, a folder it cannot use and a full disk each leave the plugin loading from its bytes
//! and running, never the damaged bytes run, and the problem reported once.
//!
//! A test binary of its own: it installs a global `tracing` subscriber to see the reports.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use plugin_host::dynamic::Dynamic;
use plugin_host::{CompilationCache, HostConfig, Limits, PluginHost};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Every warning logged, as text.
static WARNINGS: LazyLock<Arc<Mutex<Vec<String>>>> = LazyLock::new(|| {
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Warnings(warnings.clone()));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    warnings
});

struct Warnings(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for Warnings {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        struct Message(String);
        impl Visit for Message {
            fn record_debug(&mut self, _: &Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{value:?}"));
            }
        }
        if *event.metadata().level() == tracing::Level::WARN {
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().unwrap().push(message.0);
        }
    }
}

/// The warnings so far about the plugin `name`.
fn warnings_about(name: &str) -> Vec<String> {
    warnings_with(&format!(" for {name} "))
}

/// The warnings so far that hold `text`.
fn warnings_with(text: &str) -> Vec<String> {
    let warnings = WARNINGS.lock().unwrap();
    warnings
        .iter()
        .filter(|w| w.contains(text))
        .cloned()
        .collect()
}

/// A module whose `answer` returns 42, and one whose `answer` returns 7.
const ANSWER: &str = r#"(module (func (export "answer") (result i32) i32.const 42))"#;
const OTHER: &str = r#"(module (func (export "answer") (result i32) i32.const 7))"#;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plugin-host-cache-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A host caching in `root`, under `limits`.
fn host_with(root: &Path, limits: Limits) -> PluginHost<()> {
    LazyLock::force(&WARNINGS);
    PluginHost::with_config(HostConfig {
        cache: CompilationCache::Directory(root.to_owned()),
        limits,
        ..HostConfig::default()
    })
    .unwrap()
}

fn host(root: &Path) -> PluginHost<()> {
    host_with(root, Limits::default())
}

/// Loads `text` as the plugin `name` and calls its `answer`.
fn answer(host: &PluginHost<()>, name: &str, text: &str) -> String {
    let compiled = host
        .load_bytes(name, &wat::parse_str(text).unwrap())
        .unwrap();
    let Ok(Dynamic::CoreModule(plugin)) = host.dynamic(&compiled) else {
        panic!("a core module");
    };
    let call = plugin.call_wave("answer", &[] as &[&str], ()).unwrap();
    call.results.unwrap()
}

/// The cache's entry files under `root`, at any depth.
fn entries(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(root).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(entries(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Fills a cache in a fresh folder with [`ANSWER`] and returns the folder and its one entry.
fn filled(name: &str) -> (PathBuf, PathBuf) {
    let root = scratch(name);
    assert_eq!(answer(&host(&root), name, ANSWER), "42");
    let found = entries(&root);
    assert_eq!(found.len(), 1, "one entry: {found:?}");
    (root, found[0].clone())
}

#[test]
fn a_cached_plugin_is_loaded_from_its_entry() {
    let (root, entry) = filled("hit");
    let stored = fs::read(&entry).unwrap();
    assert_eq!(answer(&host(&root), "hit", ANSWER), "42");
    assert_eq!(
        fs::read(&entry).unwrap(),
        stored,
        "the entry is used as it is"
    );
    assert!(warnings_about("hit").is_empty());
}

/// Damages the entry with `damage`, then loads the plugin twice from a new host: it answers
/// from its bytes, the entry is replaced by a good one, and one warning says `reason`.
fn survives(name: &str, damage: impl FnOnce(&Path), reason: &str) {
    let (root, entry) = filled(name);
    let good = fs::read(&entry).unwrap();
    damage(&entry);
    let host = host(&root);
    assert_eq!(answer(&host, name, ANSWER), "42");
    assert_eq!(answer(&host, name, ANSWER), "42");
    assert_eq!(fs::read(&entry).unwrap(), good, "the entry was replaced");
    let warnings = warnings_about(name);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].contains(reason), "{warnings:#?}");
}

#[test]
fn a_truncated_entry_is_compiled_afresh_and_replaced() {
    let cut = |entry: &Path| {
        let bytes = fs::read(entry).unwrap();
        fs::write(entry, &bytes[..bytes.len() / 2]).unwrap();
    };
    survives("truncated", cut, "truncated");
}

#[test]
fn a_bit_flipped_entry_is_never_run() {
    // The flip lands in the machine code: the last bytes of an artifact are its ELF section
    // data, so the plugin would answer something else, or crash, if it were run.
    let flip = |entry: &Path| {
        let mut bytes = fs::read(entry).unwrap();
        let at = bytes.len() * 3 / 4;
        bytes[at] ^= 0x10;
        fs::write(entry, bytes).unwrap();
    };
    survives("flipped", flip, "checksum");
}

#[test]
fn an_entry_of_another_plugin_or_engine_is_refused() {
    // Another plugin's entry under this plugin's name: well-formed, but not these bytes.
    let other = |entry: &Path| {
        let root = scratch("other-source");
        answer(&host(&root), "other-source", OTHER);
        fs::copy(&entries(&root)[0], entry).unwrap();
    };
    survives("foreign-plugin", other, "compiled from other bytes");
    // Another engine's entry: made with fuel metering, put where this engine looks.
    let engine = |entry: &Path| {
        let root = scratch("other-engine");
        let fuel = Limits {
            fuel: Some(1_000_000),
            ..Limits::default()
        };
        answer(&host_with(&root, fuel), "other-engine", ANSWER);
        fs::copy(&entries(&root)[0], entry).unwrap();
    };
    survives(
        "foreign-engine",
        engine,
        "another wasmtime version or configuration",
    );
}

#[test]
fn a_folder_that_cannot_be_used_or_a_full_disk_only_costs_the_cache() {
    // A file where the folder should be: nothing can be read or written under it (whoever
    // the tests run as, root included).
    let root = scratch("unusable").join("file");
    fs::write(&root, b"not a folder").unwrap();
    let unusable = host(&root);
    for _ in 0..3 {
        assert_eq!(answer(&unusable, "unusable", ANSWER), "42");
    }
    let warnings = warnings_with(&root.display().to_string());
    assert!(
        warnings.iter().any(|w| w.contains("cannot be written")),
        "{warnings:#?}"
    );
    assert_eq!(
        warnings.len(),
        warnings
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        "each problem once: {warnings:#?}"
    );

    // A full disk: the entry's temporary file is /dev/full, where every write fails with
    // ENOSPC.
    let root = scratch("full");
    let bytes = wat::parse_str(ANSWER).unwrap();
    let hash = blake3::hash(&bytes).to_hex();
    let folder = root.join(engine_folder());
    fs::create_dir_all(&folder).unwrap();
    let temporary = folder.join(format!("{hash}.{}.tmp", std::process::id()));
    std::os::unix::fs::symlink("/dev/full", &temporary).unwrap();
    assert_eq!(answer(&host(&root), "full", ANSWER), "42");
    let warnings = warnings_with(&folder.display().to_string());
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("No space left on device"),
        "{warnings:#?}"
    );
    assert!(
        entries(&root).is_empty(),
        "nothing half-written is left: {:?}",
        entries(&root)
    );
}

/// The name of the folder a default host keeps its entries in: the one a load fills.
fn engine_folder() -> std::ffi::OsString {
    let probe = scratch("probe");
    answer(&host(&probe), "probe", OTHER);
    let entry = entries(&probe).remove(0);
    entry.parent().unwrap().file_name().unwrap().to_owned()
}
