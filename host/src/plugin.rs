//! A plugin: compiled, checked and pre-linked, ready to instantiate. One type for every kind of
//! plugin and both modes.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use tracing::level_filters::LevelFilter;
use wasmtime::{Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;

use crate::grants::Policy;
use crate::instance::Budget;
use crate::mode::{Blocking, Mode};
use crate::profile::{Code, Profiler};
use crate::state::StoreData;
use crate::telemetry::Telemetry;
use crate::{CapturedOutput, Error, Grants, Instance, Limits};

/// A plugin compiled by a host's engine, checked (against a world, an ABI, or only the host's
/// linker for calls by name) and pre-linked (wasmtime's `InstancePre`): instantiating it only
/// creates a store and runs the plugin's initialisation. What
/// [`PluginHost::component`](crate::PluginHost::component),
/// [`PluginHost::core_module`](crate::PluginHost::core_module) and
/// [`PluginHost::dynamic`](crate::PluginHost::dynamic) give.
///
/// `S` is what its stores hold ([`StoreState`](crate::StoreState), with the application's
/// state); `L` is what calls go through: the world's bindings for a component, the ABI's typed
/// exports for a core module, the wasmtime instance for calls by name. `M` is the host's mode
/// ([`Blocking`] or [`Async`](crate::Async)): it decides whether
/// [`Plugin::instantiate`] and the instance's calls block or are futures.
///
/// Cheap to clone and to share across threads; each instantiation gives an independent
/// [`Instance`].
pub struct Plugin<S: 'static, L: 'static, M: Mode = Blocking> {
    pub(crate) maker: Arc<Maker<S, L, M>>,
}

impl<S: StoreData, L, M: Mode> Plugin<S, L, M> {
    /// A plugin named `name`, checked against `world` (the world's or ABI's name, or empty),
    /// running `code`, whose instances `instantiate` puts into their stores; `async_entry` if
    /// `engine` is the host's engine with the component model's async ABI.
    pub(crate) fn new(
        name: Arc<str>,
        world: &'static str,
        code: Vec<Code>,
        engine: Engine,
        policy: Arc<Policy>,
        instantiate: Box<M::Instantiate<S, L>>,
        async_entry: bool,
    ) -> Self {
        Self {
            maker: Arc::new(Maker {
                async_entry,
                telemetry: Telemetry::new(name.clone(), world, policy.metrics),
                code,
                profiler: Mutex::new(None),
                name,
                engine,
                budget: Budget::new(&policy.limits),
                policy,
                instantiate,
                mode: PhantomData,
            }),
        }
    }
}

impl<S, L, M: Mode> Plugin<S, L, M> {
    /// The name the plugin was loaded under: its path as given, or the name given with its
    /// bytes (`a.wasm + b.wasm` for a chain).
    pub fn name(&self) -> &str {
        &self.maker.name
    }

    /// The limits the plugin's instances run under: the host's, narrowed by its manifest.
    pub fn limits(&self) -> &Limits {
        &self.maker.policy.limits
    }

    /// The WASI capabilities the plugin's instances get: the host's, or the subset its
    /// manifest asks for.
    pub fn grants(&self) -> &Grants {
        &self.maker.policy.grants
    }

    /// A new profile of the plugin's code, for [`Plugin::profile`] or
    /// [`Instance::profile`] ([`crate::profile`]).
    ///
    /// # Errors
    /// [`ErrorKind::Setup`](crate::ErrorKind::Setup) if wasmtime cannot profile the code.
    pub fn profiler(&self) -> Result<Profiler, Error> {
        Profiler::new(
            self.maker.name.clone(),
            &self.maker.engine,
            &self.maker.code,
        )
    }

    /// Samples every instance the plugin makes from now on into `profiler` (`None`: none
    /// is sampled). Instances made before keep what they had ([`Instance::profile`]).
    pub fn profile(&self, profiler: Option<&Profiler>) {
        let mut current = self
            .maker
            .profiler
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *current = profiler.cloned();
    }

    /// The most verbose of the plugin's log messages the application should keep, as its
    /// manifest's `log` key gives it (`log = "warn"`); `LevelFilter::TRACE` (everything) if it
    /// is silent. The library does not see an application's log functions: they ask this (for
    /// example when making the instance's state) to quiet a noisy plugin without quieting the
    /// rest.
    pub fn log_level(&self) -> LevelFilter {
        self.maker.policy.log.unwrap_or(LevelFilter::TRACE)
    }
}

impl<S: StoreData, L> Plugin<S, L, Blocking> {
    /// Creates a fresh instance in a store of its own holding `data`, under the plugin's
    /// [`Limits`] and [`Grants`], and runs the plugin's initialisation (a core module's
    /// [`INITIALIZE`](crate::core_module::INITIALIZE) export, if it has one).
    ///
    /// The instance's WASI grants nothing beyond the plugin's grants (never the network;
    /// stdin closed) and its stdout and stderr are captured, up to [`Limits::output_bytes`]
    /// each ([`Instance::output`]).
    ///
    /// # Errors
    /// [`ErrorKind::Instantiate`](crate::ErrorKind::Instantiate) if the plugin traps or runs
    /// into a limit while initialising, or a granted directory cannot be opened.
    pub fn instantiate(&self, data: S::Data) -> Result<Instance<S, L>, Error> {
        Instance::new(self.maker.clone(), data)
    }
}

/// What every plugin has, whatever its world, kind and mode: for code that holds plugins of
/// several types as one (the versions of a contract, `contract!`'s `VersionedPlugin`).
pub trait AnyPlugin {
    /// [`Plugin::name`].
    fn name(&self) -> &str;
    /// [`Plugin::limits`].
    fn limits(&self) -> &Limits;
    /// [`Plugin::grants`].
    fn grants(&self) -> &Grants;
    /// [`Plugin::log_level`].
    fn log_level(&self) -> LevelFilter;
    /// [`Plugin::profiler`].
    ///
    /// # Errors
    /// As [`Plugin::profiler`].
    fn profiler(&self) -> Result<Profiler, Error>;
    /// [`Plugin::profile`].
    fn profile(&self, profiler: Option<&Profiler>);
}

impl<S, L, M: Mode> AnyPlugin for Plugin<S, L, M> {
    fn name(&self) -> &str {
        Plugin::name(self)
    }

    fn limits(&self) -> &Limits {
        Plugin::limits(self)
    }

    fn grants(&self) -> &Grants {
        Plugin::grants(self)
    }

    fn log_level(&self) -> LevelFilter {
        Plugin::log_level(self)
    }

    fn profiler(&self) -> Result<Profiler, Error> {
        Plugin::profiler(self)
    }

    fn profile(&self, profiler: Option<&Profiler>) {
        Plugin::profile(self, profiler);
    }
}

impl<S, L, M: Mode> Clone for Plugin<S, L, M> {
    fn clone(&self) -> Self {
        Self {
            maker: self.maker.clone(),
        }
    }
}

impl<S, L, M: Mode> std::fmt::Debug for Plugin<S, L, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.maker.name)
            .field("bindings", &std::any::type_name::<L>())
            .finish_non_exhaustive()
    }
}

/// How a plugin makes instances: shared by the plugin and each of its instances, so an
/// instance can renew itself.
pub(crate) struct Maker<S: 'static, L: 'static, M: Mode> {
    pub(crate) name: Arc<str>,
    pub(crate) engine: Engine,
    pub(crate) policy: Arc<Policy>,
    pub(crate) budget: Budget,
    pub(crate) instantiate: Box<M::Instantiate<S, L>>,
    pub(crate) telemetry: Telemetry,
    /// Whether the plugin runs on the host's engine with the component model's async ABI, where
    /// its imports (WASI's async form, `async func`s) make wasmtime require async entry points
    /// (`instantiate_async`, `call_async`, `call_concurrent`) in its stores.
    pub(crate) async_entry: bool,
    /// What the plugin runs, for its profiler.
    code: Vec<Code>,
    /// The profiler every new instance is attached to ([`Plugin::profile`]), if any.
    pub(crate) profiler: Mutex<Option<Profiler>>,
    mode: PhantomData<fn() -> M>,
}

impl<S: StoreData, L, M: Mode> Maker<S, L, M> {
    /// A WASI context granting only the policy's grants and writing to `output`.
    pub(crate) fn wasi(&self, output: &CapturedOutput) -> Result<WasiCtxBuilder, Error> {
        output
            .wasi(&self.policy.grants)
            .map_err(|source| Error::instantiate(&self.name, source, None))
    }

    /// Empty captured output for a new instance, counting what it drops in the plugin's
    /// metrics.
    pub(crate) fn output(&self) -> CapturedOutput {
        CapturedOutput::new(
            self.policy.limits.output_bytes,
            self.telemetry.output_dropped(),
        )
    }

    /// A new store holding `data`.
    pub(crate) fn store(&self, data: S::Data, wasi: WasiCtxBuilder) -> Store<S> {
        let limits = &self.policy.limits;
        let mut store = Store::new(&self.engine, S::assemble(data, wasi, limits));
        store
            .data_mut()
            .limiter()
            .watch_memory(self.telemetry.memory_mark());
        store.limiter(|state| state.limiter());
        store.set_hostcall_fuel(limits.lifted_bytes);
        store.set_max_component_handles(limits.component_handles);
        M::prepare(&mut store);
        store
    }
}

/// What puts a plugin into a store for blocking calls: instantiates it and looks up what calls
/// go through (`L`). Closures are instantiators; so is every pre-linked form the library has.
pub trait Instantiate<S, L>: Send + Sync + 'static {
    /// Instantiates the plugin in `store`.
    ///
    /// # Errors
    /// wasmtime's, if initialising traps, runs into a limit, or an export is missing.
    fn instantiate(&self, store: &mut Store<S>) -> wasmtime::Result<L>;
}

impl<S, L, F> Instantiate<S, L> for F
where
    F: Fn(&mut Store<S>) -> wasmtime::Result<L> + Send + Sync + 'static,
{
    fn instantiate(&self, store: &mut Store<S>) -> wasmtime::Result<L> {
        self(store)
    }
}
