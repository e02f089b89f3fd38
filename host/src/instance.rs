//! One live instance of a plugin, for every kind of plugin and both modes: its store, every
//! call into it under the limits with the host state staged, and a fresh instance after a
//! failure. This file is the blocking path; [`crate::asynchronous`] has the async one.

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use std::sync::atomic::{AtomicU64, Ordering};
use tracing::Level;
use wasmtime::Store;

use wasmtime::component::{Accessor, ResourceAny, ResourceTable};

use crate::component::ComponentState;
use crate::deadline::Deadline;
use crate::limits::Limit;
use crate::mode::{Blocking, Mode};
use crate::plugin::Maker;
use crate::profile::Profiler;
use crate::state::StoreData;
use crate::telemetry::{ExportMeter, Stopwatch};
use crate::{CapturedOutput, Error, Limits, Transactional};

/// One instance of a plugin, in a store of its own: what [`Plugin::instantiate`] gives, for
/// every kind of plugin.
///
/// `S` is the store's data (a [`StoreState`](crate::StoreState), holding the application's
/// state); `L` is what calls go through: the world's bindings for a component, the ABI's typed
/// exports for a core module, the wasmtime instance for calls by name. `M` is the host's mode:
/// [`Blocking`] (the default), where [`Instance::call`] blocks, or [`Async`](crate::Async),
/// where it is a future.
///
/// Every call goes through [`Instance::call`], which:
/// - sets the deadline and fuel of [`Limits`] (the store's other limits hold throughout);
/// - commits the application's state ([`Transactional::commit`](crate::Transactional::commit))
///   if the call succeeds and rolls it back if it fails, so a failed call leaves no trace in
///   it (both are skipped when nothing borrowed the state mutably since the last call: they
///   would change nothing);
/// - on failure returns [`ErrorKind::Call`](crate::ErrorKind::Call) naming the plugin, the
///   export and the [`Failure`](crate::Failure), drops the instance's host resources
///   ([`ComponentState::resources`]), and poisons the instance: wasmtime must not run a
///   component store again after a trap, and a core module's own state may be half-updated.
///   The next call then runs on a fresh instance of the same plugin, in a fresh store that
///   keeps the application's state and the captured output; handles kept from the old one
///   ([`GuestResource`]) are stale.
///
/// [`Plugin::instantiate`]: crate::Plugin::instantiate
pub struct Instance<S: StoreData, L: 'static, M: Mode = Blocking> {
    pub(crate) maker: Arc<Maker<S, L, M>>,
    pub(crate) output: CapturedOutput,
    /// Always `Some` between method calls: renewing takes the old store out and puts a new one
    /// back with nothing fallible in between.
    pub(crate) store: Option<Store<S>>,
    /// `None` while the instance is poisoned: its last call failed, or instantiating it afresh
    /// did.
    pub(crate) live: Option<L>,
    /// Async only: set while a call is under way. Still set when the next call starts, it
    /// means the last call's future was dropped before the call ended (cancelled): its changes
    /// to the application's state are rolled back and the instance is poisoned.
    pub(crate) calling: bool,
    /// The metric handles of the exports called so far, when something observes calls.
    meters: Vec<ExportMeter>,
    /// The profile the instance's calls are sampled into, if any.
    profiler: Option<Profiler>,
    /// Whether every call takes the watched path: metrics are on or a profiler is attached.
    watched: bool,
    /// Which instantiation the live instance is, unique in the process: what a
    /// [`GuestResource`] made by it carries.
    incarnation: u64,
    /// The wall-clock deadline of its concurrent calls, made at the first.
    deadline: Option<Arc<Deadline>>,
}

/// What a resource's destructor is called in errors and metrics.
pub(crate) const RESOURCE_DROP: &str = "[resource-drop]";

/// Numbers every instantiation in the process, for [`Instance::keep`].
static INCARNATIONS: AtomicU64 = AtomicU64::new(0);

fn next_incarnation() -> u64 {
    INCARNATIONS.fetch_add(1, Ordering::Relaxed)
}

/// A handle to a resource the plugin defines (an `own` wasmtime `ResourceAny`, returned by a
/// constructor or a function), tied to the instantiation that made it: what an application
/// keeps between calls ([`Instance::keep`]) and turns back into the handle for each call
/// ([`Instance::resource`]).
///
/// A guest resource lives in its instance: when the instance is renewed after a failed call,
/// or is dropped, the resource is gone, and the handle is stale. Using a stale handle answers
/// [`ErrorKind::StaleResource`](crate::ErrorKind::StaleResource) before anything is called,
/// instead of a failed call that would renew the instance again (wasmtime refuses a handle of
/// another instance only once it has entered the call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestResource {
    handle: ResourceAny,
    incarnation: u64,
}

impl GuestResource {
    /// Whether the handle is `own` (the application must drop it) rather than `borrow`.
    pub fn owned(&self) -> bool {
        self.handle.owned()
    }
}

impl<S: StoreData, L, M: Mode> Instance<S, L, M> {
    /// An instance around a store in which the plugin is `live`.
    pub(crate) fn assemble(
        maker: Arc<Maker<S, L, M>>,
        output: CapturedOutput,
        store: Store<S>,
        live: L,
    ) -> Self {
        maker.telemetry.born();
        let profiler = maker
            .profiler
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        Self {
            watched: maker.telemetry.metrics() || profiler.is_some(),
            profiler,
            maker,
            output,
            store: Some(store),
            live: Some(live),
            calling: false,
            meters: Vec::new(),
            incarnation: next_incarnation(),
            deadline: None,
        }
    }

    /// The wall-clock deadline of the instance's concurrent calls.
    pub(crate) fn deadline(&mut self) -> Arc<Deadline> {
        let policy = &self.maker.policy;
        self.deadline
            .get_or_insert_with(|| Arc::new(policy.clock.deadline(&policy.limits)))
            .clone()
    }

    /// Ties `handle`, a resource the live instance returned, to it: the application keeps
    /// the [`GuestResource`] between calls.
    pub fn keep(&self, handle: ResourceAny) -> GuestResource {
        GuestResource {
            handle,
            incarnation: self.incarnation,
        }
    }

    /// The handle `resource` stands for, to pass to a call of the live instance.
    ///
    /// # Errors
    /// [`ErrorKind::StaleResource`](crate::ErrorKind::StaleResource) if another
    /// instantiation made it: this instance was renewed since (or is due to be, after a failed
    /// call), or it is another instance's.
    pub fn resource(&self, resource: &GuestResource) -> Result<ResourceAny, Error> {
        if resource.incarnation == self.incarnation && self.live.is_some() {
            Ok(resource.handle)
        } else {
            Err(Error::new(crate::ErrorKind::StaleResource).with_plugin(&*self.maker.name))
        }
    }

    /// Marks a new instantiation: handles kept before are stale from now on.
    pub(crate) fn reincarnate(&mut self) {
        self.incarnation = next_incarnation();
    }

    /// Records a call of `export` that `watch` timed and that ended with `outcome`, in its
    /// span and in the plugin's metrics ([`Instance::count`]; the memory high-water mark and
    /// the dropped output are counted where they happen, by the limiter and the captured
    /// output).
    pub(crate) fn observe(
        &mut self,
        export: &str,
        span: &tracing::Span,
        watch: Stopwatch,
        outcome: Result<(), &Error>,
    ) {
        let took = watch.took();
        self.maker.telemetry.record(span, outcome, took);
        if self.maker.telemetry.metrics() {
            self.count(export, outcome, took);
        }
    }

    /// Counts a call of `export` that ended with `outcome` after `took` in the plugin's
    /// metrics, with the fuel it burnt. The metrics' own part of every call: kept lean.
    #[inline(always)]
    pub(crate) fn count(&mut self, export: &str, outcome: Result<(), &Error>, took: Duration) {
        let at = match self.meters.iter().position(|meter| meter.is(export)) {
            Some(at) => at,
            None => self.add_meter(export),
        };
        let meter = &self.meters[at];
        match outcome {
            Ok(()) => meter.ok.increment(1),
            Err(_) => self.maker.telemetry.failed(meter, outcome),
        }
        meter.duration.record(took.as_secs_f64());
        if let (Some(budget), Some(store)) = (self.maker.budget.fuel, &self.store) {
            meter
                .fuel
                .increment(budget.saturating_sub(store.get_fuel().unwrap_or(budget)));
        }
    }

    /// Registers the metrics of `export`, called for the first time on this instance; returns
    /// where they are.
    #[cold]
    fn add_meter(&mut self, export: &str) -> usize {
        let fuel_metered = self.maker.budget.fuel.is_some();
        self.meters
            .push(self.maker.telemetry.export(export, fuel_metered));
        self.meters.len() - 1
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.maker.name
    }

    /// The limits the instance runs under.
    pub fn limits(&self) -> &Limits {
        &self.maker.policy.limits
    }

    /// Samples the instance's calls into `profiler` from now on (`None`: stops sampling), in
    /// place of the plugin's ([`Plugin::profile`](crate::Plugin::profile)). Blocking calls only.
    pub fn profile(&mut self, profiler: Option<&Profiler>) {
        self.profiler = profiler.cloned();
        self.watched = self.maker.telemetry.metrics() || self.profiler.is_some();
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
    pub(crate) fn lost(&self) -> Error {
        Error::instantiate(
            &self.maker.name,
            wasmtime::format_err!("the instance could not be renewed"),
            None,
        )
    }

    /// A fresh store holding the same application state as the current one (as of the last
    /// commit), to instantiate the plugin in again.
    pub(crate) fn fresh_store(&mut self) -> Result<Store<S>, Error> {
        let wasi = self.maker.wasi(&self.output)?;
        let old = self.store.take().expect("an instance always has a store");
        Ok(self.maker.store(old.into_data().into_data(), wasi))
    }

    fn store(&self) -> &Store<S> {
        self.store.as_ref().expect("an instance always has a store")
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store<S> {
        self.store.as_mut().expect("an instance always has a store")
    }
}

impl<T: Transactional + Send + 'static, L, M: Mode> Instance<ComponentState<T>, L, M> {
    /// The instance's table of host resources ([`ComponentState::resources`]): where the
    /// application finds what a `Resource<R>` the plugin returned stands for.
    pub fn resources(&mut self) -> &mut ResourceTable {
        self.store_mut().data_mut().resources()
    }
}

impl<S: StoreData, L> Maker<S, L, Blocking> {
    /// Instantiates the plugin in `store`, under the limits; `renewal` if it replaces an
    /// instance whose call failed.
    fn live(&self, store: &mut Store<S>, renewal: bool) -> Result<L, Error> {
        let instantiate = |store: &mut Store<S>| {
            run(store, self.budget, |store| {
                self.instantiate.instantiate(store)
            })
            .map_err(|failed| failed.instantiate(&self.name))
        };
        if !self.telemetry.instantiations_observed() {
            return instantiate(store);
        }
        let span = self.telemetry.instantiate_span();
        let watch = Stopwatch::start();
        let live = span.in_scope(|| instantiate(store));
        let outcome = live.as_ref().map(|_| ());
        self.telemetry
            .instantiated(&span, outcome, watch.took(), renewal);
        live
    }
}

impl<S: StoreData, L> Instance<S, L, Blocking> {
    /// Instantiates the plugin `maker` makes in a new store holding `data`.
    pub(crate) fn new(maker: Arc<Maker<S, L, Blocking>>, data: S::Data) -> Result<Self, Error> {
        let output = maker.output();
        let mut store = maker.store(data, maker.wasi(&output)?);
        let live = maker.live(&mut store, false)?;
        Ok(Self::assemble(maker, output, store, live))
    }

    /// Calls into the plugin through `f` (typically a `bindgen!` method: `|bindings, store|
    /// bindings.call_run(store)`), under the limits, with the application's state staged;
    /// `export` names the call in errors. On a poisoned instance, a fresh instance is made first.
    ///
    /// # Errors
    /// [`ErrorKind::Call`](crate::ErrorKind::Call) if the call fails, with the
    /// [`Failure`](crate::Failure) that says why;
    /// [`ErrorKind::Instantiate`](crate::ErrorKind::Instantiate) if a fresh instance was due
    /// and could not be made.
    ///
    /// The call is a span and is counted and timed in the plugin's metrics when anything
    /// observes calls ([`crate::telemetry`]).
    pub fn call<R>(
        &mut self,
        export: &str,
        f: impl FnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        if self.watched || tracing::enabled!(target: "plugin_host", tracing::Level::DEBUG) {
            return self.call_watched(export, f);
        }
        self.call_plain(export, f, None)
    }

    /// [`Instance::call`] without telemetry: renews the instance if due, runs `f` under the
    /// limits (sampled into `profiler`, if given), poisons the instance if it fails. Always
    /// inlined: the unwatched call passes `None`, and the sampling falls away.
    #[inline(always)]
    fn call_plain<R>(
        &mut self,
        export: &str,
        f: impl FnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
        profiler: Option<&Profiler>,
    ) -> Result<R, Error> {
        self.ready()?;
        let (Some(live), Some(store)) = (&self.live, &mut self.store) else {
            return Err(self.lost());
        };
        let budget = match profiler {
            None => self.maker.budget,
            Some(profiler) => profiler.sample(store, self.maker.budget),
        };
        let result = run(store, budget, |store| f(live, store));
        if profiler.is_some() {
            store.epoch_deadline_trap();
        }
        result.map_err(|failed| {
            self.live = None;
            failed.call(&self.maker.name, export)
        })
    }

    /// [`Instance::call`] when something watches it: in its span, timed and recorded if
    /// telemetry observes calls, sampled if a profiler is attached. Kept out of line: the
    /// call path above only checks whether it is due.
    #[inline(never)]
    fn call_watched<R>(
        &mut self,
        export: &str,
        f: impl FnOnce(&L, &mut Store<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        let spans = tracing::enabled!(target: "plugin_host", Level::DEBUG);
        let observed = spans || self.maker.telemetry.metrics();
        if !spans && self.profiler.is_none() {
            // Metrics alone (what makes a call watched without spans or a profiler): the plain
            // path, timed and counted.
            let watch = Stopwatch::start();
            let result = self.call_plain(export, f, None);
            let took = watch.took();
            self.count(export, result.as_ref().map(|_| ()), took);
            return result;
        }
        let span = match spans {
            true => self.maker.telemetry.call_span(export),
            false => tracing::Span::none(),
        };
        let profiler = self.profiler.clone();
        let watch = Stopwatch::start();
        let result = span.in_scope(|| self.call_plain(export, f, profiler.as_ref()));
        if observed {
            self.observe(export, &span, watch, result.as_ref().map(|_| ()));
        }
        result
    }

    /// Calls into the plugin through the component model's concurrent ABI (WASI 0.3): `f`
    /// gets the bindings and an [`Accessor`] to the store, inside wasmtime's
    /// `Store::run_concurrent`, and makes its calls with `call_concurrent` (what `bindgen!`
    /// generates for an `async func` export, and for every export of a world generated with
    /// `exports: { default: async | store }`). Several calls may run at once inside `f` (join
    /// their futures); streams and futures the calls take or return are read and written while
    /// `f` runs, and async host functions run on wasmtime-wasi's ambient tokio runtime. The
    /// call blocks until `f` ends.
    ///
    /// Everything else is [`Instance::call`]'s: the deadline and fuel hold for the whole of
    /// `f` (every call in it), the application's state is staged, and a failure fails every
    /// call in flight, rolls the state back and renews the instance for the next call. The
    /// deadline holds in wall time too, while the guest waits with no code running (on a
    /// future it never writes, a stream it never reads, a task that never resolves): `f` still
    /// waiting a deadline after it first waited fails with
    /// [`Failure::Timeout`](crate::Failure::Timeout).
    ///
    /// Needs a host with [`HostConfig::component_model_async`](crate::HostConfig::component_model_async).
    ///
    /// # Errors
    /// As [`Instance::call`]; [`Failure::Host`](crate::Failure::Host) if the host has no
    /// component-model async.
    ///
    /// # Panics
    /// If called from inside an async runtime's task (tokio's `block_on` refuses to nest): an
    /// async application uses an [`Async`](crate::Async) host, whose `call_concurrent` is a
    /// future.
    // Out of line: a function that dispatches on a plugin's version (`contract!`'s
    // `versioned_call!`) has a blocking arm per plain version beside this one, and this body
    // (the runtime, the event loop) inlined there kept the compiler from inlining wasmtime's
    // typed call into the blocking arms: `component point-add` cost 1.074x bare wasmtime
    // inlined, 1.044x out of line (BENCHMARKS.md, "Component-model async").
    #[inline(never)]
    pub fn call_concurrent<R>(
        &mut self,
        export: &str,
        f: impl AsyncFnOnce(&L, &Accessor<S>) -> wasmtime::Result<R>,
    ) -> Result<R, Error> {
        let deadline = self.deadline();
        self.call(export, |live, store| {
            crate::component::block_on(concurrently(store, &deadline, live, f))?
        })
    }

    /// Drops a resource of the plugin's that the application owns: runs its destructor in the
    /// guest, under the limits, as a call named `[resource-drop]`. A stale handle (its
    /// instance is gone, and the resource with it) is dropped already: nothing happens.
    ///
    /// wasmtime keeps what it knows of an `own` handle the host holds until it is dropped or
    /// the instance is: drop each one the application is done with.
    ///
    /// # Errors
    /// As [`Instance::call`], when the destructor fails.
    pub fn drop_resource(&mut self, resource: GuestResource) -> Result<(), Error> {
        let Ok(handle) = self.resource(&resource) else {
            return Ok(());
        };
        let async_entry = self.maker.async_entry;
        self.call(RESOURCE_DROP, |_, store| match async_entry {
            true => crate::component::block_on(handle.resource_drop_async(store)),
            false => handle.resource_drop(store),
        })
    }

    /// Runs host-side code on the live instance without calling into it: no limits are set and
    /// nothing is staged. For reading or writing a core module's linear memory between calls.
    /// On a poisoned instance, a fresh instance is made first.
    ///
    /// # Errors
    /// [`ErrorKind::Instantiate`](crate::ErrorKind::Instantiate) if a fresh instance was due
    /// and could not be made.
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
        self.reincarnate();
        let mut store = self.fresh_store()?;
        let live = self.maker.live(&mut store, true);
        self.store = Some(store);
        self.live = Some(live?);
        Ok(())
    }
}

/// What every instance has, whatever its world, kind and mode, for stores holding the
/// application's state `T`: for code that holds instances of several types as one (the
/// versions of a contract, `contract!`'s `VersionedInstance`).
pub trait AnyInstance<T> {
    /// [`Instance::name`].
    fn name(&self) -> &str;
    /// [`Instance::limits`].
    fn limits(&self) -> &Limits;
    /// [`Instance::data`].
    fn data(&self) -> &T;
    /// [`Instance::data_mut`].
    fn data_mut(&mut self) -> &mut T;
    /// [`Instance::output`].
    fn output(&self) -> &CapturedOutput;
    /// [`Instance::poison`].
    fn poison(&mut self);
    /// [`Instance::profile`].
    fn profile(&mut self, profiler: Option<&Profiler>);
    /// [`Instance::keep`].
    fn keep(&self, handle: ResourceAny) -> GuestResource;
    /// [`Instance::resource`].
    ///
    /// # Errors
    /// As [`Instance::resource`].
    fn resource(&self, resource: &GuestResource) -> Result<ResourceAny, Error>;
}

impl<S: StoreData, L, M: Mode> AnyInstance<S::Data> for Instance<S, L, M> {
    fn name(&self) -> &str {
        Instance::name(self)
    }

    fn limits(&self) -> &Limits {
        Instance::limits(self)
    }

    fn data(&self) -> &S::Data {
        Instance::data(self)
    }

    fn data_mut(&mut self) -> &mut S::Data {
        Instance::data_mut(self)
    }

    fn output(&self) -> &CapturedOutput {
        Instance::output(self)
    }

    fn poison(&mut self) {
        Instance::poison(self);
    }

    fn profile(&mut self, profiler: Option<&Profiler>) {
        Instance::profile(self, profiler);
    }

    fn keep(&self, handle: ResourceAny) -> GuestResource {
        Instance::keep(self, handle)
    }

    fn resource(&self, resource: &GuestResource) -> Result<ResourceAny, Error> {
        Instance::resource(self, resource)
    }
}

impl<S: StoreData, L, M: Mode> Drop for Instance<S, L, M> {
    fn drop(&mut self) {
        self.maker.telemetry.died();
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

/// Runs `f` on `live` inside `store`'s `run_concurrent`, and fails it as a trap of the epoch
/// deadline would (so that the call fails as a timeout) if it still waits once `deadline`
/// has passed: running guest code is held to the epoch deadline, a call that waits (on the
/// host, a stream, a future) is woken by the epoch ticker ([`crate::deadline`]).
///
/// The future is `run_concurrent`'s own, with the timer inside it: no layer of the library's
/// around it to move (BENCHMARKS.md, "Component-model async"). Its output is
/// `run_concurrent`'s: the store's error around `f`'s result.
pub(crate) fn concurrently<'a, S: Send + 'static, L, R: 'a>(
    store: &'a mut Store<S>,
    deadline: &'a Deadline,
    live: &'a L,
    f: impl AsyncFnOnce(&L, &Accessor<S>) -> wasmtime::Result<R> + 'a,
) -> impl Future<Output = wasmtime::Result<wasmtime::Result<R>>> + 'a {
    store.run_concurrent(async move |accessor| {
        let mut call = std::pin::pin!(f(live, accessor));
        deadline.start();
        let result = std::future::poll_fn(|context| match call.as_mut().poll(context) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending if deadline.passed(context) => {
                Poll::Ready(Err(wasmtime::Trap::Interrupt.into()))
            }
            Poll::Pending => Poll::Pending,
        })
        .await;
        deadline.stop();
        result
    })
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
pub(crate) struct Budget {
    pub(crate) deadline_ticks: u64,
    pub(crate) fuel: Option<u64>,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
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

/// Sets the store's fuel to the budget's, if fuel is metered.
pub(crate) fn refuel<S>(store: &mut Store<S>, budget: Budget) -> wasmtime::Result<()> {
    match budget.fuel {
        Some(fuel) => store.set_fuel(fuel),
        None => Ok(()),
    }
}

/// Ends a call with `result`: see [`run`].
pub(crate) fn settle<S: StoreData, R>(
    store: &mut Store<S>,
    result: wasmtime::Result<R>,
) -> Result<R, Failed> {
    let state = store.data_mut();
    let refused = state.limiter().take_refused();
    state.settle(result.is_ok());
    result.map_err(|source| Failed { source, refused })
}
