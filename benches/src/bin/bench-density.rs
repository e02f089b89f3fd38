//! `just bench-density`: how many live instances of the Rust guest one process holds, what
//! instantiating costs as their number grows, and how calls scale with threads.
//!
//! Measures, on one host whose pool holds `--live` instances (default 10,000):
//! - the guest's footprint (`Component::resources_required`);
//! - resident memory per live, idle instance (the growth of `VmRSS` in `/proc/self/status` over
//!   `--live` instances, each called once), for the guest and for the 0.1.1 guest, ours beside
//!   bare wasmtime's on the same engine, each in a fresh process of its own (so that none reuses
//!   memory another freed), and from it instances per GiB;
//! - the time of 200 instantiations (each dropped at once) with 1, 1,000 and `--live` instances
//!   alive beside them;
//! - one instance past the pool: the typed error it gets;
//! - `just-add` calls per second on 1 thread and on every core, one instance per thread;
//! - hot reload: from replacing a watched plugin file to the first call answered by the new
//!   version, with the compilation cache warm (the usual redeploy of a known build) and cold.
//!
//! Every live instance maps about ten regions (its memory slot, copy-on-write image, tables),
//! so 10,000 of them need more than the kernel's default `vm.max_map_count` (65,530): the
//! benchmark says so before it starts.
//!
//! Wall time on a shared VM is noisy: run it on an idle machine, and read BENCHMARKS.md for
//! the spread between runs.

use std::hint::black_box;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use example_host::{ContractPlugin, ExampleHost};
use plugin_artifacts::{COMPONENT_GUEST, GUEST_0_1_1, LEGACY_GUEST, resident_bytes};
use plugin_benches::BareComponent;
use plugin_host::wasmtime::Engine;
use plugin_host::watch::{Event, PluginDirectory};
use plugin_host::{Allocator, CompilationCache, ErrorKind, HostConfig};
use wasmtime_wasi::runtime::in_tokio;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let mut live = 10_000;
    let mut footprint_of = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--live", Some(n)) => live = n.parse()?,
            // The child process of `footprint`: `--footprint ours|bare GUEST`.
            ("--footprint", Some(subject)) => {
                footprint_of = Some((subject, args.next().ok_or("--footprint: no guest")?));
            }
            _ => return Err("usage: bench-density [--live N]".into()),
        }
    }
    check_map_count(live)?;
    if let Some((subject, guest)) = footprint_of {
        println!("{}", footprint_here(&subject, &guest, live)?);
        return Ok(());
    }
    let host = pooled_host(live)?;
    let plugin = host.load_component(COMPONENT_GUEST)?;
    let component = host.host().load(COMPONENT_GUEST)?;
    println!("guest: {COMPONENT_GUEST}");
    if let Some(needs) = component.as_component()?.resources_required() {
        println!(
            "  {} memories (initial {:?} pages of 64 KiB), {} tables (initial {:?} elements)",
            needs.num_memories,
            needs.max_initial_memory_size,
            needs.num_tables,
            needs.max_initial_table_size,
        );
    }

    let mut instances = Vec::with_capacity(live as usize);
    let mut timings = Vec::new();
    for target in [1, 1000.min(live - 1), live - 1] {
        while instances.len() < target as usize {
            let mut instance = plugin.instantiate()?;
            instance.just_add(1, 2)?;
            instances.push(instance);
        }
        timings.push((instances.len(), instantiate_time(&plugin)?));
    }
    while instances.len() < live as usize {
        let mut instance = plugin.instantiate()?;
        instance.just_add(1, 2)?;
        instances.push(instance);
    }
    println!("instantiate (mean of 200, each dropped at once):");
    for (alive, time) in timings {
        println!(
            "  with {alive:>6} alive: {:.1} µs",
            time.as_secs_f64() * 1e6
        );
    }
    match plugin.instantiate() {
        Err(error) if matches!(error.kind(), ErrorKind::Instantiate(_)) => {
            println!("one past the pool: {error} ({:?})", error.failure());
        }
        Err(other) => return Err(format!("past the pool: unexpected {other}").into()),
        Ok(_) => return Err(format!("instance {} fit in a pool of {live}", live + 1).into()),
    }
    drop(instances);

    println!(
        "resident memory per live, idle instance, over {live} instances each called once \
         (a fresh process each):"
    );
    for guest in [COMPONENT_GUEST, GUEST_0_1_1] {
        let version = host.load_component(guest)?.version();
        let ours = footprint(live, "ours", guest)?;
        let bare = footprint(live, "bare", guest)?;
        #[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
        let kib = |bytes: u64| bytes as f64 / 1024.0;
        #[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
        let ratio = ours as f64 / bare.max(1) as f64;
        println!(
            "  guest {version}: ours {:.2} KiB ({} per GiB), bare wasmtime {:.2} KiB: {ratio:.3}x",
            kib(ours),
            (1_u64 << 30) / ours.max(1),
            kib(bare),
        );
    }

    let cores = thread::available_parallelism().map_or(1, usize::from);
    println!("just-add throughput, one instance per thread, 2 s each:");
    let one = throughput(&plugin, 1)?;
    println!("  1 thread: {:.2} M calls/s", one / 1e6);
    if cores > 1 {
        let all = throughput(&plugin, cores)?;
        #[allow(clippy::cast_precision_loss, reason = "a core count")]
        let per_core = all / one / cores as f64;
        println!(
            "  {cores} threads: {:.2} M calls/s = {per_core:.2}x linear per core",
            all / 1e6
        );
    }
    println!("hot reload, file replaced -> first call on the new version (mean of 20):");
    for cache in [true, false] {
        let (total, load) = reload_time(cache)?;
        println!(
            "  compilation cache {}: {:.1} ms, of which loading {:.1} ms",
            if cache { "warm" } else { "off " },
            total.as_secs_f64() * 1e3,
            load.as_secs_f64() * 1e3,
        );
    }
    Ok(())
}

/// A host whose pool holds `live` instances.
fn pooled_host(live: u32) -> Result<ExampleHost> {
    let host = ExampleHost::with_config(HostConfig {
        pool_instances: live,
        ..HostConfig::default()
    })?;
    if host.host().allocator() != Allocator::Pooling {
        return Err(format!("no pooling allocator for {live} instances").into());
    }
    Ok(host)
}

/// Refuses to start if the kernel's cap on memory mappings cannot hold `live` instances
/// ([`HostConfig::live_instances_within_mapping_cap`]): instantiation would fail part of the
/// way with "Cannot allocate memory".
fn check_map_count(live: u32) -> Result<()> {
    match HostConfig::live_instances_within_mapping_cap() {
        Some(fit) if fit < u64::from(live) => Err(format!(
            "the kernel's cap on memory mappings (vm.max_map_count) lets about {fit} instances \
             be alive, not {live}: raise it (as root: sysctl -w vm.max_map_count=262144) or \
             pass a smaller --live"
        )
        .into()),
        _ => Ok(()),
    }
}

/// The resident bytes per live, idle instance of `guest` for `subject` (`ours` or `bare`),
/// measured by this program in a fresh process ([`footprint_here`]).
fn footprint(live: u32, subject: &str, guest: &str) -> Result<u64> {
    let output = Command::new(std::env::current_exe()?)
        .args(["--live", &live.to_string(), "--footprint", subject, guest])
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "measuring {subject} on {guest}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8(output.stdout)?.trim().parse()?)
}

/// The growth of resident memory per instance over `live` instances of `guest`, each called
/// once (`just-add`) and kept alive: through the host (`ours`), or on bare wasmtime with the
/// host's engine for that guest, its imports traps (`bare`).
fn footprint_here(subject: &str, guest: &str, live: u32) -> Result<u64> {
    let host = pooled_host(live)?;
    let before;
    let after;
    match subject {
        "ours" => {
            let plugin = host.load_component(guest)?;
            before = resident_bytes()?;
            let mut instances = Vec::with_capacity(live as usize);
            for _ in 0..live {
                let mut instance = plugin.instantiate()?;
                instance.just_add(1, 2)?;
                instances.push(instance);
            }
            after = resident_bytes()?;
        }
        "bare" => {
            let compiled = host.host().load(guest)?;
            let component = compiled.as_component()?;
            let engine = component.engine();
            let concurrent = !Engine::same(engine, host.host().engine());
            let artifact =
                std::env::temp_dir().join(format!("bench-density-{}.cwasm", std::process::id()));
            std::fs::write(&artifact, component.serialize()?)?;
            let bare = BareComponent::load_precompiled(engine, &artifact, concurrent);
            std::fs::remove_file(&artifact)?;
            let bare = bare?;
            before = resident_bytes()?;
            let mut instances = Vec::with_capacity(live as usize);
            for _ in 0..live {
                let (mut store, instance) = bare.instantiate()?;
                let just_add =
                    instance.get_typed_func::<(u64, u64), (u64,)>(&mut store, "just-add")?;
                if concurrent {
                    in_tokio(store.run_concurrent(async |accessor| {
                        just_add.call_concurrent(accessor, (1, 2)).await
                    }))??;
                } else {
                    just_add.call(&mut store, (1, 2))?;
                }
                instances.push((store, instance));
            }
            after = resident_bytes()?;
        }
        other => return Err(format!("--footprint {other}: ours or bare").into()),
    }
    Ok((after - before) / u64::from(live))
}

/// The mean time from renaming a new version over a watched plugin to the first call its
/// new version answers, and the part of it spent loading, over 20 reloads alternating the
/// 0.1.0 and 0.1.1 guests.
fn reload_time(cache: bool) -> Result<(Duration, Duration)> {
    const RELOADS: u32 = 20;
    let dir = std::env::temp_dir().join(format!("bench-reload-{}-{cache}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(LEGACY_GUEST, dir.join("p.wasm"))?;
    let host = std::sync::Arc::new(ExampleHost::with_config(HostConfig {
        cache: if cache {
            CompilationCache::Directory(dir.join("cache"))
        } else {
            CompilationCache::Off
        },
        ..HostConfig::default()
    })?);
    // The contract version each guest serves, asked of the host rather than written here: the
    // guests move to new versions as the contract grows.
    let version = |guest| host.load_component(guest).map(|plugin| plugin.version());
    let guests = [
        (COMPONENT_GUEST, version(COMPONENT_GUEST)?),
        (LEGACY_GUEST, version(LEGACY_GUEST)?),
    ];
    if guests[0].1 == guests[1].1 {
        return Err(format!("both guests serve {}: no reload to see", guests[0].1).into());
    }
    let loader = host.clone();
    let plugins = PluginDirectory::watch(&dir, move |path| loader.load_component(path))?;
    let wait = Duration::from_secs(30);
    plugins.next_event(wait).ok_or("no first load")?;
    let (mut total, mut loading) = (Duration::ZERO, Duration::ZERO);
    // With the cache on, reload each version once untimed so that every timed one is a hit.
    let warmups = if cache { 2 } else { 0 };
    for reload in 0..RELOADS + warmups {
        let (source, version) = guests[reload as usize % 2];
        std::fs::copy(source, dir.join("p.part"))?;
        let start = Instant::now();
        std::fs::rename(dir.join("p.part"), dir.join("p.wasm"))?;
        let took = loop {
            let current = plugins.get("p.wasm").ok_or("unloaded")?;
            if current.version() == version {
                let mut instance = current.instantiate()?;
                instance.just_add(1, 2)?;
                break start.elapsed();
            }
            if start.elapsed() > wait {
                return Err(format!("{source} (version {version}) never replaced p.wasm").into());
            }
            thread::sleep(Duration::from_micros(200));
        };
        let load = match plugins.next_event(wait) {
            Some(Event::Reloaded { took, .. }) => took,
            other => return Err(format!("expected a reload, got {other:?}").into()),
        };
        if reload >= warmups {
            total += took;
            loading += load;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok((total / RELOADS, loading / RELOADS))
}

/// The mean time of 200 instantiations, each dropped at once.
fn instantiate_time(plugin: &ContractPlugin) -> Result<Duration> {
    const RUNS: u32 = 200;
    let start = Instant::now();
    for _ in 0..RUNS {
        drop(black_box(plugin.instantiate()?));
    }
    Ok(start.elapsed() / RUNS)
}

/// `just-add` calls per second over 2 s on `threads` threads, one instance each.
fn throughput(plugin: &ContractPlugin, threads: usize) -> Result<f64> {
    const TIME: Duration = Duration::from_secs(2);
    let mut instances = (0..threads)
        .map(|_| plugin.instantiate())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let calls: u64 = thread::scope(|scope| {
        let workers: Vec<_> = instances
            .iter_mut()
            .map(|instance| {
                scope.spawn(move || {
                    let start = Instant::now();
                    let mut calls = 0_u64;
                    while start.elapsed() < TIME {
                        for _ in 0..1000 {
                            black_box(instance.just_add(black_box(15), black_box(27)).unwrap());
                        }
                        calls += 1000;
                    }
                    calls
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
    });
    #[allow(clippy::cast_precision_loss, reason = "call counts are far below 2^52")]
    Ok(calls as f64 / TIME.as_secs_f64())
}
