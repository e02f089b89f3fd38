//! The async mode: a host whose calls are futures, for async applications (tokio).
//!
//! A `PluginHost<T, Async>` links WASI in its async form and lets the application's host
//! functions be async (`bindgen!` with `imports: { default: async }`); its plugins'
//! [`Plugin::instantiate`] and [`Instance::call`] are futures. A running guest yields to the
//! runtime at every epoch tick ([`Limits::EPOCH_TICK`](crate::Limits::EPOCH_TICK)) instead of
//! holding its thread until the deadline, and dropping a call's future cancels the call.
//!
//! Everything else (limits, staging, renewal after a failure) is the blocking path's, in
//! [`crate::instance`](crate::Instance).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tracing::Instrument;
use wasmtime::component::Accessor;
use wasmtime::{Linker, Store, UpdateDeadline};

use crate::instance::{Budget, RESOURCE_DROP, concurrently, refuel, settle};
use crate::kind::sealed::Sealed;
use crate::mode::Mode;
use crate::plugin::{Instantiate, Maker};
use crate::state::{ComponentState, CoreState, StoreData};
use crate::telemetry::Stopwatch;
use crate::{Error, GuestResource, Instance, Plugin};

/// Calls are futures, for async applications (tokio): [`Instance::call`] is `async`. The
/// application's host functions may be async, and a running guest yields to the runtime at
/// every epoch tick ([`Limits::EPOCH_TICK`](crate::Limits::EPOCH_TICK)) instead of holding its
/// thread until the deadline. An async call costs more than a blocking one (a fiber to run the
/// guest on; BENCHMARKS.md, "Async calls"): choose it for calls that wait or must share
/// workers fairly.
#[derive(Debug)]
pub enum Async {}

impl Sealed for Async {}

/// A future that may be sent across threads, boxed.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What puts a plugin into a store for async calls; the async twin of the blocking
/// `Instantiate`.
pub trait InstantiateAsync<S, L>: Send + Sync + 'static {
    /// Instantiates the plugin in `store`, yielding whenever wasmtime does.
    ///
    /// # Errors
    /// wasmtime's, if initialising traps, runs into a limit, or an export is missing.
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut Store<S>,
    ) -> BoxFuture<'a, wasmtime::Result<L>>;
}

impl Mode for Async {
    type Instantiate<S: 'static, L: 'static> = dyn InstantiateAsync<S, L>;

    fn instantiator<S, L, P>(pre: P) -> Box<dyn InstantiateAsync<S, L>>
    where
        S: StoreData,
        L: Send + 'static,
        P: Instantiate<S, L> + InstantiateAsync<S, L>,
    {
        Box::new(pre)
    }

    fn add_wasi_p2<T: Send + 'static>(
        linker: &mut wasmtime::component::Linker<ComponentState<T>>,
    ) -> wasmtime::Result<()> {
        wasmtime_wasi::p2::add_to_linker_async(linker)
    }

    fn add_wasi_p1<T: Send + 'static>(linker: &mut Linker<CoreState<T>>) -> wasmtime::Result<()> {
        wasmtime_wasi::p1::add_to_linker_async(linker, |state| state.parts_mut())
    }

    /// The guest yields at every epoch tick, and traps on the tick that ends the call's
    /// deadline: the callback counts down the ticks [`start`] gives each call in the
    /// store's state. Set once per store: a callback set per call cost an allocation and a
    /// free on every call (BENCHMARKS.md, "Async calls").
    fn prepare<S: StoreData>(store: &mut Store<S>) {
        store.epoch_deadline_callback(|mut context| {
            let ticks_left = context.data_mut().ticks_left();
            *ticks_left = ticks_left.saturating_sub(1);
            Ok(match *ticks_left {
                0 => UpdateDeadline::Interrupt,
                _ => UpdateDeadline::Yield(1),
            })
        });
    }
}

impl<S: StoreData, L: Send + Sync> Plugin<S, L, Async> {
    /// As the blocking [`Plugin::instantiate`], as a future: the plugin's initialisation
    /// yields at every epoch tick, as a call does.
    ///
    /// # Errors
    /// As the blocking [`Plugin::instantiate`].
    pub async fn instantiate(&self, data: S::Data) -> Result<Instance<S, L, Async>, Error> {
        Instance::new_async(self.maker.clone(), data).await
    }
}

impl<S: StoreData, L> Maker<S, L, Async> {
    /// Instantiates the plugin in `store`, under the limits, yielding at every epoch tick;
    /// `renewal` if it replaces an instance whose call failed.
    async fn live(&self, store: &mut Store<S>, renewal: bool) -> Result<L, Error> {
        let instantiate = async |store: &mut Store<S>| {
            let result = match start(store, self.budget) {
                Ok(()) => self.instantiate.instantiate_async(store).await,
                Err(error) => Err(error),
            };
            settle(store, result).map_err(|failed| failed.instantiate(&self.name))
        };
        if !self.telemetry.instantiations_observed() {
            return instantiate(store).await;
        }
        let span = self.telemetry.instantiate_span();
        let watch = Stopwatch::start();
        let live = instantiate(store).instrument(span.clone()).await;
        let outcome = live.as_ref().map(|_| ());
        self.telemetry
            .instantiated(&span, outcome, watch.took(), renewal);
        live
    }
}

impl<S: StoreData, L: Send + Sync> Instance<S, L, Async> {
    /// Instantiates the plugin `maker` makes in a new store holding `data`, yielding at every
    /// epoch tick.
    async fn new_async(maker: Arc<Maker<S, L, Async>>, data: S::Data) -> Result<Self, Error> {
        let output = maker.output();
        let mut store = maker.store(data, maker.wasi(&output)?);
        let live = maker.live(&mut store, false).await?;
        Ok(Self::assemble(maker, output, store, live))
    }

    /// As the blocking [`Instance::call`], as a future: `f` is an async closure (typically a
    /// `bindgen!` method of a world generated with `exports: { default: async }`: `async
    /// |bindings, store| bindings.call_run(store).await`).
    ///
    /// The guest yields to the runtime at every epoch tick
    /// ([`Limits::EPOCH_TICK`](crate::Limits::EPOCH_TICK)), and so do the application's async
    /// host functions whenever they wait, so a call holds its worker thread for at most about
    /// one tick at a time. A call still past [`Limits::deadline`](crate::Limits::deadline)
    /// fails with [`Failure::Timeout`](crate::Failure::Timeout), as a blocking one does.
    ///
    /// Dropping the future cancels the call: the guest does not run again, its changes to the
    /// application's state are rolled back, and the next call runs on a fresh instance. Other
    /// instances are not affected.
    ///
    /// The call is a span and is counted and timed as a blocking one is
    /// ([`crate::telemetry`]).
    ///
    /// # Errors
    /// As the blocking [`Instance::call`].
    pub async fn call<R>(
        &mut self,
        export: &str,
        f: impl AsyncFnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        if !self.maker.telemetry.observed() {
            return self.call_unobserved(export, f).await;
        }
        let span = self.maker.telemetry.call_span(export);
        let watch = Stopwatch::start();
        let result = self
            .call_unobserved(export, f)
            .instrument(span.clone())
            .await;
        self.observe(export, &span, watch, result.as_ref().map(|_| ()));
        result
    }

    /// [`Instance::call`] without telemetry.
    async fn call_unobserved<R>(
        &mut self,
        export: &str,
        f: impl AsyncFnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        if self.due() {
            self.renew().await?;
        }
        let Self {
            maker,
            store: Some(store),
            live: Some(live),
            calling,
            ..
        } = self
        else {
            return Err(self.lost());
        };
        *calling = true;
        let result = match start(store, maker.budget) {
            Ok(()) => f(live, store).await,
            Err(error) => Err(error),
        };
        let result = settle(store, result);
        *calling = false;
        result.map_err(|failed| {
            self.live = None;
            failed.call(&self.maker.name, export)
        })
    }

    /// As the blocking [`Instance::call_concurrent`], as a future: `f` runs inside wasmtime's
    /// `Store::run_concurrent`, on the runtime that polls this future, and the guest yields at
    /// every epoch tick as in [`Instance::call`].
    ///
    /// Dropping the future cancels every call `f` made, not one alone: wasmtime 48 cancels a
    /// guest task only by dropping its store (wasmtime#11833), so the next call runs on a
    /// fresh instance.
    ///
    /// # Errors
    /// As the blocking [`Instance::call_concurrent`].
    pub async fn call_concurrent<R>(
        &mut self,
        export: &str,
        f: impl AsyncFnOnce(&L, &Accessor<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        let deadline = self.deadline();
        self.call(export, async |live, store| {
            concurrently(store, &deadline, live, f).await?
        })
        .await
    }

    /// As the blocking [`Instance::drop_resource`], as a future.
    ///
    /// # Errors
    /// As the blocking [`Instance::drop_resource`].
    pub async fn drop_resource(&mut self, resource: GuestResource) -> Result<(), Error> {
        let Ok(handle) = self.resource(&resource) else {
            return Ok(());
        };
        self.call(RESOURCE_DROP, async |_, store| {
            handle.resource_drop_async(store).await
        })
        .await
    }

    /// As the blocking [`Instance::with_live`]; a fresh instance, if one is due, is made
    /// asynchronously.
    ///
    /// # Errors
    /// As the blocking [`Instance::with_live`].
    pub async fn with_live<R>(
        &mut self,
        f: impl FnOnce(&L, &mut Store<S>) -> R,
    ) -> Result<R, Error> {
        if self.due() {
            self.renew().await?;
        }
        match (&self.live, &mut self.store) {
            (Some(live), Some(store)) => Ok(f(live, store)),
            _ => Err(self.lost()),
        }
    }

    /// Whether the instance must be renewed before its next call: it is poisoned, or its last
    /// call was cancelled. Checked before awaiting [`Self::renew`], so that a call with nothing
    /// due makes no future of it.
    fn due(&self) -> bool {
        self.calling || self.live.is_none()
    }

    /// Renews the instance: rolls back the call that was cancelled, if any, and instantiates
    /// the plugin in a fresh store.
    async fn renew(&mut self) -> Result<(), Error> {
        if self.calling {
            self.calling = false;
            self.store_mut().data_mut().settle(false);
            self.live = None;
        }
        self.reincarnate();
        let mut store = self.fresh_store()?;
        let live = self.maker.live(&mut store, true).await;
        self.store = Some(store);
        self.live = Some(live?);
        Ok(())
    }
}

/// Readies `store` for an async call or instantiation under `budget`, as the blocking path's
/// `run` does before it runs guest code: the guest will yield to the runtime at every epoch
/// tick and trap on the tick that ends its deadline (the store's callback, set by
/// [`Async::prepare`](Mode::prepare), counts the ticks), and its fuel is refilled. The caller
/// then awaits the guest and ends with [`settle`]: no future wraps the call's own, so an async
/// call costs the application one layer of futures less (BENCHMARKS.md, "Async calls").
fn start<S: StoreData>(store: &mut Store<S>, budget: Budget) -> wasmtime::Result<()> {
    *store.data_mut().ticks_left() = budget.deadline_ticks;
    store.set_epoch_deadline(1);
    refuel(store, budget)
}
