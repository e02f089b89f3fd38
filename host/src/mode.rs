//! How a host's calls run: on the calling thread until they end ([`Blocking`]), or as futures
//! an async runtime polls ([`Async`](crate::Async), in [`crate::asynchronous`]). A host is of
//! one mode, chosen once with its type; its plugins and their instances follow it.

use wasmtime::{Linker, Store};

use crate::asynchronous::InstantiateAsync;
use crate::kind::sealed::Sealed;
use crate::plugin::Instantiate;
use crate::state::{ComponentState, CoreState, StoreData};

/// How calls run: [`Blocking`] (the default) or [`Async`](crate::Async). Sealed.
pub trait Mode: Sealed + Send + Sync + 'static {
    /// What puts a plugin into a store in this mode.
    #[doc(hidden)]
    type Instantiate<S: 'static, L: 'static>: ?Sized + Send + Sync;

    /// `pre` as this mode's instantiator.
    #[doc(hidden)]
    fn instantiator<S, L, P>(pre: P) -> Box<Self::Instantiate<S, L>>
    where
        S: StoreData,
        L: Send + 'static,
        P: Instantiate<S, L> + InstantiateAsync<S, L>;

    /// Adds WASI preview 2 to a component linker, in this mode's form.
    #[doc(hidden)]
    fn add_wasi_p2<T: Send + 'static>(
        linker: &mut wasmtime::component::Linker<ComponentState<T>>,
    ) -> wasmtime::Result<()>;

    /// Adds WASI preview 1 to a core-module linker, in this mode's form.
    #[doc(hidden)]
    fn add_wasi_p1<T: Send + 'static>(linker: &mut Linker<CoreState<T>>) -> wasmtime::Result<()>;

    /// Readies a new store for this mode's calls (what happens at each epoch tick).
    #[doc(hidden)]
    fn prepare<S: StoreData>(store: &mut Store<S>);
}

/// Calls block the calling thread until they end ([`Instance::call`](crate::Instance::call)).
/// A guest past its deadline traps. The default mode, and the cheapest call (BENCHMARKS.md,
/// "Async calls").
#[derive(Debug)]
pub enum Blocking {}

impl Sealed for Blocking {}

impl Mode for Blocking {
    type Instantiate<S: 'static, L: 'static> = dyn Instantiate<S, L>;

    fn instantiator<S, L, P>(pre: P) -> Box<dyn Instantiate<S, L>>
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
        wasmtime_wasi::p2::add_to_linker_sync(linker)
    }

    fn add_wasi_p1<T: Send + 'static>(linker: &mut Linker<CoreState<T>>) -> wasmtime::Result<()> {
        wasmtime_wasi::p1::add_to_linker_sync(linker, |state| state.parts_mut())
    }

    /// Nothing: a blocking call's epoch deadline is its whole deadline, and reaching it traps
    /// (wasmtime's default).
    fn prepare<S: StoreData>(_: &mut Store<S>) {}
}
