//! What a plugin's store holds: one type for both kinds of plugin.

use wasmtime::component::{Func, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::kind::{self, Kind};
use crate::limits::Limiter;
use crate::staging::Staged;
use crate::{Limits, Transactional};

/// What a plugin instance's store holds: the application's state `T` (staged per call, see
/// [`Transactional`]), the WASI of the plugin's kind `K` (granting only the host's
/// [`Grants`](crate::Grants)) and the store's resource limiter.
///
/// The application reaches its state through [`StoreState::data_mut`]: the getter for
/// `bindgen!`'s `add_to_linker` (which [`PluginHost::link`](crate::PluginHost::link) supplies),
/// and `caller.data_mut().data_mut()` in a core module's host function.
pub struct StoreState<T, K: Kind> {
    data: Staged<T>,
    parts: K::Parts,
    limiter: Limiter,
    /// Epoch ticks the running call has left before its deadline, in the async mode, whose
    /// epoch callback counts them down (one callback per store, not one per call).
    ticks_left: u64,
}

/// The store state of a component plugin: WASI preview 2 and its resource table.
pub type ComponentState<T> = StoreState<T, kind::Component>;

/// The store state of a core-module plugin: WASI preview 1.
pub type CoreState<T> = StoreState<T, kind::CoreModule>;

impl<T, K: Kind> StoreState<T, K> {
    /// The application's state, to change it (marks it touched, so the call that touched it
    /// is committed or rolled back).
    pub fn data_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// The application's state.
    pub fn data(&self) -> &T {
        self.data.get()
    }

    /// The kind's WASI parts.
    pub(crate) fn parts_mut(&mut self) -> &mut K::Parts {
        &mut self.parts
    }

    pub(crate) fn parts(&self) -> &K::Parts {
        &self.parts
    }
}

impl<T> ComponentState<T> {
    /// The table of the application's host resources: where its host functions keep what a
    /// `Resource<R>` they hand the plugin stands for (`resources().push(value)`, then
    /// `get`, `get_mut` and `delete` by the handle), beside WASI's own table.
    ///
    /// The table belongs to the instance, in its store: every entry still in it is dropped
    /// (its `Drop` runs) when the instance is dropped or renewed, and at once when a call or
    /// instantiation fails, so a failed call leaves no resource it created alive. A
    /// `Resource<R>` is an index into this table: one kept from before a renewal names nothing,
    /// or a resource of the new instance; keep host resources the application needs across
    /// calls in its own state, not in the table.
    ///
    /// For host functions to reach it, implement the world's host traits for
    /// `ComponentState<T>` and link them with an identity getter
    /// ([`PluginHost::link_state`](crate::PluginHost::link_state)).
    pub fn resources(&mut self) -> &mut ResourceTable {
        &mut self.parts.resources
    }
}

/// A component store's WASI preview 2 context and resource table, the application's host
/// resources ([`ComponentState::resources`]), and, in a composed plugin, the providers'
/// functions that the consumers' imports forward to, by the slot each forward was given
/// ([`crate::chain`]).
pub struct ComponentParts {
    wasi: WasiCtx,
    table: ResourceTable,
    resources: ResourceTable,
    pub(crate) forwards: Vec<Func>,
}

impl ComponentParts {
    pub(crate) fn new(wasi: WasiCtx) -> Self {
        Self {
            wasi,
            table: ResourceTable::new(),
            resources: ResourceTable::new(),
            forwards: Vec::new(),
        }
    }

    /// Drops every host resource of the application's table.
    pub(crate) fn drop_resources(&mut self) {
        self.resources = ResourceTable::new();
    }
}

impl<T: Send> WasiView for ComponentState<T> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let parts = &mut self.parts;
        WasiCtxView {
            ctx: &mut parts.wasi,
            table: &mut parts.table,
        }
    }
}

/// What an [`Instance`](crate::Instance)'s store holds: a [`StoreState`], whatever its kind.
/// Sealed: the library's [`StoreState`] is the only one.
pub trait StoreData: crate::kind::sealed::Sealed + Send + Sized + 'static {
    /// The application's per-instance state.
    type Data: Transactional + Send + 'static;

    /// The application's state.
    fn data(&self) -> &Self::Data;

    /// The application's state, to change it.
    fn data_mut(&mut self) -> &mut Self::Data;

    /// A new store state around `data`, with WASI from `wasi` and the store limits of `limits`.
    #[doc(hidden)]
    fn assemble(data: Self::Data, wasi: WasiCtxBuilder, limits: &Limits) -> Self;

    /// Ends a call or instantiation: commits the application's state if it `succeeded`, rolls
    /// it back if not ([`Transactional`]), when the call touched it; if it failed, drops the
    /// instance's host resources ([`ComponentState::resources`]).
    #[doc(hidden)]
    fn settle(&mut self, succeeded: bool);

    /// The store's resource limiter.
    #[doc(hidden)]
    fn limiter(&mut self) -> &mut Limiter;

    /// Epoch ticks the running async call has left before its deadline.
    #[doc(hidden)]
    fn ticks_left(&mut self) -> &mut u64;

    /// The application's state, taken out of a store that is done with.
    #[doc(hidden)]
    fn into_data(self) -> Self::Data;
}

impl<T, K: Kind> crate::kind::sealed::Sealed for StoreState<T, K> {}

impl<T: Transactional + Send + 'static, K: Kind> StoreData for StoreState<T, K> {
    type Data = T;

    fn data(&self) -> &T {
        self.data.get()
    }

    fn data_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn assemble(data: T, wasi: WasiCtxBuilder, limits: &Limits) -> Self {
        Self {
            data: Staged::new(data),
            parts: K::parts(wasi),
            limiter: Limiter::new(limits),
            ticks_left: 0,
        }
    }

    fn settle(&mut self, succeeded: bool) {
        self.data.settle(succeeded);
        if !succeeded {
            K::instance_failed(&mut self.parts);
        }
    }

    fn limiter(&mut self) -> &mut Limiter {
        &mut self.limiter
    }

    fn ticks_left(&mut self) -> &mut u64 {
        &mut self.ticks_left
    }

    fn into_data(self) -> T {
        self.data.into_inner()
    }
}
