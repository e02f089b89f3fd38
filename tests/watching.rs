//! A watched directory of plugins for the hot-reload tests, shared by `all/watch.rs` and
//! `reload.rs` (a binary of its own, so that no other test runs beside its memory figures).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use example_host::{ContractPlugin, ExampleHost};
use plugin_artifacts::LEGACY_GUEST;
use plugin_host::watch::{Event, PluginDirectory};
use plugin_host::{CompilationCache, HostConfig};

/// How long a test waits for the watcher before calling it broken.
const PATIENCE: Duration = Duration::from_secs(20);

/// A fresh directory for `name` holding `p.wasm`, a copy of the 0.1.0 guest.
pub fn directory(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("watch")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(LEGACY_GUEST, dir.join("p.wasm")).unwrap();
    dir
}

/// Replaces `dir/p.wasm` by `source` as a deployment does ([`plugin_artifacts::replace`]).
pub fn replace(dir: &Path, source: &str) {
    plugin_artifacts::replace(&dir.join("p.wasm"), source).unwrap();
}

/// Watches `dir` with a host whose compilation cache is in `dir/cache`, loading each file as a
/// plugin of the contract.
pub fn watch(dir: &Path) -> (Arc<ExampleHost>, PluginDirectory<ContractPlugin>) {
    let host = Arc::new(
        ExampleHost::with_config(HostConfig {
            cache: CompilationCache::Directory(dir.join("cache")),
            ..HostConfig::default()
        })
        .unwrap(),
    );
    let loader = host.clone();
    let plugins = PluginDirectory::watch(dir, move |path| loader.load_component(path)).unwrap();
    (host, plugins)
}

/// The next event, or a panic after [`PATIENCE`].
pub fn next(plugins: &PluginDirectory<ContractPlugin>) -> Event {
    plugins
        .next_event(PATIENCE)
        .expect("the watcher reports within the patience")
}
