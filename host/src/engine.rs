//! The wasmtime `Engine` configuration the host uses, and its epoch ticker.
//!
//! Each setting, and what it is worth, is measured in `BENCHMARKS.md` (`just bench`).

use std::path::PathBuf;
use std::thread;

use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
};

use crate::{Grants, Limits};

/// Everything a [`PluginHost`](crate::PluginHost) is built from. `HostConfig::default()` is
/// what [`PluginHost::new`](crate::PluginHost::new) uses: default limits, the pooling
/// allocator, no compilation cache, no grants.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    /// The limits every store runs under.
    pub limits: Limits,
    /// How instances get their memory and tables.
    pub allocator: Allocator,
    /// Where compiled plugins are cached between runs, if anywhere.
    pub cache: CompilationCache,
    /// The WASI capabilities every plugin is granted; none by default.
    pub grants: Grants,
}

/// How the engine allocates instances, memories and tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Allocator {
    /// wasmtime's pooling allocator: address space for [`Allocator::POOL_SIZE`] instances is
    /// reserved up front, and instantiating takes a slot instead of calling `mmap`. For the
    /// project's guest the gain was within run-to-run noise on the benchmark machine (see
    /// `BENCHMARKS.md`); it grows with the size of a guest's memories and tables. If the
    /// reservation fails (a machine with little address space, a `ulimit -v`), the host falls
    /// back to [`Allocator::OnDemand`] and logs a warning.
    #[default]
    Pooling,
    /// Memory is mapped when an instance is created and unmapped when it is dropped.
    OnDemand,
}

impl Allocator {
    /// How many core instances, component instances, memories and tables may be alive at once
    /// with the pooling allocator (wasmtime's default). Beyond that, instantiation fails until
    /// an instance is dropped.
    pub const POOL_SIZE: u32 = 1000;
}

/// wasmtime's compilation cache: a compiled plugin is stored on disk, keyed by its bytes and
/// the engine's configuration, so loading it again skips compilation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CompilationCache {
    /// Compile every time.
    #[default]
    Off,
    /// wasmtime's default directory (on Linux `~/.cache/wasmtime`).
    DefaultDirectory,
    /// This directory.
    Directory(PathBuf),
}

/// Builds the engine every plugin of a [`crate::PluginHost`] is compiled and run with, starts
/// its epoch ticker, and returns it with the allocator it ended up with.
///
/// Settings (each measured in `BENCHMARKS.md`):
/// - the component model on; `concurrency_support(false)`: the host makes no concurrent
///   (component-model-async) calls, and without it a store skips the concurrent-call state
///   (11-23% off a component call in `BENCHMARKS.md`; less than elsewhere because wasmtime's
///   `component-model-async` feature is not compiled in at all);
/// - the engine-wide parts of `limits` (epoch interruption, stack size, fuel if set);
/// - the pooling allocator (or on-demand, see [`Allocator`]), with copy-on-write memory
///   initialisation (wasmtime's default, made explicit): a fresh instance maps its data
///   segments instead of copying them;
/// - the compilation cache, if asked for.
pub(crate) fn new_engine(config: &HostConfig) -> wasmtime::Result<(Engine, Allocator)> {
    let mut wasmtime_config = Config::new();
    wasmtime_config
        .wasm_component_model(true)
        .concurrency_support(false)
        .memory_init_cow(true);
    config.limits.configure(&mut wasmtime_config);
    if let Some(cache) = cache(&config.cache)? {
        wasmtime_config.cache(Some(cache));
    }
    let engine = match config.allocator {
        Allocator::Pooling => {
            wasmtime_config.allocation_strategy(pooling(&config.limits));
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
    start_epoch_ticker(&engine.0)?;
    Ok(engine)
}

/// The pooling allocator's configuration: [`Allocator::POOL_SIZE`] of everything, and
/// per-module maxima no tighter than `limits` (so that a module over a limit fails at
/// instantiation with the typed [`crate::Failure::Limit`], as with on-demand allocation,
/// rather than at load). The limits themselves are the store's limiter's to enforce.
fn pooling(limits: &Limits) -> InstanceAllocationStrategy {
    const POOL_MEMORIES_PER_MODULE: usize = 8;
    const POOL_TABLES_PER_MODULE: usize = 8;
    const POOL_TABLE_ELEMENTS: usize = 20_000;
    let count = |limit: usize, floor: usize| u32::try_from(limit.max(floor)).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(Allocator::POOL_SIZE)
        .total_core_instances(Allocator::POOL_SIZE)
        .total_memories(Allocator::POOL_SIZE)
        .total_tables(Allocator::POOL_SIZE)
        .max_memories_per_module(count(limits.memories, POOL_MEMORIES_PER_MODULE))
        .max_tables_per_module(count(limits.tables, POOL_TABLES_PER_MODULE))
        .table_elements(limits.table_elements.max(POOL_TABLE_ELEMENTS));
    InstanceAllocationStrategy::Pooling(pool)
}

fn cache(setting: &CompilationCache) -> wasmtime::Result<Option<Cache>> {
    let mut config = CacheConfig::new();
    match setting {
        CompilationCache::Off => return Ok(None),
        CompilationCache::DefaultDirectory => {}
        CompilationCache::Directory(directory) => {
            config.with_directory(directory);
        }
    }
    Cache::new(config).map(Some)
}

/// Starts a thread that advances `engine`'s epoch every [`Limits::EPOCH_TICK`], which is what
/// makes a running call notice its deadline. The thread holds only a weak reference and ends
/// once the engine is gone (the host, and every plugin and instance made from it).
fn start_epoch_ticker(engine: &Engine) -> wasmtime::Result<()> {
    let engine = engine.weak();
    thread::Builder::new()
        .name("plugin-host-epoch".into())
        .spawn(move || {
            loop {
                thread::sleep(Limits::EPOCH_TICK);
                match engine.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })?;
    Ok(())
}
