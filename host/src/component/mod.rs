//! The component-model path: plugins that fit the `example:plugin/plugin` world.

mod bindings;
mod host_impl;

use std::sync::Arc;

use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store};

use crate::grants::Policy;
use crate::output::CapturedOutput;
use crate::run::{new_store, run};
use crate::state::{ComponentState, HostState, Sandbox};
use crate::{Error, SharedValue};

/// The world's `point` record (`example:plugin/types.point`), as `bindgen!` generates it:
/// `Point { x: i32, y: i32 }`.
pub use bindings::example::plugin::types::Point;

/// The world every component plugin must fit.
pub const WORLD: &str = "example:plugin/plugin@0.1.0";

/// Adds WASI preview 2 and the world's `host` interface to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    bindings::Plugin::add_to_linker::<_, HasSelf<HostState>>(linker, |state| {
        &mut state.sandbox.host
    })
}

/// Creates a store for one component instance: WASI preview 2 granting only the policy's
/// grants, output captured in `output`, the per-store limits in force.
///
/// # Errors
/// If a granted directory cannot be opened.
pub(crate) fn component_store(
    engine: &Engine,
    host: HostState,
    output: &CapturedOutput,
    policy: &Policy,
) -> wasmtime::Result<Store<ComponentState>> {
    let state = ComponentState {
        wasi: output.wasi(&policy.grants)?.build(),
        table: ResourceTable::new(),
        sandbox: Sandbox::new(host, &policy.limits),
    };
    Ok(new_store(engine, state, &policy.limits))
}

/// A component plugin, compiled and pre-linked against the host's world: instantiating it only
/// creates a store and runs the component's initialisation.
///
/// Cheap to clone and to share across threads (`Send + Sync`); each
/// [`ComponentPlugin::instantiate`] gives an independent [`ComponentInstance`].
#[derive(Clone)]
pub struct ComponentPlugin {
    name: Arc<str>,
    pre: bindings::PluginPre<ComponentState>,
    shared: SharedValue,
    policy: Arc<Policy>,
}

impl std::fmt::Debug for ComponentPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentPlugin")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ComponentPlugin {
    /// Pre-links `component`, checking that it fits [`WORLD`].
    pub(crate) fn new(
        name: Arc<str>,
        component: &Component,
        linker: &Linker<ComponentState>,
        shared: SharedValue,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let mismatch = |source: wasmtime::Error| Error::WorldMismatch {
            plugin: name.to_string(),
            world: WORLD,
            source: source.into(),
        };
        let pre = linker.instantiate_pre(component).map_err(mismatch)?;
        let pre = bindings::PluginPre::new(pre).map_err(mismatch)?;
        Ok(Self {
            name,
            pre,
            shared,
            policy,
        })
    }

    /// The name the plugin was loaded under (its path, for plugins loaded from a file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates a fresh instance in a store of its own, under the host's [`Limits`](crate::Limits).
    ///
    /// The instance's WASI grants nothing beyond the host's [`Grants`](crate::Grants) (never
    /// the network; stdin closed) and its stdout and stderr are captured, up to
    /// [`Limits::output_bytes`](crate::Limits::output_bytes) each.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the component traps or runs into a limit while initialising.
    pub fn instantiate(&self) -> Result<ComponentInstance, Error> {
        let output = CapturedOutput::new(self.policy.limits.output_bytes);
        let host = HostState::new(self.name.clone(), self.shared.clone());
        let (store, bindings) = self.store(host, &output)?;
        Ok(ComponentInstance {
            plugin: self.clone(),
            output,
            store,
            bindings,
            poisoned: false,
        })
    }

    /// Instantiates the component in a new store holding `host`, writing to `output`.
    fn store(
        &self,
        host: HostState,
        output: &CapturedOutput,
    ) -> Result<(Store<ComponentState>, bindings::Plugin), Error> {
        let mut store = component_store(self.pre.engine(), host, output, &self.policy)
            .map_err(|source| Error::instantiate(&self.name, source, None))?;
        let limits = &self.policy.limits;
        let bindings = run(&mut store, limits, |store| self.pre.instantiate(store))
            .map_err(|failed| failed.instantiate(&self.name))?;
        Ok((store, bindings))
    }
}

/// One instance of a component plugin, with its own store.
///
/// Each method calls the export of the same name, under the host's [`Limits`](crate::Limits). A call that
/// fails returns [`Error::Call`] naming the plugin, the export and the [`Failure`](crate::Failure).
///
/// A failed call leaves no trace: a `set` the guest made during it is not committed, nor are
/// its logged values. wasmtime poisons a component store after a trap, so the instance then
/// discards its store, and the next call runs on a fresh instance of the same plugin (fresh
/// guest memory; the committed logged values and the captured output carry over). If
/// instantiating afresh fails, that call returns [`Error::Instantiate`].
pub struct ComponentInstance {
    plugin: ComponentPlugin,
    output: CapturedOutput,
    store: Store<ComponentState>,
    bindings: bindings::Plugin,
    /// The last call failed: `store` must not be used again.
    poisoned: bool,
}

impl ComponentInstance {
    /// Calls `just-add`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`Error::Call`] if the call fails; [`Error::Instantiate`] if a fresh instance was due
    /// and could not be made.
    pub fn just_add(&mut self, a: u64, b: u64) -> Result<u64, Error> {
        self.call("just-add", |plugin, store| {
            plugin.call_just_add(store, a, b)
        })
    }

    /// Calls `point-add`: the field-wise sum of two points, wrapping.
    ///
    /// # Errors
    /// As [`ComponentInstance::just_add`].
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        self.call("point-add", |plugin, store| {
            plugin.call_point_add(store, a, b)
        })
    }

    /// Calls `trigger`, which calls back into the host's `log`, `get` and `set`.
    ///
    /// # Errors
    /// As [`ComponentInstance::just_add`].
    pub fn trigger(&mut self, input: i32) -> Result<(), Error> {
        self.call("trigger", |plugin, store| plugin.call_trigger(store, input))
    }

    /// Returns the values the plugin passed to `log` in calls that succeeded since the last
    /// call of this method, oldest first; at most [`crate::LOG_CAPACITY`].
    pub fn take_logged(&mut self) -> Vec<i32> {
        self.store.data_mut().sandbox.host.take_logged()
    }

    /// The plugin's captured stdout and stderr.
    pub fn output(&self) -> &CapturedOutput {
        &self.output
    }

    /// Calls `export` through `f` under the limits; marks the store poisoned if it fails.
    fn call<R>(
        &mut self,
        export: &str,
        f: impl FnOnce(&bindings::Plugin, &mut Store<ComponentState>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        if self.poisoned {
            self.renew()?;
        }
        let bindings = &self.bindings;
        run(&mut self.store, &self.plugin.policy.limits, |store| {
            f(bindings, store)
        })
        .map_err(|failed| {
            self.poisoned = true;
            failed.call(&self.plugin.name, export)
        })
    }

    /// Replaces the poisoned store with a fresh instance that keeps the host state.
    fn renew(&mut self) -> Result<(), Error> {
        let fresh = HostState::new(self.plugin.name.clone(), self.plugin.shared.clone());
        let host = std::mem::replace(&mut self.store.data_mut().sandbox.host, fresh);
        (self.store, self.bindings) = self.plugin.store(host, &self.output)?;
        self.poisoned = false;
        Ok(())
    }
}
