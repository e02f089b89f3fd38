//! Core-module plugins: no component model, just a module's `extern "C"` exports, imports
//! defined in a wasmtime `Linker`, and data passed through linear memory.
//!
//! The application describes its ABI by implementing [`CoreBindings`] (which exports a module
//! must have, and how to look them up in an instance), adds its host functions to
//! [`PluginHost::core_linker_mut`](crate::PluginHost::core_linker_mut) with `func_wrap`, and
//! reads and writes guest memory through [`memory`], which checks every access.

pub(crate) mod linking;
pub mod memory;

use std::fmt::Display;
use std::sync::Arc;

use wasmtime::{Instance as WasmInstance, Linker, Module, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::grants::Policy;
use crate::instance::{Maker, StoreData, sealed};
use crate::limits::Limiter;
use crate::staging::Staged;
use crate::{Error, Instance, Limits, Transactional};

/// An optional export that WASI reactors (such as Rust `cdylib`s for `wasm32-wasip1`) need
/// called once, before any other export; the host calls it after instantiating.
pub const INITIALIZE: &str = "_initialize";

/// What a core-module instance's store holds: the application's state `T`, WASI preview 1
/// (granting only the host's [`Grants`](crate::Grants)) and the store's resource limiter.
pub struct CoreState<T> {
    data: Staged<T>,
    wasi: WasiP1Ctx,
    limiter: Limiter,
}

impl<T: Transactional> CoreState<T> {
    /// The application's state, for host functions: `caller.data_mut().data_mut()`.
    pub fn data_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Transactional + Send + 'static> StoreData for CoreState<T> {
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
            wasi: wasi.build_p1(),
            limiter: Limiter::new(limits),
        }
    }

    fn limiter(&mut self) -> &mut Limiter {
        &mut self.limiter
    }

    fn into_data(self) -> T {
        self.data.into_inner()
    }
}

impl<T> sealed::Sealed for CoreState<T> {}

/// Adds WASI preview 1 to `linker`; the grants are the store's.
pub(crate) fn add_wasi<T: Send + 'static>(
    linker: &mut Linker<CoreState<T>>,
) -> wasmtime::Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |state| &mut state.wasi)
}

/// Instantiates `pre` in `store` and runs its [`INITIALIZE`] export, if it has one.
pub(crate) fn instantiate<T: 'static>(
    pre: &wasmtime::InstancePre<CoreState<T>>,
    store: &mut Store<CoreState<T>>,
) -> wasmtime::Result<WasmInstance> {
    let instance = pre.instantiate(&mut *store)?;
    initialize(instance, store)
}

/// Runs the [`INITIALIZE`] export of a fresh `instance`, if it has one.
pub(crate) fn initialize<T: 'static>(
    instance: WasmInstance,
    store: &mut Store<CoreState<T>>,
) -> wasmtime::Result<WasmInstance> {
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut *store, INITIALIZE) {
        initialize.call(&mut *store, ())?;
    }
    Ok(instance)
}

/// An ABI for core modules: which exports a module must have, and the typed functions (and
/// memory) looked up once per instance, through which calls go.
pub trait CoreBindings: Sized + Send + 'static {
    /// The application's per-instance state, which the host functions act on.
    type Data: Transactional + Send + 'static;
    /// The ABI's name, for errors: `the seed ABI`.
    const ABI: &'static str;

    /// Every way `module` misses the ABI (a missing or mistyped export), one sentence each;
    /// empty when it fits. Imports are checked against the linker separately.
    fn check(module: &Module) -> Vec<String>;

    /// Looks up the ABI's exports in a fresh instance.
    ///
    /// # Errors
    /// wasmtime's, if an export is missing or mistyped ([`CoreBindings::check`] passed, so
    /// this is not expected).
    fn new(
        instance: &WasmInstance,
        store: &mut Store<CoreState<Self::Data>>,
    ) -> wasmtime::Result<Self>;
}

/// An instance of a core-module plugin of the ABI `B`; calls go through `B` with
/// [`Instance::call`], and guest memory is reached between calls with [`Instance::with_live`].
pub type CoreInstance<B> = Instance<CoreState<<B as CoreBindings>::Data>, B>;

/// A core-module plugin, compiled, checked against the ABI `B` and pre-linked.
///
/// Cheap to clone and to share across threads; each [`CorePlugin::instantiate`] gives an
/// independent [`CoreInstance`].
pub struct CorePlugin<B: CoreBindings> {
    maker: Arc<Maker<CoreState<B::Data>, B>>,
}

impl<B: CoreBindings> Clone for CorePlugin<B> {
    fn clone(&self) -> Self {
        Self {
            maker: self.maker.clone(),
        }
    }
}

impl<B: CoreBindings> std::fmt::Debug for CorePlugin<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorePlugin")
            .field("name", &self.maker.name)
            .field("abi", &B::ABI)
            .finish_non_exhaustive()
    }
}

impl<B: CoreBindings> CorePlugin<B> {
    /// Checks `module` against the ABI `B` and pre-links it against `linker`.
    pub(crate) fn new(
        name: Arc<str>,
        module: &Module,
        linker: &Linker<CoreState<B::Data>>,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let mut problems = B::check(module);
        let pre = linker.instantiate_pre(module);
        if let Err(error) = &pre {
            problems.push(format!("{error:#}"));
        }
        let pre = match pre {
            Ok(pre) if problems.is_empty() => pre,
            _ => {
                return Err(Error::AbiMismatch {
                    plugin: name.to_string(),
                    abi: B::ABI,
                    problems,
                });
            }
        };
        let engine = module.engine().clone();
        let maker = Maker::new(name, engine, policy, move |store| {
            let instance = instantiate(&pre, store)?;
            B::new(&instance, store)
        });
        Ok(Self { maker })
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.maker.name
    }

    /// Creates a fresh instance in a store of its own holding `data`, under the host's
    /// [`Limits`], and runs its [`INITIALIZE`] export, if it has one.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the module's start function or `_initialize` traps or runs
    /// into a limit, or a granted directory cannot be opened.
    pub fn instantiate(&self, data: B::Data) -> Result<CoreInstance<B>, Error> {
        Instance::new(self.maker.clone(), data)
    }
}

/// A core signature as `(i32, i32) -> (i64)`, the way `wasm-tools` prints it.
pub fn signature<T: Display>(
    params: impl Iterator<Item = T>,
    results: impl Iterator<Item = T>,
) -> String {
    fn list<T: Display>(types: impl Iterator<Item = T>) -> String {
        types.map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
    }
    format!("({}) -> ({})", list(params), list(results))
}
