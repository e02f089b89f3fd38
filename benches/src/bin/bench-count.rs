//! `just bench-count`: the host's hot paths counted in instructions under Valgrind's callgrind,
//! ours beside bare wasmtime on the same engine, checked against the bounds of issue 13.
//!
//! Wall-clock benchmarks on a shared 2-core VM move by up to 40% between runs (BENCHMARKS.md);
//! instruction counts do not. Run without arguments, this binary is the driver: it precompiles
//! the guests under Valgrind (`bench-count prepare DIR`, see [`prepare`]), then runs itself
//! under callgrind once per path, subject and iteration count (`bench-count measure PATH
//! SUBJECT N DIR`). The measured process sets everything up, performs the operation once to
//! warm it, then performs it N times inside `count_measured_loop`, the only function callgrind
//! collects (`--toggle-collect`). One operation costs (count at N − count at 0) / N, so setup
//! and the collection toggle cancel.
//!
//! The driver prints the table and exits with 1 if a ratio passes its bound, or with 2 if a
//! measurement could not be made. `bench-count PATH` counts one path only;
//! `BENCH_COUNT_KEEP=1` keeps the callgrind profiles for `callgrind_annotate`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use bot_host::Bot;
use bot_host::serve::{Memory, Server};
use example_host::{ExampleHost, Plugin, Point};
use metrics_exporter_prometheus::PrometheusBuilder;
use plugin_artifacts::{
    BOT_PLUGIN, Behaviour, COMPONENT_GUEST, CORE_PLUGIN, HOSTILE_GUEST, LEGACY_GUEST,
};
use plugin_benches::{
    BareBot, BareConcurrent, BareCore, BareHost, ConcurrentPoint, Point as BarePoint,
};
use plugin_host::wasmtime::{Engine, Module};
use plugin_host::{Allocator, CompilationCache, HostConfig};
use wasmtime_wasi::runtime::in_tokio;

/// One hot path: what one operation is, how many are counted, and the bound on ours / bare.
struct HotPath {
    name: &'static str,
    /// Operations per measured iteration (a `trigger` that calls `get` 100 times counts 100).
    per_iteration: u32,
    iterations: u32,
    /// The most ours may cost as a multiple of bare wasmtime, if the path is held to one.
    bound: Option<f64>,
}

/// The hot paths of the criterion suite, with the bounds of issue 13 (component calls ≤ 1.05x,
/// core `just_add` ≤ 1.2x bare), and a call with metrics into the Prometheus recorder (issue 22
/// asks 1.2x; it measures 1.199x, two instructions inside, so CI holds it at 1.25x: the clock
/// `quanta` picks under Valgrind depends on the CPU, see BENCHMARKS.md "Telemetry"); and those
/// of issue 23 (cold start): core `point_add` ≤ 1.2x bare, instantiation ≤ 1.1x, loading a
/// precompiled artifact ≤ 1.2x bare and ≤ 1.05x bare wasmtime making the same integrity check
/// (the checksum is the rest, BENCHMARKS.md "Cold start"), from the cache ≤ 1.6x (the hash), an
/// async call ≤ 1.05x bare wasmtime's async call.
const PATHS: &[HotPath] = &[
    path("component just-add", 1, 1000, Some(1.05)),
    path("component point-add", 1, 1000, Some(1.05)),
    path("component trigger", 1, 1000, Some(1.05)),
    path("just-add, Prometheus", 1, 1000, Some(1.25)),
    path("guest -> host get", 100, 100, None),
    path("core just_add", 1, 1000, Some(1.2)),
    path("core point_add", 1, 1000, Some(1.2)),
    path("instantiate pooling", 1, 50, Some(1.1)),
    path("instantiate on-demand", 1, 50, None),
    path("load precompiled", 1, 10, Some(1.2)),
    path("load vs checked bare", 1, 10, Some(1.05)),
    path("load from cache", 1, 10, Some(1.6)),
    path("async bot reply", 1, 1000, None),
    path("bare async bot reply", 1, 1000, None),
    path("async bot reply vs bare", 1, 1000, Some(1.05)),
    path("concurrent just-add", 1, 1000, Some(1.05)),
    path("resource method", 1, 1000, Some(1.05)),
];

/// Paths whose columns are not ours and bare wasmtime: (path, what `ours` is, what `bare` is).
const BASELINES: &[(&str, &str, &str)] = &[
    (
        "load precompiled",
        "ExampleHost::load_precompiled: the file mapped, its trailer and XXH3-128 checksum checked, \
         then deserialize_file, pre-linked and checked against the world",
        "Component::deserialize_file of wasmtime's own artifact, pre-linked (instantiate_pre)",
    ),
    (
        "load vs checked bare",
        "ExampleHost::load_precompiled, as in load precompiled",
        "bare wasmtime's load precompiled after mapping the file and computing its XXH3-128 \
         checksum (BareHost::load_checked): the floor of loading a checked artifact",
    ),
    (
        "load from cache",
        "ExampleHost::load of the .wasm on a host with a warm compilation cache: the file read, \
         hashed (BLAKE3), the entry mapped and checked, deserialize_file, checked against the world",
        "as for load precompiled: no cache can load faster than the artifact it holds",
    ),
    (
        "async bot reply",
        "Instance::call on an Async host, via bot_host::serve, awaited in one task (current-thread tokio)",
        "our blocking Instance::call on the same plugin (bot_host::Bot)",
    ),
    (
        "bare async bot reply",
        "bare wasmtime's call_async of reply (bindgen!, async exports), awaited in one task: the \
         floor of an async call",
        "bare wasmtime's blocking call of reply (bindgen!), on the same engine",
    ),
    (
        "async bot reply vs bare",
        "our async call, as in async bot reply",
        "bare wasmtime's call_async, as in bare async bot reply",
    ),
    (
        "concurrent just-add",
        "ContractInstance::just_add on the 0.1.2 guest: Instance::call_concurrent (run_concurrent \
         under the deadline, on wasmtime-wasi's ambient runtime)",
        "run_concurrent + call_concurrent of just-add on the same engine, on the same runtime",
    ),
    (
        "resource method",
        "ContractInstance::accumulator_add on the 0.1.2 guest (its handle checked for staleness)",
        "call_concurrent of accumulator.add on the same engine, on the same runtime",
    ),
    (
        "just-add, Prometheus",
        "component just-add with HostConfig::metrics on, into metrics-exporter-prometheus's recorder",
        "bare wasmtime's just-add, as in component just-add",
    ),
];

const fn path(
    name: &'static str,
    per_iteration: u32,
    iterations: u32,
    bound: Option<f64>,
) -> HotPath {
    HotPath {
        name,
        per_iteration,
        iterations,
        bound,
    }
}

/// Whose code performs the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    Ours,
    Bare,
}

impl Subject {
    fn name(self) -> &'static str {
        match self {
            Self::Ours => "ours",
            Self::Bare => "bare",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Ours, Self::Bare]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => drive(None),
        [mode, dir] if mode == "prepare" => match prepare(Path::new(dir)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("bench-count: prepare: {error}");
                ExitCode::from(2)
            }
        },
        [only] => drive(Some(only)),
        [mode, name, subject, n, dir] if mode == "measure" => {
            let (Some(subject), Ok(n)) = (Subject::from_name(subject), n.parse()) else {
                eprintln!("usage: bench-count measure PATH ours|bare N DIR");
                return ExitCode::from(2);
            };
            match measure(name, subject, n, Path::new(dir)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("bench-count: {name} ({}): {error}", subject.name());
                    ExitCode::from(2)
                }
            }
        }
        _ => {
            eprintln!("usage: bench-count [PATH]   (a path's name, to count only that one)");
            ExitCode::from(2)
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The engine settings every measured process uses: the host's defaults with `allocator`, and
/// a pool of [`POOL_INSTANCES`]; plugins record metrics if `metrics`.
fn host(allocator: Allocator, metrics: bool) -> Result<ExampleHost> {
    let host = ExampleHost::with_config(HostConfig {
        allocator,
        metrics,
        pool_instances: POOL_INSTANCES,
        ..HostConfig::default()
    })?;
    if host.host().allocator() != allocator {
        return Err(format!("the engine fell back from {allocator:?}").into());
    }
    Ok(host)
}

/// The pool's size: small, because Valgrind's address space (128 GiB on x86-64) cannot hold
/// the default pool's reservation (4 GiB per memory slot). The pool's size changes nothing
/// per call or per instantiation: slots are reserved up front either way.
const POOL_INSTANCES: u32 = 4;

/// The artifacts a measured process loads, made by [`prepare`] under Valgrind: ours from
/// `ExampleHost::precompile`, bare wasmtime's from `Engine::precompile_*`, on engines of the
/// same configuration.
fn artifact(dir: &Path, subject: Subject, guest: &str) -> PathBuf {
    dir.join(format!("{}-{guest}.cwasm", subject.name()))
}

const GUESTS: [(&str, &str); 4] = [
    ("legacy", LEGACY_GUEST),
    ("hostile", HOSTILE_GUEST),
    ("core", CORE_PLUGIN),
    ("shapes", COMPONENT_GUEST),
];

/// [`host`]'s settings with a compilation cache in `dir` that [`prepare`] fills under Valgrind,
/// so that the measured processes do not compile the bot plugin or the guest loaded from it.
fn cached_config(dir: &Path) -> HostConfig {
    HostConfig {
        pool_instances: POOL_INSTANCES,
        cache: CompilationCache::Directory(dir.join("cache")),
        ..HostConfig::default()
    }
}

/// The message the bot is sent: its plugin answers without a host call.
const BOT_MESSAGE: &str = "good night";

/// Precompiles the guests and fills the bot's compilation cache in `dir`, and writes there the
/// CPU features they were compiled for ([`CPU_FILE`]). The driver runs this under Valgrind
/// ([`prepare_under_valgrind`]): wasmtime compiles for the features it detects, and Valgrind
/// presents a CPU without some of the machine's (AVX-512 and AVX-VNNI on an Intel Xeon), so
/// artifacts compiled outside it would not load in the measured processes.
fn prepare(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(CPU_FILE), cpu_features().join(" "))?;
    Bot::new(cached_config(dir))?.add_plugin(BOT_PLUGIN)?;
    ExampleHost::with_config(cached_config(dir))?.load(LEGACY_GUEST)?;
    let host = host(Allocator::Pooling, false)?;
    let engine = host.host().engine();
    for (guest, wasm) in GUESTS {
        std::fs::write(artifact(dir, Subject::Ours, guest), host.precompile(wasm)?)?;
        let bytes = std::fs::read(wasm)?;
        let bare = match guest {
            "core" => engine.precompile_module(&bytes)?,
            // The 0.1.2 guest uses the component model's async ABI: the host's second engine.
            "shapes" => concurrent_engine(&host)?.precompile_component(&bytes)?,
            _ => engine.precompile_component(&bytes)?,
        };
        std::fs::write(artifact(dir, Subject::Bare, guest), bare)?;
    }
    let bot = engine.precompile_component(&std::fs::read(BOT_PLUGIN)?)?;
    std::fs::write(artifact(dir, Subject::Bare, "bot"), bot)?;
    Ok(())
}

/// Runs [`prepare`] under Valgrind (`--tool=none`: no instrumentation, the CPU the measured
/// processes see) and returns the CPU features the guests were compiled for.
fn prepare_under_valgrind(dir: &Path) -> Result<Vec<String>> {
    let output = Command::new("valgrind")
        .args(["--tool=none", "--smc-check=all-non-file", "-q"])
        .arg(std::env::current_exe()?)
        .arg("prepare")
        .arg(dir)
        .output()
        .map_err(|e| {
            format!("could not run valgrind ({e}); install it: apt-get install valgrind")
        })?;
    if !output.status.success() {
        return Err(format!(
            "precompiling the guests under valgrind failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    recorded_cpu_features(dir)
}

/// The file in the artifacts' directory that lists the CPU features they were compiled for.
const CPU_FILE: &str = "cpu-features";

/// The CPU features the artifacts in `dir` were compiled for, as [`prepare`] wrote them.
fn recorded_cpu_features(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join(CPU_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e}; run bench-count prepare first",
            path.display()
        )
    })?;
    Ok(text.split_whitespace().map(str::to_owned).collect())
}

/// Checks that this process sees the CPU features the artifacts in `dir` were compiled for:
/// wasmtime refuses an artifact compiled for features the CPU lacks, and one compiled without
/// features the CPU has (its engine would compile differently). Says which differ, and what to
/// do, rather than leaving it to the load's generic refusal.
fn check_cpu_features(dir: &Path) -> Result<()> {
    let recorded = recorded_cpu_features(dir)?;
    let here: Vec<String> = cpu_features().into_iter().map(str::to_owned).collect();
    let only_in = |a: &[String], b: &[String]| -> String {
        let only: Vec<&str> = a
            .iter()
            .filter(|f| !b.contains(f))
            .map(String::as_str)
            .collect();
        if only.is_empty() {
            "none".into()
        } else {
            only.join(" ")
        }
    };
    if recorded == here {
        return Ok(());
    }
    Err(format!(
        "the artifacts in {} were compiled for other CPU features than this process sees \
         (Cranelift flags; only there: {}; only here: {}). Valgrind presents a CPU without \
         some of the machine's features (AVX-512, AVX-VNNI), so artifacts compiled outside it \
         do not load inside it: let `bench-count` (no arguments) precompile them, which it \
         does under Valgrind",
        dir.display(),
        only_in(&recorded, &here),
        only_in(&here, &recorded),
    )
    .into())
}

/// The x86-64 features Cranelift uses when the CPU has them, as wasmtime's engine detects them
/// for the host (`cranelift-native`'s `builder`, whose list this is): the names of the
/// Cranelift flags this process's CPU turns on.
#[cfg(target_arch = "x86_64")]
fn cpu_features() -> Vec<&'static str> {
    macro_rules! detected {
        ($(($feature:tt, $flag:literal)),* $(,)?) => {
            [$(($flag, std::is_x86_feature_detected!($feature))),*]
        };
    }
    let features = detected![
        ("cmpxchg16b", "has_cmpxchg16b"),
        ("sse3", "has_sse3"),
        ("ssse3", "has_ssse3"),
        ("sse4.1", "has_sse41"),
        ("sse4.2", "has_sse42"),
        ("popcnt", "has_popcnt"),
        ("avx", "has_avx"),
        ("avx2", "has_avx2"),
        ("fma", "has_fma"),
        ("avxvnni", "has_avx_vnni"),
        ("avx512vnni", "has_avx512vnni"),
        ("bmi1", "has_bmi1"),
        ("bmi2", "has_bmi2"),
        ("avx512bitalg", "has_avx512bitalg"),
        ("avx512dq", "has_avx512dq"),
        ("avx512f", "has_avx512f"),
        ("avx512vl", "has_avx512vl"),
        ("avx512vbmi", "has_avx512vbmi"),
        ("lzcnt", "has_lzcnt"),
    ];
    features
        .into_iter()
        .filter_map(|(flag, on)| on.then_some(flag))
        .collect()
}

/// Elsewhere the engine's features are not checked here: wasmtime's own refusal stands.
#[cfg(not(target_arch = "x86_64"))]
fn cpu_features() -> Vec<&'static str> {
    Vec::new()
}

/// Performs `op` `iterations` times: the only code callgrind counts.
#[inline(never)]
fn count_measured_loop(iterations: u32, mut op: impl FnMut()) {
    for _ in 0..iterations {
        op();
    }
}

/// Warms `op` up with one run, then counts `n` runs of it.
fn counted(n: u32, mut op: impl FnMut()) {
    op();
    count_measured_loop(n, op);
}

/// Warms the async `op` up with one run, then counts `n` runs of it awaited one after another
/// in one task (one `block_on`, which the count at 0 cancels): an async call's cost to the task
/// that awaits it, without entering the runtime once per call.
fn counted_async(runtime: &tokio::runtime::Runtime, n: u32, mut op: impl AsyncFnMut()) {
    runtime.block_on(op());
    count_measured_loop(1, || {
        runtime.block_on(async {
            for _ in 0..n {
                op().await;
            }
        });
    });
}

/// Sets up the path `name` for `subject` and performs its operation `n` times in
/// [`count_measured_loop`].
fn measure(name: &str, subject: Subject, n: u32, dir: &Path) -> Result<()> {
    check_cpu_features(dir)?;
    let allocator = if name == "instantiate on-demand" {
        Allocator::OnDemand
    } else {
        Allocator::Pooling
    };
    let metrics = name == "just-add, Prometheus" && subject == Subject::Ours;
    if metrics {
        let recorder = PrometheusBuilder::new().build_recorder();
        metrics::set_global_recorder(recorder).map_err(|_| "a recorder is already installed")?;
    }
    let ours = host(allocator, metrics)?;
    let engine = ours.host().engine().clone();
    let load = |guest| -> Result<Plugin> {
        Ok(ours.load_precompiled(artifact(dir, Subject::Ours, guest))?)
    };
    let component = |guest| -> Result<_> {
        match load(guest)? {
            Plugin::Component(plugin) => Ok(plugin),
            Plugin::CoreModule(_) => Err("not a component".into()),
        }
    };
    let bare = || -> Result<_> {
        Ok(BareHost::new(&engine)?.load_precompiled(&artifact(dir, Subject::Bare, "legacy"))?)
    };
    let bare_concurrent = || -> Result<_> {
        let path = artifact(dir, Subject::Bare, "shapes");
        Ok(BareConcurrent::load_precompiled(
            &concurrent_engine(&ours)?,
            &path,
        )?)
    };
    let bare_bot = || -> Result<_> {
        Ok(BareBot::load_precompiled(
            &engine,
            &artifact(dir, Subject::Bare, "bot"),
        )?)
    };
    let (a, b) = (Point { x: 1, y: 2 }, Point { x: 3, y: 4 });
    let (bare_a, bare_b) = (BarePoint { x: 1, y: 2 }, BarePoint { x: 3, y: 4 });
    match (name, subject) {
        ("component just-add" | "just-add, Prometheus", Subject::Ours) => {
            let mut instance = component("legacy")?.instantiate()?;
            counted(n, || {
                black_box(instance.just_add(black_box(15), black_box(27)).unwrap());
            });
        }
        ("component just-add" | "just-add, Prometheus", Subject::Bare) => {
            let (mut store, plugin) = bare()?.instantiate()?;
            counted(n, || {
                black_box(
                    plugin
                        .call_just_add(&mut store, black_box(15), black_box(27))
                        .unwrap(),
                );
            });
        }
        ("component point-add", Subject::Ours) => {
            let mut instance = component("legacy")?.instantiate()?;
            counted(n, || {
                black_box(instance.point_add(black_box(a), black_box(b)).unwrap());
            });
        }
        ("component point-add", Subject::Bare) => {
            let (mut store, plugin) = bare()?.instantiate()?;
            counted(n, || {
                black_box(
                    plugin
                        .call_point_add(&mut store, black_box(bare_a), black_box(bare_b))
                        .unwrap(),
                );
            });
        }
        ("component trigger", Subject::Ours) => {
            let mut instance = component("legacy")?.instantiate()?;
            counted(n, || instance.trigger(black_box(7)).unwrap());
        }
        ("component trigger", Subject::Bare) => {
            let (mut store, plugin) = bare()?.instantiate()?;
            counted(n, || plugin.call_trigger(&mut store, black_box(7)).unwrap());
        }
        ("guest -> host get", Subject::Ours) => {
            let mut instance = component("hostile")?.instantiate()?;
            ours.shared_value().set(100);
            let input = Behaviour::CallHostSharedValueTimes.input();
            counted(n, || instance.trigger(black_box(input)).unwrap());
        }
        ("guest -> host get", Subject::Bare) => {
            let hostile = BareHost::new(&engine)?.load_precompiled(&artifact(
                dir,
                Subject::Bare,
                "hostile",
            ))?;
            let (mut store, plugin) = hostile.instantiate()?;
            store.data_mut().set_value(100);
            let input = Behaviour::CallHostSharedValueTimes.input();
            counted(n, || {
                plugin.call_trigger(&mut store, black_box(input)).unwrap()
            });
        }
        ("core just_add", Subject::Ours) => {
            let mut instance = core(load("core")?)?.instantiate()?;
            counted(n, || {
                black_box(instance.just_add(black_box(15), black_box(27)).unwrap());
            });
        }
        ("core just_add", Subject::Bare) => {
            let mut core = bare_core(&engine, dir)?;
            counted(n, || {
                black_box(core.just_add(black_box(15), black_box(27)).unwrap());
            });
        }
        ("core point_add", Subject::Ours) => {
            let mut instance = core(load("core")?)?.instantiate()?;
            counted(n, || {
                black_box(instance.point_add(black_box(a), black_box(b)).unwrap());
            });
        }
        ("core point_add", Subject::Bare) => {
            let mut core = bare_core(&engine, dir)?;
            counted(n, || {
                black_box(
                    core.point_add(black_box(bare_a), black_box(bare_b))
                        .unwrap(),
                );
            });
        }
        ("instantiate pooling" | "instantiate on-demand", Subject::Ours) => {
            let plugin = component("legacy")?;
            counted(n, || drop(black_box(plugin.instantiate().unwrap())));
        }
        ("instantiate pooling" | "instantiate on-demand", Subject::Bare) => {
            let bare = bare()?;
            counted(n, || drop(black_box(bare.instantiate().unwrap())));
        }
        ("load precompiled" | "load vs checked bare", Subject::Ours) => {
            let path = artifact(dir, Subject::Ours, "legacy");
            counted(n, || drop(black_box(ours.load_precompiled(&path).unwrap())));
        }
        ("load vs checked bare", Subject::Bare) => {
            let linker = BareHost::new(&engine)?;
            let path = artifact(dir, Subject::Bare, "legacy");
            counted(n, || drop(black_box(linker.load_checked(&path).unwrap())));
        }
        ("load from cache", Subject::Ours) => {
            let cached = ExampleHost::with_config(cached_config(dir))?;
            counted(n, || drop(black_box(cached.load(LEGACY_GUEST).unwrap())));
        }
        ("load precompiled" | "load from cache", Subject::Bare) => {
            let linker = BareHost::new(&engine)?;
            let path = artifact(dir, Subject::Bare, "legacy");
            counted(n, || {
                drop(black_box(linker.load_precompiled(&path).unwrap()))
            });
        }
        ("concurrent just-add", Subject::Ours) => {
            let mut instance = component("shapes")?.instantiate()?;
            counted(n, || {
                black_box(instance.just_add(black_box(15), black_box(27)).unwrap());
            });
        }
        ("concurrent just-add", Subject::Bare) => {
            let (mut store, plugin) = bare_concurrent()?.instantiate()?;
            counted(n, || {
                let call = store.run_concurrent(async |accessor| {
                    plugin
                        .call_just_add(accessor, black_box(15), black_box(27))
                        .await
                });
                black_box(in_tokio(call).unwrap().unwrap());
            });
        }
        ("resource method", Subject::Ours) => {
            let mut instance = component("shapes")?.instantiate()?;
            let accumulator = instance.accumulator()?;
            counted(n, || {
                instance.accumulator_add(accumulator, black_box(a)).unwrap();
            });
        }
        ("resource method", Subject::Bare) => {
            let (mut store, plugin) = bare_concurrent()?.instantiate()?;
            let shapes = plugin.example_plugin_shapes();
            let accumulator = in_tokio(store.run_concurrent(async |accessor| {
                shapes.accumulator().call_constructor(accessor).await
            }))??;
            let p = ConcurrentPoint { x: 1, y: 2 };
            counted(n, || {
                let call = store.run_concurrent(async |accessor| {
                    shapes
                        .accumulator()
                        .call_add(accessor, accumulator, black_box(p))
                        .await
                });
                in_tokio(call).unwrap().unwrap();
            });
        }
        ("async bot reply" | "async bot reply vs bare", Subject::Ours) => {
            let runtime = tokio::runtime::Builder::new_current_thread().build()?;
            let mut instance = runtime.block_on(async {
                let server = Server::new(cached_config(dir), Memory::spawn())?;
                server.load(BOT_PLUGIN)?.instantiate().await
            })?;
            counted_async(&runtime, n, async || {
                black_box(instance.reply(black_box(BOT_MESSAGE)).await.unwrap());
            });
        }
        ("async bot reply", Subject::Bare) => {
            let mut bot = Bot::new(cached_config(dir))?;
            bot.add_plugin(BOT_PLUGIN)?;
            counted(n, || drop(black_box(bot.reply(black_box(BOT_MESSAGE)))));
        }
        ("bare async bot reply", Subject::Ours) | ("async bot reply vs bare", Subject::Bare) => {
            let runtime = tokio::runtime::Builder::new_current_thread().build()?;
            let mut instance = runtime.block_on(bare_bot()?.instantiate_async())?;
            counted_async(&runtime, n, async || {
                black_box(instance.reply(black_box(BOT_MESSAGE)).await.unwrap());
            });
        }
        ("bare async bot reply", Subject::Bare) => {
            let mut instance = bare_bot()?.instantiate()?;
            counted(n, || {
                black_box(instance.reply(black_box(BOT_MESSAGE)).unwrap());
            });
        }
        _ => return Err(format!("no path named {name:?}").into()),
    }
    Ok(())
}

/// The host's engine with the component model's async ABI.
fn concurrent_engine(host: &ExampleHost) -> Result<Engine> {
    host.host()
        .concurrent_engine()
        .cloned()
        .ok_or_else(|| "the example host has an engine for the async ABI".into())
}

fn core(plugin: Plugin) -> Result<example_host::AbiPlugin> {
    match plugin {
        Plugin::CoreModule(plugin) => Ok(plugin),
        Plugin::Component(_) => Err("not a core module".into()),
    }
}

fn bare_core(engine: &Engine, dir: &Path) -> Result<BareCore> {
    // SAFETY: the driver made this artifact for an engine of this configuration.
    let module = unsafe { Module::deserialize_file(engine, artifact(dir, Subject::Bare, "core"))? };
    Ok(BareCore::instantiate(&module)?)
}

/// Runs `bench-count measure` under callgrind and returns the instructions counted in
/// `count_measured_loop` on the main thread.
fn callgrind(name: &str, subject: Subject, n: u32, dir: &Path) -> Result<u64> {
    let out = dir.join(format!(
        "{}-{}-{n}.callgrind",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        subject.name()
    ));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--smc-check=all-non-file")
        .arg("--collect-atstart=no")
        .arg("--toggle-collect=*count_measured_loop*")
        .arg("--separate-threads=yes")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(std::env::current_exe()?)
        .args(["measure", name, subject.name(), &n.to_string()])
        .arg(dir)
        .output()
        .map_err(|e| {
            format!("could not run valgrind ({e}); install it: apt-get install valgrind")
        })?;
    if !output.status.success() {
        return Err(format!(
            "{name} ({}) failed under callgrind:\n{}",
            subject.name(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    // With `--separate-threads=yes`, callgrind writes one file per thread; the main thread's
    // ends in `-01`.
    let main_thread = PathBuf::from(format!("{}-01", out.display()));
    let text = std::fs::read_to_string(&main_thread)?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("summary:")
                .or(line.strip_prefix("totals:"))
        })
        .and_then(|count| count.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no instruction count in {}", main_thread.display()).into())
}

/// Prepares the artifacts, counts every path (or only `only`), prints the table and checks
/// the bounds.
fn drive(only: Option<&String>) -> ExitCode {
    let dir = std::env::temp_dir().join(format!("bench-count-{}", std::process::id()));
    let result = count_all(&dir, only);
    if std::env::var_os("BENCH_COUNT_KEEP").is_some() {
        println!(
            "callgrind profiles kept in {} (callgrind_annotate FILE)",
            dir.display()
        );
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("bench-count: {error}");
            ExitCode::from(2)
        }
    }
}

fn count_all(dir: &Path, only: Option<&String>) -> Result<bool> {
    let features = prepare_under_valgrind(dir)?;
    let paths: Vec<&HotPath> = PATHS
        .iter()
        .filter(|p| only.is_none_or(|only| p.name == only))
        .collect();
    if paths.is_empty() {
        return Err(format!("no path named {:?}", only.unwrap_or(&String::new())).into());
    }
    println!("Instructions per operation, under callgrind ((count at N - count at 0) / N).");
    println!(
        "Guests compiled for the CPU Valgrind presents: {}.",
        features.join(" ")
    );
    println!();
    println!(
        "{:<24} {:>10} {:>10} {:>7} {:>7}",
        "path", "ours", "bare", "ratio", "bound"
    );
    let mut within = true;
    for path in paths {
        let per_op = |subject| -> Result<f64> {
            let base = callgrind(path.name, subject, 0, dir)?;
            let full = callgrind(path.name, subject, path.iterations, dir)?;
            let ops = f64::from(path.iterations) * f64::from(path.per_iteration);
            #[allow(clippy::cast_precision_loss, reason = "counts are far below 2^52")]
            Ok(full.saturating_sub(base) as f64 / ops)
        };
        let (ours, bare) = (per_op(Subject::Ours)?, per_op(Subject::Bare)?);
        let ratio = ours / bare;
        let (bound, verdict) = match path.bound {
            Some(bound) if ratio <= bound => (format!("{bound:.2}"), "ok"),
            Some(bound) => {
                within = false;
                (format!("{bound:.2}"), "OVER")
            }
            None => (String::from("-"), ""),
        };
        println!(
            "{:<24} {ours:>10.0} {bare:>10.0} {ratio:>7.3} {bound:>7} {verdict}",
            path.name
        );
    }
    for (path, ours, bare) in BASELINES {
        println!("{path}:\n  ours: {ours}\n  bare: {bare}");
    }
    Ok(within)
}
