//! Loading: bad bytes get typed errors naming the plugin, precompiled artifacts load only on a
//! compatible engine, a manifest beside a file narrows what its instances get, and a watched
//! directory keeps its plugins loaded as files change.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use plugin_host::watch::{Event, PluginDirectory};
use plugin_host::{ErrorKind, HostConfig, Limits, PluginHost, PluginKind};

use crate::{core_module, host, wasm};

/// A fresh scratch folder `name`.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("library")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

const ADD: &str = r#"(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))"#;

#[test]
fn bytes_that_are_not_wasm_or_are_cut_short_are_typed_errors_naming_the_plugin() {
    let host = host::<()>();
    for bytes in [&b""[..], b"hello", b"(module)", b"\0asn\x01\0\0\0"] {
        let error = host.load_bytes("junk.wasm", bytes).unwrap_err();
        assert_eq!(
            (error.kind(), error.plugin()),
            (&ErrorKind::NotWasm, Some("junk.wasm"))
        );
    }
    let module = wasm(ADD);
    let error = host
        .load_bytes("short.wasm", &module[..module.len() - 3])
        .unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::Compile);
    assert!(
        std::error::Error::source(&error).is_some(),
        "wasmtime's reason is the cause"
    );
    let error = host.load("no/such/plugin.wasm").unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Read { .. }), "{error:?}");
}

#[test]
fn a_core_module_is_not_a_component() {
    let host = host::<()>();
    let compiled = host.load_bytes("add.wat", &wasm(ADD)).unwrap();
    assert_eq!(compiled.kind(), PluginKind::CoreModule);
    let error = compiled.as_component().unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::WrongKind {
            expected: PluginKind::Component,
            found: PluginKind::CoreModule
        }
    );
    assert_eq!(
        error.to_string(),
        "plugin add.wat is a core module, but a component was expected"
    );
}

#[test]
fn a_precompiled_artifact_loads_on_a_compatible_engine_and_is_refused_by_another() {
    let dir = scratch("precompiled");
    let host = host::<()>();
    let compiled = host.load_bytes("add.wat", &wasm(ADD)).unwrap();
    let artifact = dir.join("add.cwasm");
    fs::write(&artifact, host.precompile(&compiled).unwrap()).unwrap();

    let loaded = host.load_precompiled(&artifact).unwrap();
    assert_eq!(loaded.kind(), PluginKind::CoreModule);
    let plugin = match host.dynamic(&loaded).unwrap() {
        plugin_host::dynamic::Dynamic::CoreModule(plugin) => plugin,
        _ => unreachable!("it was a core module"),
    };
    assert_eq!(
        plugin
            .call_wave("add", &["40", "2"], ())
            .unwrap()
            .results
            .unwrap(),
        "42"
    );

    let error = host.load(&artifact).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::IsPrecompiled);
    let metered = PluginHost::<()>::with_limits(Limits {
        fuel: Some(1000),
        ..Limits::default()
    })
    .unwrap();
    let error = metered.load_precompiled(&artifact).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::NotPrecompiled { reason } if reason.contains("another wasmtime version or configuration")),
        "{error:?}"
    );
    // Replaced, not rewritten in place: the artifact loaded above is still mapped.
    plugin_host::precompiled::write(&artifact, &wasm(ADD)).unwrap();
    let error = host.load_precompiled(&artifact).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::NotPrecompiled { .. }),
        "{error:?}"
    );
}

#[test]
fn a_manifest_beside_a_plugin_narrows_its_limits_and_a_wider_one_is_refused_at_its_line() {
    let dir = scratch("manifest");
    let plugin = dir.join("add.wasm");
    fs::write(&plugin, wasm(ADD)).unwrap();
    fs::write(dir.join("add.toml"), "[limits]\ndeadline_ms = 250\n").unwrap();
    let host = host::<()>();
    let compiled = host.load(&plugin).unwrap();
    assert_eq!(compiled.limits().deadline, Duration::from_millis(250));
    assert!(compiled.manifest().is_some());
    let plugin_limits = core_module_from(&host, &compiled).plugin().limits().clone();
    assert_eq!(plugin_limits.deadline, Duration::from_millis(250));

    fs::write(dir.join("add.toml"), "\n[limits]\ndeadline_ms = 5000\n").unwrap();
    let error = host.load(&plugin).unwrap_err();
    let ErrorKind::Manifest { line, reason, .. } = error.kind() else {
        panic!("{error:?}");
    };
    assert_eq!(*line, Some(3));
    assert!(reason.contains("above the host's limit"), "{reason}");
}

fn core_module_from(
    host: &PluginHost<()>,
    compiled: &plugin_host::Compiled,
) -> plugin_host::dynamic::DynamicCoreModule<()> {
    match host.dynamic(compiled).unwrap() {
        plugin_host::dynamic::Dynamic::CoreModule(plugin) => plugin,
        _ => panic!("a core module"),
    }
}

#[test]
fn a_watched_directory_swaps_in_a_changed_plugin_and_keeps_the_old_one_when_a_file_breaks() {
    let dir = scratch("watch");
    let file = dir.join("p.wasm");
    fs::write(&file, wasm(ADD)).unwrap();
    let host = std::sync::Arc::new(host::<()>());
    let loader = host.clone();
    let plugins = PluginDirectory::watch(&dir, move |path| loader.load(path)).unwrap();
    let next = || {
        plugins
            .next_event(Duration::from_secs(20))
            .expect("the watcher reports within 20 s")
    };
    assert!(matches!(next(), Event::Loaded { name, .. } if name == "p.wasm"));
    let add = |plugins: &PluginDirectory<plugin_host::Compiled>| {
        let compiled = plugins.get("p.wasm").expect("loaded");
        core_module_from(&host, &compiled)
            .call_wave("add", &["1", "2"], ())
            .unwrap()
            .results
    };
    assert_eq!(add(&plugins).unwrap(), "3");

    let doubled = ADD.replace("i32.add", "i32.add i32.const 2 i32.mul");
    let staging = dir.join("p.part");
    fs::write(&staging, wasm(&doubled)).unwrap();
    fs::rename(&staging, &file).unwrap();
    assert!(matches!(next(), Event::Reloaded { name, .. } if name == "p.wasm"));
    assert_eq!(add(&plugins).unwrap(), "6");

    fs::write(&staging, b"not wasm").unwrap();
    fs::rename(&staging, &file).unwrap();
    match next() {
        Event::Failed { error, .. } => assert_eq!(error.kind(), &ErrorKind::NotWasm),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(
        add(&plugins).unwrap(),
        "6",
        "the last good version still serves"
    );

    fs::remove_file(&file).unwrap();
    assert!(matches!(next(), Event::Unloaded { name } if name == "p.wasm"));
    assert!(plugins.get("p.wasm").is_none());
}

#[test]
fn a_compilation_cache_directory_is_filled_by_loading() {
    let dir = scratch("cache");
    let host = PluginHost::<()>::with_config(HostConfig {
        cache: plugin_host::CompilationCache::Directory(dir.join("cache")),
        ..HostConfig::default()
    })
    .unwrap();
    core_module(&host, ADD);
    let cached = walk(&dir.join("cache"));
    assert!(cached > 0, "nothing was written to the cache");
}

/// How many files are under `dir`, at any depth.
fn walk(dir: &std::path::Path) -> usize {
    fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| {
                let path = entry.path();
                if path.is_dir() { walk(&path) } else { 1 }
            })
            .sum()
    })
}
