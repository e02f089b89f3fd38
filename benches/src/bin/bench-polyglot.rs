//! `just bench-polyglot`: what a plugin costs the host by the language it was written in.
//!
//! For the Rust guests and the plugins `just polyglot` built into `POLYGLOT_DIR` (C, Python,
//! JavaScript), on the release host:
//! - size: the component's bytes;
//! - compile: one load with no compilation cache (wasmtime compiles it with cranelift);
//! - cached load: the fastest of three loads from a warm compilation cache, each on a new host;
//! - bare load: beside it, the fastest of three loads of wasmtime's own artifact of the plugin
//!   by bare wasmtime on the same engine (`Component::deserialize_file`, `instantiate_pre`): the
//!   floor of any cache;
//! - instantiate: the median of 20 instantiations;
//! - bare inst.: beside it, the median of 20 instantiations of that bare component, every import
//!   a trap (instantiating calls none);
//! - call: the median of 1,000 calls of `just-add(15, 27)` on one instance.
//!
//! Then what composing at load time costs against composing at build time: the Rust calc and the
//! C toolbox composed by the host (`PluginHost::compose_components`, each import a host
//! function forwarding to the provider) against the same pair composed by wac-graph
//! (`composed.wasm`, `just compose`): the median of 20 instantiations and of 10,000 calls of
//! `foo(7)` on one instance, each way.
//!
//! Wall time on a shared VM is noisy: run it on an idle machine.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use example_host::{Chain, ExampleHost, HostState};
use plugin_artifacts::{COMPONENT_GUEST, COMPOSE_CALC, GUEST_0_1_1, LEGACY_GUEST};
use plugin_benches::BareComponent;
use plugin_host::dynamic::{Dynamic, DynamicComponent};
use plugin_host::wasmtime::Engine;
use plugin_host::wasmtime::component::Val;
use plugin_host::{CompilationCache, HostConfig};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::var_os("POLYGLOT_DIR").ok_or("set POLYGLOT_DIR: run `just bench-polyglot`")?,
    );
    let cache = dir.join("bench-cache");
    let plugins = [
        ("Rust (0.1.2)", PathBuf::from(COMPONENT_GUEST)),
        ("Rust (0.1.1)", PathBuf::from(GUEST_0_1_1)),
        ("Rust (0.1.0)", PathBuf::from(LEGACY_GUEST)),
        ("C (0.1.2)", dir.join("c_plugin.wasm")),
        ("Python (0.1.2)", dir.join("python_plugin.wasm")),
        ("JavaScript (0.1.0)", dir.join("js_plugin.wasm")),
    ];
    println!(
        "{:<19} {:>9} {:>10} {:>12} {:>10} {:>12} {:>10} {:>9}",
        "plugin",
        "size",
        "compile",
        "cached load",
        "bare load",
        "instantiate",
        "bare inst.",
        "call"
    );
    for (language, path) in plugins {
        let row = measure(&path, &cache)?;
        println!(
            "{language:<19} {:>6} KiB {:>10} {:>12} {:>10} {:>12} {:>10} {:>9}",
            std::fs::metadata(&path)?.len() / 1024,
            show(row.compile),
            show(row.cached_load),
            show(row.bare_load),
            show(row.instantiate),
            show(row.bare_instantiate),
            show(row.call),
        );
    }

    println!(
        "\n{:<37} {:>12} {:>9}",
        "foo(7) of calc + toolbox", "instantiate", "call"
    );
    let host = ExampleHost::new()?;
    let toolbox = dir.join("toolbox.wasm");
    for (how, chain) in [
        (
            "composed at build time (wac-graph)",
            composed(&host, &[dir.join("composed.wasm")])?,
        ),
        (
            "composed at load time (forwarding)",
            composed(&host, &[PathBuf::from(COMPOSE_CALC), toolbox])?,
        ),
    ] {
        let (instantiate, call) = measure_foo(&host, &chain)?;
        println!("{how:<37} {:>12} {:>9}", show(instantiate), show(call));
    }
    Ok(())
}

/// The components at `paths`, composed at load time.
fn composed(host: &ExampleHost, paths: &[PathBuf]) -> Result<DynamicComponent<HostState>> {
    match host.chain(Chain::Compose, paths)? {
        Dynamic::Component(chain) => Ok(chain),
        Dynamic::CoreModule(_) => Err("composing gives components".into()),
    }
}

/// The median instantiation and the median call of `foo(7)` of `chain`.
fn measure_foo(
    host: &ExampleHost,
    chain: &DynamicComponent<HostState>,
) -> Result<(Duration, Duration)> {
    let state = || host.state(chain.name());
    let instantiate = median_time(20, || {
        chain.instantiate(state()).expect("the chain instantiates")
    });
    let function = chain.function("foo")?;
    let mut instance = chain.instantiate(state())?;
    let call = median_time(10_000, || {
        instance
            .call_function(&function, black_box(&[Val::S32(7)]))
            .expect("foo answers")
    });
    Ok((instantiate, call))
}

/// The times of one plugin.
struct Row {
    compile: Duration,
    cached_load: Duration,
    bare_load: Duration,
    instantiate: Duration,
    bare_instantiate: Duration,
    call: Duration,
}

fn measure(path: &Path, cache: &Path) -> Result<Row> {
    let cold = ExampleHost::new()?;
    let start = Instant::now();
    let plugin = cold.load_component(path)?;
    let compile = start.elapsed();

    let cached = || {
        ExampleHost::with_config(HostConfig {
            cache: CompilationCache::Directory(cache.to_owned()),
            ..HostConfig::default()
        })
    };
    cached()?.load_component(path)?; // fills the cache
    let mut cached_load = Duration::MAX;
    for _ in 0..3 {
        let host = cached()?;
        let start = Instant::now();
        host.load_component(path)?;
        cached_load = cached_load.min(start.elapsed());
    }

    // Bare wasmtime on the engine the host put the plugin on: the first, or the one with the
    // component model's async ABI if the first refuses it.
    let bytes = std::fs::read(path)?;
    let engines = [Some(cold.host().engine()), cold.host().concurrent_engine()];
    let (engine, artifact) = engines
        .into_iter()
        .flatten()
        .find_map(|engine| Some((engine, engine.precompile_component(&bytes).ok()?)))
        .ok_or("no engine of the host compiles the plugin")?;
    let concurrent = !Engine::same(engine, cold.host().engine());
    let artifact_path = cache.join("bare.cwasm");
    std::fs::create_dir_all(cache)?;
    std::fs::write(&artifact_path, artifact)?;
    let mut bare_load = Duration::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        black_box(BareComponent::load_precompiled(
            engine,
            &artifact_path,
            concurrent,
        )?);
        bare_load = bare_load.min(start.elapsed());
    }
    let bare = BareComponent::load_precompiled(engine, &artifact_path, concurrent)?;

    let instantiate = median_time(20, || {
        plugin.instantiate().expect("the plugin instantiates")
    });
    let bare_instantiate = median_time(20, || {
        bare.instantiate().expect("the bare component instantiates")
    });

    let mut instance = plugin.instantiate()?;
    let call = median_time(1000, || {
        instance
            .just_add(black_box(15), black_box(27))
            .expect("just-add answers")
    });
    Ok(Row {
        compile,
        cached_load,
        bare_load,
        instantiate,
        bare_instantiate,
        call,
    })
}

/// The median time of `runs` runs of `f`; what `f` returns is dropped after the clock stops.
fn median_time<R>(runs: usize, mut f: impl FnMut() -> R) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let result = black_box(f());
            let elapsed = start.elapsed();
            drop(result);
            elapsed
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

/// `d` in the unit that suits it: µs below a millisecond, ms below a second, else s.
fn show(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1e3 {
        format!("{micros:.1} µs")
    } else if micros < 1e6 {
        format!("{:.1} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}
