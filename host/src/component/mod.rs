//! The component-model path: plugins that fit the `example:plugin/plugin` world.

mod bindings;
mod host_impl;

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::state::{ComponentState, HostState, deny_all_wasi, output_pipe};
use crate::{Error, SharedValue};

/// The world's `point` record (`example:plugin/types.point`), as `bindgen!` generates it:
/// `Point { x: i32, y: i32 }`.
pub use bindings::example::plugin::types::Point;

/// The world every component plugin must fit.
pub const WORLD: &str = "example:plugin/plugin@0.1.0";

/// Adds WASI preview 2 and the world's `host` interface to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    bindings::Plugin::add_to_linker::<_, HasSelf<HostState>>(linker, |state| &mut state.host)
}

/// A component plugin, compiled and pre-linked against the host's world: instantiating it only
/// creates a store and runs the component's initialisation.
///
/// Cheap to share across threads (`Send + Sync`); each [`ComponentPlugin::instantiate`] gives an
/// independent [`ComponentInstance`].
pub struct ComponentPlugin {
    name: Arc<str>,
    pre: bindings::PluginPre<ComponentState>,
    shared: SharedValue,
}

impl ComponentPlugin {
    /// Pre-links `component`, checking that it fits [`WORLD`].
    pub(crate) fn new(
        name: Arc<str>,
        component: &Component,
        linker: &Linker<ComponentState>,
        shared: SharedValue,
    ) -> Result<Self, Error> {
        let mismatch = |source: wasmtime::Error| Error::WorldMismatch {
            plugin: name.to_string(),
            world: WORLD,
            source: source.into(),
        };
        let pre = linker.instantiate_pre(component).map_err(mismatch)?;
        let pre = bindings::PluginPre::new(pre).map_err(mismatch)?;
        Ok(Self { name, pre, shared })
    }

    /// The name the plugin was loaded under (its path, for plugins loaded from a file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates a fresh instance in a store of its own.
    ///
    /// The instance's WASI grants nothing (no files, environment or network; stdin closed) and
    /// its stdout and stderr are captured, up to [`crate::OUTPUT_CAPACITY`] bytes.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the component traps while initialising.
    pub fn instantiate(&self) -> Result<ComponentInstance, Error> {
        let output = output_pipe();
        let state = ComponentState {
            wasi: deny_all_wasi(&output).build(),
            table: ResourceTable::new(),
            host: HostState::new(self.name.clone(), self.shared.clone()),
        };
        let mut store = Store::new(self.pre.engine(), state);
        let bindings = self
            .pre
            .instantiate(&mut store)
            .map_err(|source| Error::Instantiate {
                plugin: self.name.to_string(),
                source: source.into(),
            })?;
        Ok(ComponentInstance {
            store,
            bindings,
            output,
        })
    }
}

/// One instance of a component plugin, with its own store.
///
/// Each method calls the export of the same name. A call that fails returns [`Error::Call`]
/// naming the plugin and the export; after a trap, drop the instance and make a new one.
pub struct ComponentInstance {
    store: Store<ComponentState>,
    bindings: bindings::Plugin,
    output: MemoryOutputPipe,
}

impl ComponentInstance {
    /// Calls `just-add`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps.
    pub fn just_add(&mut self, a: u64, b: u64) -> Result<u64, Error> {
        self.bindings
            .call_just_add(&mut self.store, a, b)
            .map_err(|e| self.call_error("just-add", e))
    }

    /// Calls `point-add`: the field-wise sum of two points, wrapping.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps.
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        self.bindings
            .call_point_add(&mut self.store, a, b)
            .map_err(|e| self.call_error("point-add", e))
    }

    /// Calls `trigger`, which calls back into the host's `log`, `get` and `set`.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps.
    pub fn trigger(&mut self, input: i32) -> Result<(), Error> {
        self.bindings
            .call_trigger(&mut self.store, input)
            .map_err(|e| self.call_error("trigger", e))
    }

    /// Returns the values the plugin passed to `log` since the last call of this method, oldest
    /// first.
    pub fn take_logged(&mut self) -> Vec<i32> {
        std::mem::take(&mut self.store.data_mut().host.logged)
    }

    /// Everything the plugin has written to stdout and stderr so far (invalid UTF-8 replaced).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.contents()).into_owned()
    }

    fn call_error(&self, export: &str, source: wasmtime::Error) -> Error {
        Error::call(&self.store.data().host.plugin, export, source)
    }
}
