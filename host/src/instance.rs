//! One live instance of a plugin, for every kind of plugin and both modes: its store, every
//! call into it under the limits with the host state staged, and a fresh instance after a
//! failure. This file is the blocking path; [`crate::asynchronous`] has the async one.

use std::sync::Arc;
use std::time::Duration;

use tracing::Level;
use wasmtime::Store;

use crate::limits::Limit;
use crate::mode::{Blocking, Mode};
use crate::plugin::Maker;
use crate::profile::Profiler;
use crate::state::StoreData;
use crate::telemetry::{ExportMeter, Stopwatch};
use crate::{CapturedOutput, Error, Limits};

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
///   export and the [`Failure`](crate::Failure), and poisons the instance: wasmtime must not
///   run a component store again after a trap, and a core module's own state may be
///   half-updated. The next call then runs on a fresh instance of the same plugin, in a fresh
///   store that keeps the application's state and the captured output.
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
        }
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
        let mut store = self.fresh_store()?;
        let live = self.maker.live(&mut store, true);
        self.store = Some(store);
        self.live = Some(live?);
        Ok(())
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
