//! Core-module plugins: no component model, just a module's `extern "C"` exports, imports
//! defined in a wasmtime `Linker`, and data passed through linear memory.
//!
//! The application describes its ABI by implementing [`CoreBindings`] (which exports a module
//! must have, and how to look them up in an instance), adds its host functions with
//! [`PluginHost::link_core`](crate::PluginHost::link_core) (`func_wrap` on the core linker),
//! and reads and writes guest memory through [`memory`], which checks every access.

pub mod memory;

use std::fmt::Display;
use std::marker::PhantomData;
use std::sync::Arc;

use wasmtime::{Instance as WasmInstance, Linker, Module, Store};

use crate::asynchronous::{BoxFuture, InstantiateAsync};
use crate::grants::Policy;
use crate::kind::{self, Kind};
use crate::mode::Mode;
use crate::plugin::Instantiate;
use crate::profile::Code;
use crate::{Error, ErrorKind, Instance, Plugin, Transactional};

pub use crate::state::CoreState;

/// An optional export that WASI reactors (such as Rust `cdylib`s for `wasm32-wasip1`) need
/// called once, before any other export; the host calls it after instantiating.
pub const INITIALIZE: &str = "_initialize";

/// Runs the [`INITIALIZE`] export of a fresh `instance`, if it has one.
pub(crate) fn initialize<T: 'static>(
    instance: WasmInstance,
    store: &mut Store<CoreState<T>>,
) -> wasmtime::Result<()> {
    match instance.get_typed_func::<(), ()>(&mut *store, INITIALIZE) {
        Ok(initialize) => initialize.call(&mut *store, ()),
        Err(_) => Ok(()),
    }
}

/// As [`initialize`], for a store whose calls are async.
pub(crate) async fn initialize_async<T: Send + 'static>(
    instance: WasmInstance,
    store: &mut Store<CoreState<T>>,
) -> wasmtime::Result<()> {
    match instance.get_typed_func::<(), ()>(&mut *store, INITIALIZE) {
        Ok(initialize) => initialize.call_async(&mut *store, ()).await,
        Err(_) => Ok(()),
    }
}

/// An ABI for core modules: which exports a module must have, and the typed functions (and
/// memory) looked up once per instance, through which calls go; for stores holding the
/// application's state `T`.
pub trait CoreBindings<T: 'static>: Sized + Send + 'static {
    /// The ABI's name, for errors: `the calculator ABI`.
    const ABI: &'static str;

    /// Every way `module` misses the ABI (a missing or mistyped export), one sentence each;
    /// empty when it fits. Imports are checked against the linker separately.
    fn check(module: &Module) -> Vec<String>;

    /// Looks up the ABI's exports in a fresh instance.
    ///
    /// # Errors
    /// wasmtime's, if an export is missing or mistyped ([`CoreBindings::check`] passed, so
    /// this is not expected).
    fn new(instance: &WasmInstance, store: &mut Store<CoreState<T>>) -> wasmtime::Result<Self>;
}

/// A core-module plugin of the ABI `B`, for stores holding `T`, in the host's mode `M`.
pub type CorePlugin<B, T, M = crate::Blocking> = Plugin<CoreState<T>, B, M>;

/// An instance of a [`CorePlugin`]; calls go through `B` with [`Instance::call`], and guest
/// memory is reached between calls with [`Instance::with_live`].
pub type CoreInstance<B, T, M = crate::Blocking> = Instance<CoreState<T>, B, M>;

/// A core module pre-linked and checked against the ABI `B`.
struct Typed<B, T: 'static> {
    pre: wasmtime::InstancePre<CoreState<T>>,
    abi: PhantomData<fn() -> B>,
}

impl<B: CoreBindings<T>, T: Send + 'static> Instantiate<CoreState<T>, B> for Typed<B, T> {
    fn instantiate(&self, store: &mut Store<CoreState<T>>) -> wasmtime::Result<B> {
        let instance = kind::CoreModule::instantiate(&self.pre, store)?;
        B::new(&instance, store)
    }
}

impl<B: CoreBindings<T>, T: Send + 'static> InstantiateAsync<CoreState<T>, B> for Typed<B, T> {
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut Store<CoreState<T>>,
    ) -> BoxFuture<'a, wasmtime::Result<B>> {
        Box::pin(async move {
            let instance = kind::CoreModule::instantiate_async(&self.pre, store).await?;
            B::new(&instance, store)
        })
    }
}

/// Checks `module` against the ABI `B` and pre-links it against `linker`.
pub(crate) fn plugin<B, T, M>(
    name: Arc<str>,
    module: &Module,
    linker: &Linker<CoreState<T>>,
    policy: Arc<Policy>,
) -> Result<CorePlugin<B, T, M>, Error>
where
    B: CoreBindings<T>,
    T: Transactional + Send + 'static,
    M: Mode,
{
    let mut problems = B::check(module);
    let pre = linker.instantiate_pre(module);
    if let Err(error) = &pre {
        problems.push(format!("{error:#}"));
    }
    let pre = match pre {
        Ok(pre) if problems.is_empty() => pre,
        _ => {
            let abi = B::ABI.to_owned();
            return Err(Error::new(ErrorKind::AbiMismatch { abi, problems }).with_plugin(&*name));
        }
    };
    let typed = Typed::<B, T> {
        pre,
        abi: PhantomData,
    };
    let engine = module.engine().clone();
    Ok(Plugin::new(
        name,
        B::ABI,
        vec![Code::CoreModule(module.clone())],
        engine,
        policy,
        M::instantiator(typed),
        false,
    ))
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
