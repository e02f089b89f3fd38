//! What each `Store` holds: WASI state, captured output and the host's own state.

use std::sync::Arc;

use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtxBuilder, WasiCtxView, WasiView};

use crate::SharedValue;

/// How many bytes of stdout and stderr (together) one plugin instance may write before further
/// writes fail: 64 KiB, enough for diagnostics and small enough that a guest printing in a loop
/// cannot exhaust host memory.
pub const OUTPUT_CAPACITY: usize = 64 * 1024;

/// The host's side of the `host` interface for one instance: the plugin's name for diagnostics,
/// a handle to the shared value and the values the plugin logged.
pub(crate) struct HostState {
    pub(crate) plugin: Arc<str>,
    pub(crate) shared: SharedValue,
    pub(crate) logged: Vec<i32>,
}

impl HostState {
    pub(crate) fn new(plugin: Arc<str>, shared: SharedValue) -> Self {
        Self {
            plugin,
            shared,
            logged: Vec::new(),
        }
    }

    /// `host.log` (component) and `env.host_log_value` (core module).
    pub(crate) fn log(&mut self, value: i32) {
        tracing::info!(plugin = %self.plugin, value, "plugin log");
        self.logged.push(value);
    }

    /// `host.get` and `env.host_get_shared_value`.
    pub(crate) fn get(&self) -> i32 {
        self.shared.get()
    }

    /// `host.set` and `env.host_set_shared_value`.
    pub(crate) fn set(&mut self, value: i32) {
        self.shared.set(value);
    }
}

/// A WASI context that grants nothing: no preopened directories, no environment, no arguments,
/// stdin closed, every network use denied. Stdout and stderr both go to `output`.
pub(crate) fn deny_all_wasi(output: &MemoryOutputPipe) -> WasiCtxBuilder {
    let mut builder = WasiCtxBuilder::new();
    builder
        .stdout(output.clone())
        .stderr(output.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    builder
}

/// The guest's captured stdout and stderr, bounded by [`OUTPUT_CAPACITY`].
pub(crate) fn output_pipe() -> MemoryOutputPipe {
    MemoryOutputPipe::new(OUTPUT_CAPACITY)
}

/// Store state for a component instance.
pub(crate) struct ComponentState {
    pub(crate) wasi: wasmtime_wasi::WasiCtx,
    pub(crate) table: wasmtime::component::ResourceTable,
    pub(crate) host: HostState,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Store state for a core-module instance: WASI preview 1 and the host's state.
pub(crate) struct CoreState {
    pub(crate) wasi: wasmtime_wasi::p1::WasiP1Ctx,
    pub(crate) host: HostState,
}
