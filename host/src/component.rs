//! Component plugins of any world, called through the world's `bindgen!` bindings.
//!
//! The application generates bindings for its world with wasmtime's `bindgen!`, adds its
//! imports to [`PluginHost::component_linker_mut`](crate::PluginHost::component_linker_mut)
//! (with [`ComponentState::data_mut`] as the getter), and implements [`Bindings`] for the
//! generated world type, which says how to pre-link and instantiate it. Then
//! [`PluginHost::component`](crate::PluginHost::component) checks a loaded component against
//! the world and [`ComponentPlugin::instantiate`] makes instances whose calls run under the
//! host's limits.
//!
//! Async applications generate the world's bindings with async exports (and, if they like,
//! async imports), add the imports to
//! [`PluginHost::async_component_linker_mut`](crate::PluginHost::async_component_linker_mut),
//! implement [`AsyncBindings`] as well, and check plugins with
//! [`PluginHost::async_component`](crate::PluginHost::async_component): its
//! [`AsyncComponentPlugin::instantiate_async`] makes instances whose calls are futures
//! ([`Instance::call_async`]).

use std::future::Future;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::{Component, Func, InstancePre, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::grants::Policy;
use crate::instance::{Async, Blocking, Maker, Mode, StoreData, sealed};
use crate::limits::Limiter;
use crate::staging::Staged;
use crate::{Error, Instance, Limits, Transactional};

/// What a component instance's store holds: the application's state `T`, WASI preview 2
/// (granting only the host's [`Grants`](crate::Grants)) and the store's resource limiter.
pub struct ComponentState<T> {
    data: Staged<T>,
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    /// In a composed plugin, the providers' functions that the consumers' imports forward to,
    /// by the slot each forward was given ([`crate::dynamic::compose`]); empty otherwise.
    pub(crate) forwards: Vec<Func>,
}

impl<T: Transactional> ComponentState<T> {
    /// The application's state: the getter to hand `bindgen!`'s `add_to_linker`, as
    /// `ComponentState::data_mut`.
    pub fn data_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Transactional + Send + 'static> StoreData for ComponentState<T> {
    type Data = T;

    fn data(&self) -> &T {
        self.data.get()
    }

    fn data_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn settle(&mut self, succeeded: bool) {
        self.data.settle(succeeded);
    }

    fn assemble(data: T, mut wasi: WasiCtxBuilder, limits: &Limits) -> Self {
        Self {
            data: Staged::new(data),
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limiter: Limiter::new(limits),
            forwards: Vec::new(),
        }
    }

    fn limiter(&mut self) -> &mut Limiter {
        &mut self.limiter
    }

    fn into_data(self) -> T {
        self.data.into_inner()
    }
}

impl<T> sealed::Sealed for ComponentState<T> {}

impl<T: Send> WasiView for ComponentState<T> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Adds WASI preview 2 to `linker`, for blocking calls; the grants are the store's.
pub(crate) fn add_wasi<T: Send + 'static>(
    linker: &mut Linker<ComponentState<T>>,
) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)
}

/// Adds WASI preview 2 to `linker`, for async calls: a guest waiting on WASI (a clock, a
/// stream) yields instead of blocking its thread.
pub(crate) fn add_wasi_async<T: Send + 'static>(
    linker: &mut Linker<ComponentState<T>>,
) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)
}

/// A world's typed bindings, as wasmtime's `bindgen!` generates them: implement it for the
/// generated world type (`bindgen!` names it after the world, with a `…Pre` beside it); each
/// method forwards to the generated one. The [crate documentation](crate) has a complete
/// embedding, and `examples/bot-host` a whole application.
pub trait Bindings: Sized + Send + 'static {
    /// The application's per-instance state, which the world's imports act on.
    type Data: Transactional + Send + 'static;
    /// The pre-linked bindings (`bindgen!`'s `…Pre<ComponentState<Data>>`).
    type Pre: Clone + Send + Sync + 'static;
    /// The world's full name, e.g. `example:plugin/plugin@0.1.1`, for errors.
    const WORLD: &'static str;

    /// Checks that the pre-linked component has every export of the world, with its type
    /// (`bindgen!`'s `…Pre::new`).
    ///
    /// # Errors
    /// wasmtime's, naming the missing or mistyped export.
    fn pre(pre: InstancePre<ComponentState<Self::Data>>) -> wasmtime::Result<Self::Pre>;

    /// Instantiates the component in `store` (`bindgen!`'s `…Pre::instantiate`).
    ///
    /// # Errors
    /// wasmtime's, if the component's initialisation traps or runs into a limit.
    fn instantiate(
        pre: &Self::Pre,
        store: &mut Store<ComponentState<Self::Data>>,
    ) -> wasmtime::Result<Self>;
}

/// A world's bindings generated for async calls (`bindgen!` with `exports: { default: async
/// }`, and async imports if the application's host functions await): [`Bindings`] plus async
/// instantiation. Implement [`Bindings::instantiate`] too (as `pre.instantiate(store)`); the
/// library only calls it for blocking plugins, which async bindings are not used for.
pub trait AsyncBindings: Bindings + Sync {
    /// Instantiates the component in `store` (`bindgen!`'s `…Pre::instantiate_async`).
    ///
    /// # Errors
    /// wasmtime's, if the component's initialisation traps or runs into a limit.
    fn instantiate_async(
        pre: &Self::Pre,
        store: &mut Store<ComponentState<Self::Data>>,
    ) -> impl Future<Output = wasmtime::Result<Self>> + Send;
}

/// An instance of a component plugin of the world `B`; calls go through `B` with
/// [`Instance::call`].
pub type ComponentInstance<B> = Instance<ComponentState<<B as Bindings>::Data>, B>;

/// An instance of a component plugin of the async world `B`; calls are futures, through `B`
/// with [`Instance::call_async`].
pub type AsyncComponentInstance<B> = Instance<ComponentState<<B as Bindings>::Data>, B, Async>;

/// A component plugin for async calls ([`PluginHost::async_component`](crate::PluginHost::async_component)).
pub type AsyncComponentPlugin<B> = ComponentPlugin<B, Async>;

/// A component plugin, compiled and pre-linked against the host's linker and checked against
/// the world `B`: instantiating it only creates a store and runs the component's
/// initialisation. `M` is how its instances' calls run: [`Blocking`] (the default) or
/// [`Async`] ([`AsyncComponentPlugin`]).
///
/// Cheap to clone and to share across threads; each [`ComponentPlugin::instantiate`] (or
/// [`AsyncComponentPlugin::instantiate_async`]) gives an independent instance.
pub struct ComponentPlugin<B: Bindings, M: Mode = Blocking> {
    maker: Arc<Maker<ComponentState<B::Data>, B, M>>,
}

impl<B: Bindings, M: Mode> Clone for ComponentPlugin<B, M> {
    fn clone(&self) -> Self {
        Self {
            maker: self.maker.clone(),
        }
    }
}

impl<B: Bindings, M: Mode> std::fmt::Debug for ComponentPlugin<B, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentPlugin")
            .field("name", &self.maker.name)
            .field("world", &B::WORLD)
            .finish_non_exhaustive()
    }
}

impl<B: Bindings, M: Mode> ComponentPlugin<B, M> {
    /// The name the plugin was loaded under (its path, for plugins loaded from a file).
    pub fn name(&self) -> &str {
        &self.maker.name
    }
}

/// Pre-links `component` against `linker` and checks it against the world `B`.
fn pre_link<B: Bindings>(
    name: &str,
    component: &Component,
    linker: &Linker<ComponentState<B::Data>>,
) -> Result<B::Pre, Error> {
    let mismatch = |source: wasmtime::Error| Error::WorldMismatch {
        plugin: name.to_owned(),
        world: B::WORLD,
        source: source.into(),
    };
    let pre = linker.instantiate_pre(component).map_err(mismatch)?;
    B::pre(pre).map_err(mismatch)
}

impl<B: AsyncBindings> ComponentPlugin<B, Async> {
    /// Pre-links `component` against `linker` (the host's async linker) and checks it against
    /// the world `B`.
    pub(crate) fn new_async(
        name: Arc<str>,
        component: &Component,
        linker: &Linker<ComponentState<B::Data>>,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let pre = pre_link::<B>(&name, component, linker)?;
        let engine = component.engine().clone();
        let maker = Maker::new_async(name, engine, policy, move |store| {
            let pre = pre.clone();
            Box::pin(async move { B::instantiate_async(&pre, store).await })
        });
        Ok(Self { maker })
    }

    /// As [`ComponentPlugin::instantiate`], for async calls: a future, whose instance's calls
    /// are futures ([`Instance::call_async`]). The component's initialisation yields at every
    /// epoch tick, as a call does.
    ///
    /// # Errors
    /// As [`ComponentPlugin::instantiate`].
    pub async fn instantiate_async(
        &self,
        data: B::Data,
    ) -> Result<AsyncComponentInstance<B>, Error> {
        Instance::new_async(self.maker.clone(), data).await
    }
}

impl<B: Bindings> ComponentPlugin<B> {
    /// Pre-links `component` against `linker` and checks it against the world `B`.
    pub(crate) fn new(
        name: Arc<str>,
        component: &Component,
        linker: &Linker<ComponentState<B::Data>>,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let pre = pre_link::<B>(&name, component, linker)?;
        let engine = component.engine().clone();
        let maker = Maker::new(name, engine, policy, move |store| {
            B::instantiate(&pre, store)
        });
        Ok(Self { maker })
    }

    /// Creates a fresh instance in a store of its own holding `data`, under the host's
    /// [`Limits`].
    ///
    /// The instance's WASI grants nothing beyond the host's [`Grants`](crate::Grants) (never
    /// the network; stdin closed) and its stdout and stderr are captured, up to
    /// [`Limits::output_bytes`] each.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the component traps or runs into a limit while initialising,
    /// or a granted directory cannot be opened.
    pub fn instantiate(&self, data: B::Data) -> Result<ComponentInstance<B>, Error> {
        Instance::new(self.maker.clone(), data)
    }
}
