//! Hot reload does not leak: 100 reloads of a plugin in a watched directory leave resident
//! memory where 20 left it. A test binary of its own, so that no other test's allocations run
//! beside the measurement.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use example_host::ExampleHost;
use plugin_host::watch::{Event, PluginDirectory};
use plugin_host::{CompilationCache, HostConfig};
use plugin_tests::{COMPONENT_GUEST, LEGACY_GUEST};

/// Resident memory of this process, from `VmRSS` in `/proc/self/status`, in KiB.
fn resident_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_hundred_reloads_do_not_grow_resident_memory() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reload-memory");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(LEGACY_GUEST, dir.join("p.wasm")).unwrap();
    let host = Arc::new(
        ExampleHost::with_config(HostConfig {
            cache: CompilationCache::Directory(dir.join("cache")),
            ..HostConfig::default()
        })
        .unwrap(),
    );
    let loader = host.clone();
    let plugins = PluginDirectory::watch(&dir, move |path| loader.load_component(path)).unwrap();
    let next = || {
        plugins
            .next_event(Duration::from_secs(20))
            .expect("an event")
    };
    assert!(matches!(next(), Event::Loaded { .. }));

    let mut after_20 = 0;
    for reload in 1..=100 {
        let source = if reload % 2 == 0 {
            LEGACY_GUEST
        } else {
            COMPONENT_GUEST
        };
        let staging = dir.join("p.wasm.part");
        fs::copy(source, &staging).unwrap();
        fs::rename(&staging, dir.join("p.wasm")).unwrap();
        match next() {
            Event::Reloaded { .. } => {}
            other => panic!("reload {reload}: {other:?}"),
        }
        let mut instance = plugins.get("p.wasm").unwrap().instantiate().unwrap();
        assert_eq!(instance.just_add(1, 2).unwrap(), 3);
        if reload == 20 {
            after_20 = resident_kib();
        }
    }
    let after_100 = resident_kib();
    let growth = after_100.saturating_sub(after_20);
    println!("resident after 20 reloads: {after_20} KiB, after 100: {after_100} KiB");
    assert!(growth < 8 * 1024, "grew by {growth} KiB over 80 reloads");
}
