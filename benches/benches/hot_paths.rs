//! The host's hot paths, each beside a baseline measured in the same run: `just bench`.
//! `BENCHMARKS.md` records the figures and the ratios.
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use example_host::{AbiInstance, ContractInstance, ContractPlugin, ExampleHost, Point};
use plugin_artifacts::{Behaviour, CORE_PLUGIN, HOSTILE_GUEST, LEGACY_GUEST};
use plugin_benches::{Bare, BareCore, Point as BarePoint, Tuning};
use plugin_host::{Allocator, CompilationCache, HostConfig};

fn host(allocator: Allocator) -> ExampleHost {
    ExampleHost::with_config(HostConfig {
        allocator,
        ..HostConfig::default()
    })
    .expect("the host sets up")
}

fn component(host: &ExampleHost, path: &str) -> ContractPlugin {
    host.load_component(path).expect("the guest loads")
}

fn core_instance(host: &ExampleHost) -> AbiInstance {
    let plugin = host
        .load_core_module(CORE_PLUGIN)
        .expect("the core guest loads");
    plugin.instantiate().expect("it instantiates")
}

/// The guest's `trigger`, natively, against a host that is one plain field.
fn native_trigger(value: &mut i32, input: i32) {
    black_box(input.wrapping_mul(2));
    *value = value.wrapping_add(input).wrapping_add(5);
}

/// Host -> guest: `just-add`, `point-add` and `trigger`, through our API, bare wasmtime, the
/// core-module path and a native Rust call. Both component paths run the 0.1.0 plugin.
fn calls(c: &mut Criterion) {
    let host = host(Allocator::Pooling);
    let mut ours = component(&host, LEGACY_GUEST).instantiate().unwrap();
    let bare = Bare::new(LEGACY_GUEST, &Tuning::Pooling.config()).unwrap();
    let (mut store, plugin) = bare.instantiate().unwrap();
    let untuned = Bare::new(LEGACY_GUEST, &Tuning::Default.config()).unwrap();
    let (mut untuned_store, untuned_plugin) = untuned.instantiate().unwrap();
    let mut core = core_instance(&host);
    let mut bare_core = BareCore::new(CORE_PLUGIN, &Tuning::Default.config()).unwrap();

    let mut group = c.benchmark_group("call/just-add");
    group.bench_function("ours", |b| {
        b.iter(|| ours.just_add(black_box(15), black_box(27)).unwrap())
    });
    group.bench_function("bare-wasmtime", |b| {
        b.iter(|| {
            plugin
                .call_just_add(&mut store, black_box(15), black_box(27))
                .unwrap()
        })
    });
    group.bench_function("bare-wasmtime-default-config", |b| {
        b.iter(|| {
            untuned_plugin
                .call_just_add(&mut untuned_store, black_box(15), black_box(27))
                .unwrap()
        })
    });
    group.bench_function("core-module", |b| {
        b.iter(|| core.just_add(black_box(15), black_box(27)).unwrap())
    });
    group.bench_function("bare-wasmtime-core-module", |b| {
        b.iter(|| bare_core.just_add(black_box(15), black_box(27)).unwrap())
    });
    group.bench_function("native", |b| {
        b.iter(|| black_box(15_u64).wrapping_add(black_box(27)))
    });
    group.finish();

    let (a, b_) = (Point { x: 1, y: 2 }, Point { x: 3, y: 4 });
    let (bare_a, bare_b) = (BarePoint { x: 1, y: 2 }, BarePoint { x: 3, y: 4 });
    let mut group = c.benchmark_group("call/point-add");
    group.bench_function("ours", |b| {
        b.iter(|| ours.point_add(black_box(a), black_box(b_)).unwrap())
    });
    group.bench_function("bare-wasmtime", |b| {
        b.iter(|| {
            plugin
                .call_point_add(&mut store, black_box(bare_a), black_box(bare_b))
                .unwrap()
        })
    });
    group.bench_function("core-module", |b| {
        b.iter(|| core.point_add(black_box(a), black_box(b_)).unwrap())
    });
    group.bench_function("native", |b| {
        let add = |p: Point, q: Point| Point {
            x: p.x.wrapping_add(q.x),
            y: p.y.wrapping_add(q.y),
        };
        b.iter(|| add(black_box(a), black_box(b_)))
    });
    group.finish();

    let mut group = c.benchmark_group("call/trigger");
    group.bench_function("ours", |b| b.iter(|| ours.trigger(black_box(7)).unwrap()));
    group.bench_function("bare-wasmtime", |b| {
        b.iter(|| plugin.call_trigger(&mut store, black_box(7)).unwrap())
    });
    group.bench_function("core-module", |b| {
        b.iter(|| core.trigger_host_calls(black_box(7)).unwrap())
    });
    group.bench_function("native", |b| {
        let mut value = 42;
        b.iter(|| native_trigger(&mut value, black_box(7)))
    });
    group.finish();
    // `trigger` logs; keep the log from growing across the run (it is capped anyway).
    ours.take_logged();
}

/// Guest -> host: one `trigger` that calls `get` 1,000 times, beside the same export calling it
/// 0 times. (cost of 1,000 - cost of 0) / 1,000 is one guest -> host call.
fn callbacks(c: &mut Criterion) {
    let host = host(Allocator::Pooling);
    let mut instance = component(&host, HOSTILE_GUEST).instantiate().unwrap();
    let input = Behaviour::CallHostSharedValueTimes.input();
    let mut group = c.benchmark_group("guest-to-host/get");
    for times in [0, 1000] {
        group.bench_function(format!("{times} calls"), |b| {
            host.shared_value().set(times);
            b.iter(|| instance.trigger(input).unwrap())
        });
    }
    group.finish();
}

/// A fresh instance in a fresh store: our API vs bare `InstancePre::instantiate`, on-demand
/// vs pooling.
fn instantiate(c: &mut Criterion) {
    let mut group = c.benchmark_group("instantiate");
    for (allocator, name) in [
        (Allocator::OnDemand, "on-demand"),
        (Allocator::Pooling, "pooling"),
    ] {
        let host = host(allocator);
        let plugin = component(&host, LEGACY_GUEST);
        group.bench_function(format!("ours/{name}"), |b| {
            b.iter(|| plugin.instantiate().unwrap())
        });
        let tuning = match allocator {
            Allocator::Pooling => Tuning::Pooling,
            _ => Tuning::OnDemand,
        };
        let bare = Bare::new(LEGACY_GUEST, &tuning.config()).unwrap();
        group.bench_function(format!("bare-wasmtime/{name}"), |b| {
            b.iter(|| bare.instantiate().unwrap())
        });
    }
    group.finish();
}

/// Loading the component: compiling, a compilation-cache hit, a precompiled artifact.
fn load(c: &mut Criterion) {
    let scratch = std::env::temp_dir().join(format!("plugin-benches-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let compile = host(Allocator::Pooling);
    let artifact = scratch.join("guest.cwasm");
    std::fs::write(&artifact, compile.precompile(LEGACY_GUEST).unwrap()).unwrap();
    let cached = ExampleHost::with_config(HostConfig {
        cache: CompilationCache::Directory(scratch.join("cache")),
        ..HostConfig::default()
    })
    .unwrap();
    cached.load(LEGACY_GUEST).unwrap();

    let mut group = c.benchmark_group("load");
    group.sample_size(20);
    group.bench_function("compile", |b| {
        b.iter(|| compile.load(LEGACY_GUEST).unwrap())
    });
    group.bench_function("cache-hit", |b| {
        b.iter(|| cached.load(LEGACY_GUEST).unwrap())
    });
    group.bench_function("precompiled", |b| {
        b.iter(|| compile.load_precompiled(&artifact).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Calls per second with one store per thread, on 1 and 2 threads.
fn throughput(c: &mut Criterion) {
    let host = host(Allocator::Pooling);
    let plugin = component(&host, LEGACY_GUEST);
    let mut group = c.benchmark_group("throughput/just-add");
    for threads in [1, 2] {
        let mut instances: Vec<ContractInstance> = (0..threads)
            .map(|_| plugin.instantiate().unwrap())
            .collect();
        group.throughput(Throughput::Elements(threads as u64));
        group.bench_function(format!("{threads} threads"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                thread::scope(|scope| {
                    for instance in &mut instances {
                        scope.spawn(move || {
                            for _ in 0..iters {
                                black_box(instance.just_add(black_box(15), black_box(27)).unwrap());
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .output_directory(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion"))
}

criterion_group! {
    name = benches;
    config = config();
    targets = calls, callbacks, instantiate, load, throughput
}
criterion_main!(benches);
