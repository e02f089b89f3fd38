//! Loading fast: precompiled artifacts, the compilation cache, both instance allocators and
//! the pool's size.

use std::fs;
use std::path::PathBuf;

use example_host::{ExampleHost, Plugin};
use plugin_artifacts::{COMPONENT_GUEST, CORE_PLUGIN};
use plugin_host::{Allocator, CompilationCache, ErrorKind, HostConfig, PluginKind, precompiled};

use crate::host;

/// A path under this test binary's scratch directory, fresh for `name`.
fn scratch(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&path);
    let _ = fs::remove_file(&path);
    path
}

fn precompile_to(host: &ExampleHost, plugin: &str, name: &str) -> PathBuf {
    let path = scratch(name);
    fs::write(&path, host.precompile(plugin).unwrap()).unwrap();
    path
}

#[test]
fn a_precompiled_component_loads_and_runs() {
    let host = host();
    let artifact = precompile_to(&host, COMPONENT_GUEST, "guest.cwasm");
    assert!(precompiled::is_artifact(&fs::read(&artifact).unwrap()));
    let Plugin::Component(plugin) = host.load_precompiled(&artifact).unwrap() else {
        panic!("a component");
    };
    assert_eq!(plugin.instantiate().unwrap().just_add(40, 2).unwrap(), 42);
}

#[test]
fn a_precompiled_core_module_loads_and_runs() {
    let host = host();
    let artifact = precompile_to(&host, CORE_PLUGIN, "core_plugin.cwasm");
    let plugin = host.load_precompiled(&artifact).unwrap();
    assert_eq!(plugin.kind(), PluginKind::CoreModule);
    let Plugin::CoreModule(plugin) = plugin else {
        unreachable!()
    };
    assert_eq!(plugin.instantiate().unwrap().just_add(40, 2).unwrap(), 42);
}

#[test]
fn an_artifact_from_an_incompatible_engine_is_refused_before_deserializing() {
    let artifact = precompile_to(&host(), COMPONENT_GUEST, "stale.cwasm");
    let fuelled = ExampleHost::with_limits(plugin_host::Limits {
        fuel: Some(1_000_000),
        ..plugin_host::Limits::default()
    })
    .unwrap();
    let error = fuelled.load_precompiled(&artifact).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::NotPrecompiled { reason } if reason.contains("another wasmtime version")),
        "{error}"
    );
}

#[test]
fn a_truncated_or_bit_flipped_artifact_is_refused_before_deserializing() {
    let host = host();
    let artifact = precompile_to(&host, COMPONENT_GUEST, "damaged.cwasm");
    let good = fs::read(&artifact).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x04;
    for damaged in [&good[..good.len() - 100], &flipped[..]] {
        fs::write(&artifact, damaged).unwrap();
        let error = host.load_precompiled(&artifact).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::NotPrecompiled { reason } if reason.contains("truncated or damaged")),
            "{error}"
        );
    }
}

#[test]
fn plain_wasm_is_not_loaded_as_an_artifact() {
    let error = host().load_precompiled(COMPONENT_GUEST).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::NotPrecompiled { reason } if reason.contains("is WebAssembly, not a precompiled artifact")),
        "{error}"
    );
}

#[test]
fn the_compilation_cache_stores_compiled_plugins_on_disk() {
    let directory = scratch("cache");
    let host = ExampleHost::with_config(HostConfig {
        cache: CompilationCache::Directory(directory.clone()),
        ..HostConfig::default()
    })
    .unwrap();
    host.load(COMPONENT_GUEST).unwrap();
    host.load(COMPONENT_GUEST).unwrap();
    let files = fs::read_dir(&directory).map_or(0, |entries| entries.count());
    assert!(files > 0, "nothing cached in {}", directory.display());
}

#[test]
fn pooling_and_on_demand_allocation_run_the_same_plugins() {
    for allocator in [Allocator::Pooling, Allocator::OnDemand] {
        let host = ExampleHost::with_config(HostConfig {
            allocator,
            ..HostConfig::default()
        })
        .unwrap();
        assert_eq!(
            host.host().allocator(),
            allocator,
            "this machine can reserve the pool"
        );
        let Plugin::Component(plugin) = host.load(COMPONENT_GUEST).unwrap() else {
            panic!("a component");
        };
        let mut instance = plugin.instantiate().unwrap();
        instance.trigger(7).unwrap();
        assert_eq!(host.shared_value().get(), 54);
    }
}
