//! What each `Store` holds: WASI state, the limiter and the host's own state.

use std::sync::Arc;

use wasmtime_wasi::{WasiCtxView, WasiView};

use crate::limits::Limiter;
use crate::{Limits, SharedValue};

/// How many logged values one instance keeps for [`take_logged`]; later ones are dropped (they
/// still appear as `tracing` events).
///
/// [`take_logged`]: crate::component::ComponentInstance::take_logged
pub const LOG_CAPACITY: usize = 1024;

/// The host's side of the `host` interface for one instance: the plugin's name for
/// diagnostics, the shared value, and the values the plugin logged.
///
/// Changes are staged per call: [`HostState::begin_call`] opens a call, and only
/// [`HostState::commit`] makes its `set` visible in the [`SharedValue`] and keeps its logged
/// values; [`HostState::discard`] forgets both. Within a call, `get` sees the call's own `set`.
pub(crate) struct HostState {
    pub(crate) plugin: Arc<str>,
    shared: SharedValue,
    staged: Option<i32>,
    logged: Vec<i32>,
    committed_logs: usize,
}

impl HostState {
    pub(crate) fn new(plugin: Arc<str>, shared: SharedValue) -> Self {
        Self {
            plugin,
            shared,
            staged: None,
            logged: Vec::new(),
            committed_logs: 0,
        }
    }

    /// `host.log` (component) and `env.host_log_value` (core module).
    pub(crate) fn log(&mut self, value: i32) {
        tracing::info!(plugin = %self.plugin, value, "plugin log");
        if self.logged.len() < LOG_CAPACITY {
            self.logged.push(value);
        }
    }

    /// `host.get` and `env.host_get_shared_value`.
    pub(crate) fn get(&self) -> i32 {
        self.staged.unwrap_or_else(|| self.shared.get())
    }

    /// `host.set` and `env.host_set_shared_value`.
    pub(crate) fn set(&mut self, value: i32) {
        self.staged = Some(value);
    }

    /// Starts staging a call's changes.
    pub(crate) fn begin_call(&mut self) {
        self.staged = None;
        self.committed_logs = self.logged.len();
    }

    /// Makes the call's changes visible.
    pub(crate) fn commit(&mut self) {
        if let Some(value) = self.staged.take() {
            self.shared.set(value);
        }
        self.committed_logs = self.logged.len();
    }

    /// Forgets the call's changes.
    pub(crate) fn discard(&mut self) {
        self.staged = None;
        self.logged.truncate(self.committed_logs);
    }

    /// Returns the committed logged values, oldest first, and forgets them.
    pub(crate) fn take_logged(&mut self) -> Vec<i32> {
        self.committed_logs = 0;
        std::mem::take(&mut self.logged)
    }
}

/// The parts of store state that both plugin kinds have.
pub(crate) struct Sandbox {
    pub(crate) host: HostState,
    pub(crate) limiter: Limiter,
}

impl Sandbox {
    pub(crate) fn new(host: HostState, limits: &Limits) -> Self {
        Self {
            host,
            limiter: Limiter::new(limits),
        }
    }
}

/// Store state that has a [`Sandbox`].
pub(crate) trait PluginState: Send + 'static {
    fn sandbox(&mut self) -> &mut Sandbox;
}

/// Store state for a component instance.
pub(crate) struct ComponentState {
    pub(crate) wasi: wasmtime_wasi::WasiCtx,
    pub(crate) table: wasmtime::component::ResourceTable,
    pub(crate) sandbox: Sandbox,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl PluginState for ComponentState {
    fn sandbox(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }
}

/// Store state for a core-module instance: WASI preview 1 and the sandbox.
pub(crate) struct CoreState {
    pub(crate) wasi: wasmtime_wasi::p1::WasiP1Ctx,
    pub(crate) sandbox: Sandbox,
}

impl PluginState for CoreState {
    fn sandbox(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_state() -> HostState {
        HostState::new("test".into(), SharedValue::new(1))
    }

    #[test]
    fn a_committed_call_publishes_its_set_and_keeps_its_logs() {
        let mut host = host_state();
        host.begin_call();
        host.set(5);
        host.log(7);
        assert_eq!(host.get(), 5, "a call sees its own set");
        assert_eq!(host.shared.get(), 1, "nobody else does yet");
        host.commit();
        assert_eq!(host.shared.get(), 5);
        assert_eq!(host.take_logged(), [7]);
    }

    #[test]
    fn a_discarded_call_leaves_no_trace() {
        let mut host = host_state();
        host.begin_call();
        host.log(1);
        host.commit();
        host.begin_call();
        host.set(5);
        host.log(2);
        host.discard();
        assert_eq!(host.shared.get(), 1);
        assert_eq!(host.get(), 1);
        assert_eq!(host.take_logged(), [1]);
    }

    #[test]
    fn the_log_keeps_at_most_its_capacity() {
        let mut host = host_state();
        host.begin_call();
        for value in 0..(LOG_CAPACITY as i32 + 10) {
            host.log(value);
        }
        host.commit();
        assert_eq!(host.take_logged().len(), LOG_CAPACITY);
    }
}
