//! One live instance of a plugin, for every kind of plugin: its store, every call into it
//! under the limits with the host state staged, and a fresh instance after a failure; calls
//! block the calling thread ([`Blocking`]) or are futures ([`Async`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::WasiCtxBuilder;

use crate::grants::Policy;
use crate::limits::{Limit, Limiter};
use crate::{CapturedOutput, Error, Limits, Transactional};

/// What a plugin's store holds: the application's state (its `Data`) beside the library's own
/// parts (WASI, the limiter). [`component::ComponentState`](crate::component::ComponentState)
/// and [`core_module::CoreState`](crate::core_module::CoreState) are the two kinds.
pub trait StoreData: sealed::Sealed + Send + Sized + 'static {
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
    /// it back if not ([`Transactional`]), when the call touched it.
    #[doc(hidden)]
    fn settle(&mut self, succeeded: bool);

    /// The store's resource limiter.
    #[doc(hidden)]
    fn limiter(&mut self) -> &mut Limiter;

    /// The application's state, taken out of a store that is done with.
    #[doc(hidden)]
    fn into_data(self) -> Self::Data;
}

pub(crate) mod sealed {
    /// Only the library's store states are [`super::StoreData`].
    pub trait Sealed {}
}

/// How an instance's calls run: on the calling thread until they end ([`Blocking`], the
/// default), or as futures that an async runtime polls ([`Async`]).
pub trait Mode: sealed::Sealed + Send + Sync + 'static {
    /// What puts a plugin into a store: instantiates it and looks up what calls go through
    /// (`L`).
    #[doc(hidden)]
    type Instantiate<S: 'static, L: 'static>: ?Sized + Send + Sync;
}

/// Calls block the calling thread until they end: [`Instance::call`]. A guest past its
/// deadline traps.
#[derive(Debug)]
pub enum Blocking {}

/// Calls are futures, for async applications (tokio): [`Instance::call_async`]. The
/// application's host functions may be async, and a running guest yields to the runtime at
/// every epoch tick ([`Limits::EPOCH_TICK`]) instead of holding its thread until the deadline.
#[derive(Debug)]
pub enum Async {}

impl sealed::Sealed for Blocking {}
impl sealed::Sealed for Async {}

impl Mode for Blocking {
    type Instantiate<S: 'static, L: 'static> =
        dyn Fn(&mut Store<S>) -> wasmtime::Result<L> + Send + Sync;
}

impl Mode for Async {
    type Instantiate<S: 'static, L: 'static> =
        dyn for<'a> Fn(&'a mut Store<S>) -> BoxFuture<'a, wasmtime::Result<L>> + Send + Sync;
}

/// A future that may be sent across threads, boxed.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a loaded plugin makes instances: shared by the plugin and each of its instances, so an
/// instance can renew itself.
pub(crate) struct Maker<S: 'static, L: 'static, M: Mode = Blocking> {
    pub(crate) name: Arc<str>,
    pub(crate) engine: Engine,
    pub(crate) policy: Arc<Policy>,
    budget: Budget,
    instantiate: Box<M::Instantiate<S, L>>,
}

impl<S: StoreData, L, M: Mode> Maker<S, L, M> {
    /// A maker of instances put into their stores by `instantiate`.
    fn with(
        name: Arc<str>,
        engine: Engine,
        policy: Arc<Policy>,
        instantiate: Box<M::Instantiate<S, L>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            name,
            engine,
            budget: Budget::new(&policy.limits),
            policy,
            instantiate,
        })
    }

    /// A WASI context granting only the policy's grants and writing to `output`.
    fn wasi(&self, output: &CapturedOutput) -> Result<WasiCtxBuilder, Error> {
        output
            .wasi(&self.policy.grants)
            .map_err(|source| Error::instantiate(&self.name, source, None))
    }

    /// A new store holding `data`.
    fn store(&self, data: S::Data, wasi: WasiCtxBuilder) -> Store<S> {
        let limits = &self.policy.limits;
        let mut store = Store::new(&self.engine, S::assemble(data, wasi, limits));
        store.limiter(|state| state.limiter());
        store.set_hostcall_fuel(limits.lifted_bytes);
        store
    }
}

impl<S: StoreData, L> Maker<S, L, Blocking> {
    /// A maker of instances for blocking calls, put into their stores by `instantiate`.
    pub(crate) fn new(
        name: Arc<str>,
        engine: Engine,
        policy: Arc<Policy>,
        instantiate: impl Fn(&mut Store<S>) -> wasmtime::Result<L> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Self::with(name, engine, policy, Box::new(instantiate))
    }

    /// Instantiates the plugin in `store`, under the limits.
    fn live(&self, store: &mut Store<S>) -> Result<L, Error> {
        run(store, self.budget, |store| (self.instantiate)(store))
            .map_err(|failed| failed.instantiate(&self.name))
    }
}

impl<S: StoreData, L> Maker<S, L, Async> {
    /// A maker of instances for async calls, put into their stores by `instantiate`.
    pub(crate) fn new_async(
        name: Arc<str>,
        engine: Engine,
        policy: Arc<Policy>,
        instantiate: impl for<'a> Fn(&'a mut Store<S>) -> BoxFuture<'a, wasmtime::Result<L>>
        + Send
        + Sync
        + 'static,
    ) -> Arc<Self> {
        Self::with(name, engine, policy, Box::new(instantiate))
    }

    /// Instantiates the plugin in `store`, under the limits, yielding at every epoch tick.
    async fn live(&self, store: &mut Store<S>) -> Result<L, Error> {
        run_async(store, self.budget, async |store| {
            (self.instantiate)(store).await
        })
        .await
        .map_err(|failed| failed.instantiate(&self.name))
    }
}

/// One instance of a plugin, in a store of its own: what every kind of plugin's `instantiate`
/// gives (as [`ComponentInstance`](crate::component::ComponentInstance),
/// [`CoreInstance`](crate::core_module::CoreInstance) and the [`dynamic`](crate::dynamic)
/// instances).
///
/// `S` is the store's data ([`StoreData`], holding the application's state); `L` is what calls
/// go through: the world's bindings for a component, the ABI's typed exports for a core module,
/// the instance itself for dynamic calls. `M` is how calls run: [`Blocking`] (the default) or
/// [`Async`].
///
/// Every call goes through [`Instance::call`] (or [`Instance::call_async`]), which:
/// - sets the deadline and fuel of [`Limits`] (the store's other limits hold throughout);
/// - commits the application's state ([`Transactional::commit`]) if the call succeeds and rolls
///   it back if it fails, so a failed call leaves no trace (both are skipped when nothing
///   borrowed the state mutably since the last call: they would change nothing);
/// - on failure returns [`Error::Call`] naming the plugin, the export and the
///   [`Failure`](crate::Failure), and poisons the instance: wasmtime must not run a component
///   store again after a trap, and a core module's own state may be half-updated. The next
///   call then runs on a fresh instance of the same plugin, in a fresh store that keeps the
///   application's state and the captured output.
pub struct Instance<S: StoreData, L: 'static, M: Mode = Blocking> {
    maker: Arc<Maker<S, L, M>>,
    output: CapturedOutput,
    /// Always `Some` between method calls: renewing takes the old store out and puts a new one
    /// back with nothing fallible in between.
    store: Option<Store<S>>,
    /// `None` while the instance is poisoned: its last call failed, or instantiating it afresh
    /// did.
    live: Option<L>,
    /// Set while an async call is under way. Still set when the next call starts, it means the
    /// last call's future was dropped before the call ended (cancelled): its changes to the
    /// application's state are rolled back and the instance is poisoned.
    calling: bool,
}

impl<S: StoreData, L, M: Mode> Instance<S, L, M> {
    /// An instance around a store in which the plugin is `live`.
    fn assemble(
        maker: Arc<Maker<S, L, M>>,
        output: CapturedOutput,
        store: Store<S>,
        live: L,
    ) -> Self {
        Self {
            maker,
            output,
            store: Some(store),
            live: Some(live),
            calling: false,
        }
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.maker.name
    }

    /// The limits the instance runs under.
    pub fn limits(&self) -> &Limits {
        &self.maker.policy.limits
    }

    /// Marks the instance poisoned: the next call runs on a fresh instance. For host-side
    /// failures that leave the guest in a state the host cannot trust.
    pub fn poison(&mut self) {
        self.live = None;
    }

    /// The application's state in the store.
    pub fn data(&self) -> &S::Data {
        self.store().data().data()
    }

    /// The application's state in the store, to change it between calls.
    pub fn data_mut(&mut self) -> &mut S::Data {
        self.store_mut().data_mut().data_mut()
    }

    /// The plugin's captured stdout and stderr, across renewals.
    pub fn output(&self) -> &CapturedOutput {
        &self.output
    }

    /// The error for an instance without a live store, which renewing rules out.
    fn lost(&self) -> Error {
        Error::instantiate(
            &self.maker.name,
            wasmtime::format_err!("the instance could not be renewed"),
            None,
        )
    }

    /// A fresh store holding the same application state as the current one (as of the last
    /// commit), to instantiate the plugin in again.
    fn fresh_store(&mut self) -> Result<Store<S>, Error> {
        let wasi = self.maker.wasi(&self.output)?;
        let old = self.store.take().expect("an instance always has a store");
        Ok(self.maker.store(old.into_data().into_data(), wasi))
    }

    fn store(&self) -> &Store<S> {
        self.store.as_ref().expect("an instance always has a store")
    }

    fn store_mut(&mut self) -> &mut Store<S> {
        self.store.as_mut().expect("an instance always has a store")
    }
}

impl<S: StoreData, L> Instance<S, L, Blocking> {
    /// Instantiates the plugin `maker` makes in a new store holding `data`.
    pub(crate) fn new(maker: Arc<Maker<S, L>>, data: S::Data) -> Result<Self, Error> {
        let output = CapturedOutput::new(maker.policy.limits.output_bytes);
        let mut store = maker.store(data, maker.wasi(&output)?);
        let live = maker.live(&mut store)?;
        Ok(Self::assemble(maker, output, store, live))
    }

    /// Calls into the plugin through `f` (typically a `bindgen!` method: `|bindings, store|
    /// bindings.call_run(store)`), under the limits, with the application's state staged;
    /// `export` names the call in errors. On a poisoned instance, a fresh instance is made first.
    ///
    /// # Errors
    /// [`Error::Call`] if the call fails, with the [`Failure`](crate::Failure) that says why;
    /// [`Error::Instantiate`] if a fresh instance was due and could not be made.
    pub fn call<R>(
        &mut self,
        export: &str,
        f: impl FnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        self.ready()?;
        let (Some(live), Some(store)) = (&self.live, &mut self.store) else {
            return Err(self.lost());
        };
        let result = run(store, self.maker.budget, |store| f(live, store));
        result.map_err(|failed| {
            self.live = None;
            failed.call(&self.maker.name, export)
        })
    }

    /// Runs host-side code on the live instance without calling into it: no limits are set and
    /// nothing is staged. For reading or writing a core module's linear memory between calls.
    /// On a poisoned instance, a fresh instance is made first.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if a fresh instance was due and could not be made.
    pub fn with_live<R>(&mut self, f: impl FnOnce(&L, &mut Store<S>) -> R) -> Result<R, Error> {
        self.ready()?;
        match (&self.live, &mut self.store) {
            (Some(live), Some(store)) => Ok(f(live, store)),
            _ => Err(self.lost()),
        }
    }

    /// Renews the instance if it is poisoned.
    #[inline]
    fn ready(&mut self) -> Result<(), Error> {
        match self.live {
            Some(_) => Ok(()),
            None => self.renew(),
        }
    }

    /// A fresh store, and the plugin instantiated in it. Kept out of line: the call path
    /// only checks whether it is due.
    #[cold]
    #[inline(never)]
    fn renew(&mut self) -> Result<(), Error> {
        let mut store = self.fresh_store()?;
        let live = self.maker.live(&mut store);
        self.store = Some(store);
        self.live = Some(live?);
        Ok(())
    }
}

impl<S: StoreData, L: Send + Sync> Instance<S, L, Async> {
    /// Instantiates the plugin `maker` makes in a new store holding `data`, yielding at every
    /// epoch tick.
    pub(crate) async fn new_async(
        maker: Arc<Maker<S, L, Async>>,
        data: S::Data,
    ) -> Result<Self, Error> {
        let output = CapturedOutput::new(maker.policy.limits.output_bytes);
        let mut store = maker.store(data, maker.wasi(&output)?);
        let live = maker.live(&mut store).await?;
        Ok(Self::assemble(maker, output, store, live))
    }

    /// Calls into the plugin through `f`, an async closure (typically a `bindgen!` method of a
    /// world generated with `exports: { default: async }`: `async |bindings, store|
    /// bindings.call_run(store).await`), under the limits, with the application's state
    /// staged; `export` names the call in errors. On a poisoned instance, a fresh instance is
    /// made first.
    ///
    /// The guest yields to the runtime at every epoch tick ([`Limits::EPOCH_TICK`]), and so do
    /// the application's async host functions whenever they wait, so a call holds its worker
    /// thread for at most about one tick at a time. A call still past [`Limits::deadline`]
    /// fails with [`Failure::Timeout`](crate::Failure::Timeout), as a blocking one does.
    ///
    /// Dropping the future cancels the call: the guest does not run again, its changes to the
    /// application's state are rolled back, and the next call runs on a fresh instance. Other
    /// instances are not affected.
    ///
    /// # Errors
    /// As [`Instance::call`].
    pub async fn call_async<R>(
        &mut self,
        export: &str,
        f: impl AsyncFnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        self.ready_async().await?;
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
        let result = run_async(store, maker.budget, async |store| f(live, store).await).await;
        *calling = false;
        result.map_err(|failed| {
            self.live = None;
            failed.call(&self.maker.name, export)
        })
    }

    /// Renews the instance if it is poisoned, or if its last call was cancelled.
    async fn ready_async(&mut self) -> Result<(), Error> {
        if self.calling {
            self.calling = false;
            self.store_mut().data_mut().settle(false);
            self.live = None;
        }
        if self.live.is_some() {
            return Ok(());
        }
        let mut store = self.fresh_store()?;
        let live = self.maker.live(&mut store).await;
        self.store = Some(store);
        self.live = Some(live?);
        Ok(())
    }
}

impl<S: StoreData, L, M: Mode> std::fmt::Debug for Instance<S, L, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("plugin", &self.maker.name)
            .field("poisoned", &self.live.is_none())
            .finish_non_exhaustive()
    }
}

/// Guest code that failed: wasmtime's error, and the limit the store refused meanwhile.
pub(crate) struct Failed {
    source: wasmtime::Error,
    refused: Option<Limit>,
}

impl Failed {
    /// The error for a failed call of `export`.
    pub(crate) fn call(self, plugin: &str, export: &str) -> Error {
        Error::call(plugin, export, self.source, self.refused)
    }

    /// The error for a failed instantiation.
    pub(crate) fn instantiate(self, plugin: &str) -> Error {
        Error::instantiate(plugin, self.source, self.refused)
    }
}

/// What [`run`] sets before each call, worked out once per plugin from its [`Limits`].
#[derive(Debug, Clone, Copy)]
struct Budget {
    deadline_ticks: u64,
    fuel: Option<u64>,
}

impl Budget {
    fn new(limits: &Limits) -> Self {
        Self {
            deadline_ticks: limits.deadline_ticks(),
            fuel: limits.fuel,
        }
    }
}

/// Runs `f`, a call into the guest or an instantiation, on `store`.
///
/// Before: sets the epoch deadline ([`Limits::deadline`]) and the fuel ([`Limits::fuel`]).
/// After: commits the application's state (if touched) and forgets any growth the limiter
/// refused (the guest coped) if `f` succeeded; rolls the state back (if touched) and reports
/// the refused limit if not.
fn run<S: StoreData, R>(
    store: &mut Store<S>,
    budget: Budget,
    f: impl FnOnce(&mut Store<S>) -> wasmtime::Result<R>,
) -> Result<R, Failed> {
    store.set_epoch_deadline(budget.deadline_ticks);
    let result = refuel(store, budget).and_then(|()| f(store));
    settle(store, result)
}

/// As [`run`], for an async call: the guest yields to the runtime at every epoch tick, and
/// traps on the tick that ends its deadline, as in [`run`].
async fn run_async<S: StoreData, R>(
    store: &mut Store<S>,
    budget: Budget,
    f: impl AsyncFnOnce(&mut Store<S>) -> wasmtime::Result<R>,
) -> Result<R, Failed> {
    let mut ticks_left = budget.deadline_ticks;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| {
        ticks_left = ticks_left.saturating_sub(1);
        Ok(match ticks_left {
            0 => UpdateDeadline::Interrupt,
            _ => UpdateDeadline::Yield(1),
        })
    });
    let result = match refuel(store, budget) {
        Ok(()) => f(store).await,
        Err(error) => Err(error),
    };
    settle(store, result)
}

/// Sets the store's fuel to the budget's, if fuel is metered.
fn refuel<S>(store: &mut Store<S>, budget: Budget) -> wasmtime::Result<()> {
    match budget.fuel {
        Some(fuel) => store.set_fuel(fuel),
        None => Ok(()),
    }
}

/// Ends a call with `result`: see [`run`].
fn settle<S: StoreData, R>(store: &mut Store<S>, result: wasmtime::Result<R>) -> Result<R, Failed> {
    let state = store.data_mut();
    let refused = state.limiter().take_refused();
    state.settle(result.is_ok());
    result.map_err(|source| Failed { source, refused })
}
