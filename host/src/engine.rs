//! The wasmtime `Engine` configuration the host uses, and its epoch ticker.
//!
//! Each setting, and what it is worth, is measured in `BENCHMARKS.md`.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use crate::deadline::Clock;

use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, WasmBacktraceDetails,
};

use crate::{Grants, Limits};

/// Everything a [`PluginHost`](crate::PluginHost) is built from. `HostConfig::default()` is
/// what [`PluginHost::new`](crate::PluginHost::new) uses: default limits, the pooling
/// allocator for [`HostConfig::DEFAULT_POOL_INSTANCES`] live instances, no compilation cache,
/// no grants.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// The limits every store runs under.
    pub limits: Limits,
    /// How instances get their memory and tables.
    pub allocator: Allocator,
    /// How many plugin instances may be alive at once with [`Allocator::Pooling`] (ignored
    /// on demand). Address space for them is reserved when the host is made: per instance one
    /// linear memory slot of 4 GiB plus guard (wasmtime's default reservation, which lets
    /// compiled code skip bounds checks), [`HostConfig::CORE_INSTANCES_PER_PLUGIN`] core
    /// instance slots, [`HostConfig::TABLES_PER_PLUGIN`] table slots, and one execution stack
    /// (2 MiB, wasmtime's default) for an async call ([`Async`](crate::Async)), which each
    /// instance makes one at a time. Only what an instance touches becomes resident (see
    /// `BENCHMARKS.md`, "Density").
    ///
    /// A plugin whose component has more memories, core instances or tables than that takes
    /// more than one instance's share. Instantiating past the pool fails with
    /// [`Failure::Limit`](crate::Failure::Limit)`(`[`Limit::Pool`](crate::Limit::Pool)`)`
    /// until an instance is dropped; nothing else is affected.
    ///
    /// Each instance the pool has handed out maps about
    /// [`HostConfig::MAPPINGS_PER_INSTANCE`] regions, and Linux caps the regions of a process
    /// (`vm.max_map_count`, 65,530 by default): past it, instantiating fails with
    /// [`Failure::Host`](crate::Failure::Host) ("Cannot allocate memory"). Making a host whose
    /// full pools would pass the cap logs a `tracing` warning saying how far they can fill.
    pub pool_instances: u32,
    /// Where compiled plugins are cached between runs, if anywhere.
    pub cache: CompilationCache,
    /// The WASI capabilities every plugin is granted; none by default.
    pub grants: Grants,
    /// Whether plugins record the metrics of [`crate::telemetry`] through the `metrics`
    /// facade, to the recorder installed when each plugin is made (install it first). Off by
    /// default: calls then read no clock and touch no metric.
    pub metrics: bool,
    /// Whether the host also serves plugins that use the component model's async ABI, WASI
    /// 0.3: `async func` imports and exports, `stream<T>` and `future<T>` values, WASI 0.3's
    /// interfaces. Off by default.
    ///
    /// Such plugins get an engine of their own, with wasmtime's
    /// `Config::wasm_component_model_async` and `Config::concurrency_support`: the latter
    /// makes every call into a plugin of that engine dearer, blocking calls included (2.6
    /// times the instructions of a call that does no work; BENCHMARKS.md, "Component-model
    /// async"), so every other plugin stays on the host's first engine and keeps its cost.
    /// [`PluginHost::load`](crate::PluginHost::load) tells the two apart by asking the first
    /// engine: a component it refuses and the second accepts is compiled by the second. The
    /// second engine has its own pool of [`HostConfig::pool_instances`] instances.
    ///
    /// A plugin whose imports include an `async func` needs async entry points (wasmtime's
    /// `*_async` and `*_concurrent` functions): in a [`Blocking`](crate::Blocking) host the
    /// library runs its instantiation and [`Instance::call_concurrent`](crate::Instance::call_concurrent)
    /// to completion on the calling thread, on wasmtime-wasi's ambient tokio runtime.
    pub component_model_async: bool,
}

impl HostConfig {
    /// The default of [`HostConfig::pool_instances`]: wasmtime's own default pool size.
    pub const DEFAULT_POOL_INSTANCES: u32 = 1000;

    /// Core instance slots reserved per plugin instance in the pool. A Rust component built
    /// for `wasm32-wasip2` instantiates a few core modules (its code and the shims that tie
    /// lowered imports to its table); components made with the WASI preview 1 adapter, more.
    pub const CORE_INSTANCES_PER_PLUGIN: u32 = 8;

    /// Table slots reserved per plugin instance in the pool.
    pub const TABLES_PER_PLUGIN: u32 = 2;

    /// Memory mappings (kernel VMAs) one live pooled instance of a Rust guest takes, about:
    /// its linear memory's accessible part and copy-on-write image, and its tables, each cut
    /// out of the pool's reservation. Counted with `strace -e mmap,mprotect` (`BENCHMARKS.md`,
    /// "Density"); a guest with more memories or tables takes more.
    pub const MAPPINGS_PER_INSTANCE: u32 = 10;

    /// About how many pooled instances can be alive at once under the kernel's cap on a
    /// process's memory mappings (Linux's `/proc/sys/vm/max_map_count`, 65,530 by default):
    /// [`HostConfig::MAPPINGS_PER_INSTANCE`] each, with an eighth of the cap (at least 1,000)
    /// kept for everything else the process maps. 5,733 under the default cap. `None` where
    /// the cap cannot be read (not Linux).
    pub fn live_instances_within_mapping_cap() -> Option<u64> {
        let cap = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
        Some(instances_within(cap.trim().parse().ok()?))
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            allocator: Allocator::default(),
            pool_instances: Self::DEFAULT_POOL_INSTANCES,
            cache: CompilationCache::default(),
            grants: Grants::default(),
            metrics: false,
            component_model_async: false,
        }
    }
}

/// How the engine allocates instances, memories and tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Allocator {
    /// wasmtime's pooling allocator: address space for [`HostConfig::pool_instances`] instances is
    /// reserved up front, and instantiating takes a slot instead of calling `mmap`; what it saves
    /// grows with the size of a guest's memories and tables (measured in `BENCHMARKS.md`). If the
    /// reservation fails (a machine with little address space, a `ulimit -v`), the host falls back
    /// to [`Allocator::OnDemand`] and logs a warning.
    #[default]
    Pooling,
    /// Memory is mapped when an instance is created and unmapped when it is dropped.
    OnDemand,
}

/// The compilation cache: a compiled plugin is stored on disk as a checked precompiled artifact
/// ([`crate::precompiled`]), keyed by the BLAKE3 hash of its bytes, under a folder named by the
/// engine's fingerprint; loading the same bytes again deserializes it instead of compiling.
/// An entry that is damaged (truncated, bit-flipped), another engine's or of another kind is
/// never run: it is reported once (a `tracing` warning), and the plugin compiles from its
/// bytes and replaces it. A folder that cannot be read or written, or a full disk, is reported
/// once and plugins compile on every load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CompilationCache {
    /// Compile every time.
    #[default]
    Off,
    /// `$XDG_CACHE_HOME/plugin-host`, or `$HOME/.cache/plugin-host`; off if neither variable
    /// is set.
    DefaultDirectory,
    /// This directory.
    Directory(PathBuf),
}

impl CompilationCache {
    /// The folder the cache lives in, if it is on.
    pub fn root(&self) -> Option<PathBuf> {
        match self {
            Self::Off => None,
            Self::DefaultDirectory => std::env::var_os("XDG_CACHE_HOME")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
                .map(|dir| dir.join("plugin-host")),
            Self::Directory(dir) => Some(dir.clone()),
        }
    }
}

/// Builds an engine the plugins of a [`crate::PluginHost`] are compiled and run with, and
/// returns it with the allocator it ended up with; [`start_epoch_ticker`] starts its ticker.
///
/// Settings (each measured in `BENCHMARKS.md`):
/// - the component model on; its async ABI and `concurrency_support` only in the engine for
///   plugins that need them (`concurrent`, [`HostConfig::component_model_async`]): without
///   them a store skips the concurrent-call state, which makes every component call cheaper
///   (`BENCHMARKS.md`, "What the tuning changed", "Component-model async");
/// - backtrace details on (`WasmBacktraceDetails::Enable`): a trap's backtrace
///   ([`Error::wasm_backtrace`](crate::Error::wasm_backtrace)) gives the file and line of each
///   frame of a plugin built with DWARF debug info;
/// - the engine-wide parts of `limits` (epoch interruption, stack size, fuel if set);
/// - the pooling allocator (or on-demand, see [`Allocator`]), with copy-on-write memory
///   initialisation (wasmtime's default, made explicit): a fresh instance maps its data
///   segments instead of copying them.
pub(crate) fn new_engine(
    config: &HostConfig,
    concurrent: bool,
) -> wasmtime::Result<(Engine, Allocator)> {
    let mut wasmtime_config = Config::new();
    wasmtime_config
        .wasm_component_model(true)
        .wasm_component_model_async(concurrent)
        .concurrency_support(concurrent)
        .wasm_backtrace_details(WasmBacktraceDetails::Enable)
        .memory_init_cow(true);
    config.limits.configure(&mut wasmtime_config);
    let engine = match config.allocator {
        Allocator::Pooling => {
            wasmtime_config.allocation_strategy(pooling(config));
            match Engine::new(&wasmtime_config) {
                Ok(engine) => (engine, Allocator::Pooling),
                Err(error) => {
                    tracing::warn!(%error, "no pooling allocator; allocating on demand");
                    wasmtime_config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                    (Engine::new(&wasmtime_config)?, Allocator::OnDemand)
                }
            }
        }
        Allocator::OnDemand => {
            wasmtime_config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            (Engine::new(&wasmtime_config)?, Allocator::OnDemand)
        }
    };
    Ok(engine)
}

/// Logs a `tracing` warning if `pools` pools of [`HostConfig::pool_instances`] instances each
/// (one per engine) cannot all be filled under the kernel's cap on a process's memory mappings
/// ([`HostConfig::live_instances_within_mapping_cap`]), saying about where instantiation will
/// start failing.
pub(crate) fn warn_if_mappings_short(pool_instances: u32, pools: usize) {
    let wanted = u64::from(pool_instances).saturating_mul(pools as u64);
    match HostConfig::live_instances_within_mapping_cap() {
        Some(fit) if fit < wanted => tracing::warn!(
            pool_instances,
            pools,
            "the pools hold {wanted} instances, but the kernel's cap on memory mappings lets about \
             {fit} be alive at once; past that, instantiating fails with \"Cannot allocate \
             memory\": raise vm.max_map_count (sysctl), or lower HostConfig::pool_instances"
        ),
        _ => {}
    }
}

/// How many live pooled instances `cap` memory mappings hold: the process keeps an eighth of
/// them (at least 1,000) for everything else it maps.
fn instances_within(cap: u64) -> u64 {
    let spare = (cap / 8).max(1_000);
    cap.saturating_sub(spare) / u64::from(HostConfig::MAPPINGS_PER_INSTANCE)
}

/// The pooling allocator's configuration: room for [`HostConfig::pool_instances`] plugin
/// instances, and per-module maxima no tighter than the limits (so that a module over a limit
/// fails at instantiation with the typed [`crate::Failure::Limit`], as with on-demand
/// allocation, rather than at load). The limits themselves are the store's limiter's to
/// enforce.
fn pooling(config: &HostConfig) -> InstanceAllocationStrategy {
    const POOL_MEMORIES_PER_MODULE: usize = 8;
    const POOL_TABLES_PER_MODULE: usize = 8;
    const POOL_TABLE_ELEMENTS: usize = 20_000;
    // A dropped instance's tables are zeroed in place up to this many bytes instead of being
    // returned to the kernel with `madvise`: two fewer system calls (and TLB shootdowns) per
    // instantiation (BENCHMARKS.md, "Density"). Keeping linear memory resident the same way
    // made instantiation slower: a guest's whole memory is zeroed.
    const TABLE_KEEP_RESIDENT: usize = 64 << 10;
    let limits = &config.limits;
    let count = |limit: usize, floor: usize| u32::try_from(limit.max(floor)).unwrap_or(u32::MAX);
    let plugins = config.pool_instances.max(1);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(plugins)
        .total_core_instances(plugins.saturating_mul(HostConfig::CORE_INSTANCES_PER_PLUGIN))
        .total_memories(plugins)
        .total_tables(plugins.saturating_mul(HostConfig::TABLES_PER_PLUGIN))
        .total_stacks(plugins)
        .max_memories_per_module(count(limits.memories, POOL_MEMORIES_PER_MODULE))
        .max_tables_per_module(count(limits.tables, POOL_TABLES_PER_MODULE))
        .table_elements(limits.table_elements.max(POOL_TABLE_ELEMENTS))
        .table_keep_resident(TABLE_KEEP_RESIDENT);
    InstanceAllocationStrategy::Pooling(pool)
}

/// Starts a thread that advances the epoch of each of `engines` every
/// [`Limits::EPOCH_TICK`], which is what makes a running call notice its deadline, and ticks
/// `clock`, which wakes a concurrent call waiting past its deadline. The thread holds only
/// weak references to the engines and ends once every engine is gone (the host, and every
/// plugin and instance made from it).
pub(crate) fn start_epoch_ticker(engines: &[&Engine], clock: Arc<Clock>) -> wasmtime::Result<()> {
    let engines: Vec<_> = engines.iter().map(|engine| engine.weak()).collect();
    thread::Builder::new()
        .name("plugin-host-epoch".into())
        .spawn(move || {
            loop {
                thread::sleep(Limits::EPOCH_TICK);
                let mut alive = false;
                for engine in engines.iter().filter_map(|engine| engine.upgrade()) {
                    engine.increment_epoch();
                    alive = true;
                }
                if !alive {
                    break;
                }
                clock.tick();
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pools_fit_under_the_default_cap_and_ten_thousand_instances_do_not() {
        const DEFAULT_CAP: u64 = 65_530;
        let default_pools = 2 * u64::from(HostConfig::DEFAULT_POOL_INSTANCES);
        assert!(instances_within(DEFAULT_CAP) >= default_pools);
        // `just bench-density` fails at about 6,360 live instances under this cap.
        let fit = instances_within(DEFAULT_CAP);
        assert!(fit < 10_000, "10,000 fit");
        assert!((5_000..6_360).contains(&fit), "{fit}");
        assert!(instances_within(262_144) >= 10_000);
        assert_eq!(instances_within(0), 0);
    }
}
