//! What a plugin may use: time, fuel, memory, tables, stack, data and output.
//!
//! wasmtime has a mechanism for each limit but turns most of them off by default. A
//! [`PluginHost`](crate::PluginHost) turns them all on with the defaults of [`Limits::default`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Config, ResourceLimiter};

use crate::telemetry::MemoryMark;

/// The resource limits every store of a [`PluginHost`](crate::PluginHost) runs under.
///
/// The defaults suit small plugins that answer quickly; raise them for heavy ones. Set them with
/// [`PluginHost::with_limits`](crate::PluginHost::with_limits) or
/// [`HostConfig`](crate::HostConfig), and narrow them per plugin with a
/// [`Manifest`](crate::Manifest).
///
/// Time and fuel are per call (set again before each export is called, and before
/// instantiation). Memory and table sizes are per memory and per table; counts are per store
/// (one instance). Exceeding any
/// limit fails the call with an [`Error`](crate::Error) whose [`Failure`](crate::Failure) says
/// which limit it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time one call (or one instantiation) may take. Default 1 s.
    ///
    /// Enforced with wasmtime's epoch interruption: a ticker thread advances the engine's epoch
    /// every [`Limits::EPOCH_TICK`], so the call traps between `deadline` and
    /// `deadline + EPOCH_TICK` after it starts (plus scheduling delay).
    pub deadline: Duration,
    /// Fuel (roughly, wasm instructions) one call may burn, or `None` for no fuel metering.
    /// Default `None`: metering costs some speed on every call, and the deadline already
    /// bounds time. Set it for deterministic limits.
    pub fuel: Option<u64>,
    /// Bytes one linear memory may grow to (a component has a few memories, each held to
    /// this). Default 64 MiB.
    pub memory_bytes: usize,
    /// Elements one table may hold. Default 10,000.
    pub table_elements: usize,
    /// Core instances one store may hold. A Rust component built for `wasm32-wasip2` has
    /// about five (its module, the WASI adapter and shims). Default 32.
    pub instances: usize,
    /// Linear memories one store may hold. Default 8.
    pub memories: usize,
    /// Tables one store may hold. Default 8.
    pub tables: usize,
    /// Bytes of wasm stack a call may use (`Config::max_wasm_stack`). Default 512 KiB,
    /// wasmtime's own default, made explicit.
    pub max_wasm_stack: usize,
    /// Bytes of strings and lists the host may lift from a component guest in one call into
    /// the host, or in the results of one export (`Store::set_hostcall_fuel`). Default 1 MiB;
    /// wasmtime's default is 128 MiB.
    pub lifted_bytes: usize,
    /// Bytes of stdout, and separately of stderr, kept per instance. Later output is dropped
    /// (and counted); writing never fails the guest. Default 64 KiB.
    pub output_bytes: usize,
    /// Component-model handles one store may hold at once
    /// (`Store::set_max_component_handles`): resource handles, and with component-model async
    /// the subtasks, streams, futures and waitable sets a guest makes. Making one more traps.
    /// Default 10,000; wasmtime's default is 100,000.
    pub component_handles: usize,
}

impl Limits {
    /// How often the ticker thread advances the engine's epoch: the resolution of
    /// [`Limits::deadline`].
    pub const EPOCH_TICK: Duration = Duration::from_millis(10);

    /// The epoch deadline, in ticks beyond the current epoch, for one call: enough whole ticks
    /// to cover the deadline, plus one because the current tick may be about to end. Capped at
    /// `u64::MAX / 2` (millions of years), as wasmtime adds it to the current epoch unchecked.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        const CAP: u64 = u64::MAX / 2;
        let ticks = self
            .deadline
            .as_nanos()
            .div_ceil(Self::EPOCH_TICK.as_nanos())
            + 1;
        u64::try_from(ticks).map_or(CAP, |ticks| ticks.min(CAP))
    }

    /// Turns on, in `config`, the engine-wide mechanisms these limits need: epoch
    /// interruption, the wasm stack size, and fuel metering when [`Limits::fuel`] is set.
    pub(crate) fn configure(&self, config: &mut Config) {
        config
            .epoch_interruption(true)
            .consume_fuel(self.fuel.is_some())
            .max_wasm_stack(self.max_wasm_stack);
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(1),
            fuel: None,
            memory_bytes: 64 << 20,
            table_elements: 10_000,
            instances: 32,
            memories: 8,
            tables: 8,
            max_wasm_stack: 512 << 10,
            lifted_bytes: 1 << 20,
            output_bytes: 64 << 10,
            component_handles: 10_000,
        }
    }
}

/// Which limit a plugin ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::memory_bytes`].
    Memory,
    /// [`Limits::table_elements`].
    TableElements,
    /// [`Limits::instances`].
    Instances,
    /// [`Limits::memories`].
    Memories,
    /// [`Limits::tables`].
    Tables,
    /// [`Limits::lifted_bytes`].
    LiftedBytes,
    /// [`Limits::component_handles`].
    ComponentHandles,
    /// [`HostConfig::pool_instances`](crate::HostConfig::pool_instances): the pooling
    /// allocator has no free slot (of instances, memories or tables) for another instance.
    Pool,
}

impl Limit {
    /// A short snake-case name of the limit, for metric labels: `memory_limit`,
    /// `table_element_limit`, `instance_limit`, `memory_count_limit`, `table_count_limit`,
    /// `lifted_bytes_limit`, `component_handle_limit`, `pool_limit`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Memory => "memory_limit",
            Self::TableElements => "table_element_limit",
            Self::Instances => "instance_limit",
            Self::Memories => "memory_count_limit",
            Self::Tables => "table_count_limit",
            Self::LiftedBytes => "lifted_bytes_limit",
            Self::ComponentHandles => "component_handle_limit",
            Self::Pool => "pool_limit",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Memory => "the linear-memory limit",
            Self::TableElements => "the table-element limit",
            Self::Instances => "the instance-count limit",
            Self::Memories => "the memory-count limit",
            Self::Tables => "the table-count limit",
            Self::LiftedBytes => "the limit on data lifted from the guest",
            Self::ComponentHandles => "the component-handle limit",
            Self::Pool => "the host's limit on live instances (its pool is full)",
        })
    }
}

/// The store's [`ResourceLimiter`]: enforces the memory, table and count limits and remembers
/// the last growth it refused, so that the failure that follows can be named.
///
/// A refused `memory.grow` or `table.grow` returns -1 to the guest, as the WebAssembly spec
/// says; a guest that copes carries on. A guest that then traps (a Rust guest aborts when its
/// allocator fails) is reported as having hit the limit, not as a bare trap.
#[derive(Debug)]
pub struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    instances: usize,
    memories: usize,
    tables: usize,
    refused: Option<Limit>,
    /// Raised as memories grow, when the plugin records metrics.
    memory_mark: Option<Arc<MemoryMark>>,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            instances: limits.instances,
            memories: limits.memories,
            tables: limits.tables,
            refused: None,
            memory_mark: None,
        }
    }

    /// The limit refused since the last call of this method, if any.
    pub(crate) fn take_refused(&mut self) -> Option<Limit> {
        self.refused.take()
    }

    /// Raises `mark` with every growth allowed from now on.
    pub(crate) fn watch_memory(&mut self, mark: Option<Arc<MemoryMark>>) {
        self.memory_mark = mark;
    }

    fn allow(&mut self, limit: Limit, desired: usize, maximum: usize) -> bool {
        let allowed = desired <= maximum;
        if !allowed {
            tracing::debug!(%limit, desired, maximum, "refused to grow");
            self.refused = Some(limit);
        }
        allowed
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.allow(Limit::Memory, desired, self.memory_bytes);
        if let (true, Some(mark)) = (allowed, &self.memory_mark) {
            mark.reached(desired as u64);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.allow(Limit::TableElements, desired, self.table_elements))
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_covers_whole_ticks_plus_the_current_one() {
        let ticks = |ms| {
            Limits {
                deadline: Duration::from_millis(ms),
                ..Limits::default()
            }
            .deadline_ticks()
        };
        assert_eq!(ticks(0), 1);
        assert_eq!(ticks(10), 2);
        assert_eq!(ticks(11), 3);
        assert_eq!(ticks(1000), 101);
    }

    #[test]
    fn a_huge_deadline_is_capped() {
        let limits = Limits {
            deadline: Duration::MAX,
            ..Limits::default()
        };
        assert_eq!(limits.deadline_ticks(), u64::MAX / 2);
    }

    #[test]
    fn growth_up_to_the_limit_is_allowed_and_beyond_it_is_refused_and_remembered() {
        let mut limiter = Limiter::new(&Limits {
            memory_bytes: 1 << 20,
            ..Limits::default()
        });
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(limiter.take_refused(), None);
        assert!(
            !limiter
                .memory_growing(1 << 20, (1 << 20) + 65536, None)
                .unwrap()
        );
        assert_eq!(limiter.take_refused(), Some(Limit::Memory));
        assert_eq!(limiter.take_refused(), None);
    }
}
