//! Component plugins of any world, called through the world's `bindgen!` bindings.
//!
//! An application generates bindings for its world with [`bindgen!`](crate::bindgen) (wasmtime's
//! `bindgen!`, through this library, which also implements [`Bindings`] for the generated world
//! type), adds the world's imports with [`PluginHost::link`](crate::PluginHost::link), and
//! checks a compiled component against the world with
//! [`PluginHost::component`](crate::PluginHost::component). The [`Plugin`] it
//! gets makes instances whose calls run under the host's limits.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::{InstancePre, Linker};

use crate::asynchronous::{BoxFuture, InstantiateAsync};
use crate::grants::Policy;
use crate::mode::Mode;
use crate::plugin::Instantiate;
use crate::profile::Code;
use crate::{Error, ErrorKind, Instance, Plugin};

pub use crate::state::ComponentState;

/// A world's typed bindings, as wasmtime's `bindgen!` generates them, for stores holding the
/// application's state `T`. [`bindgen!`](crate::bindgen) implements it for the world type it
/// generates; by hand, each item forwards to the generated `…Pre` type.
pub trait Bindings<T: 'static>: Sized + Send + 'static {
    /// The pre-linked bindings (`bindgen!`'s `…Pre<ComponentState<T>>`).
    type Pre: Clone + Send + Sync + 'static;
    /// The world's full name, e.g. `my:app/app@1.1.0`, for errors.
    const WORLD: &'static str;

    /// Checks that the pre-linked component has every export of the world, with its type
    /// (`bindgen!`'s `…Pre::new`).
    ///
    /// # Errors
    /// wasmtime's, naming the missing or mistyped export.
    fn pre(pre: InstancePre<ComponentState<T>>) -> wasmtime::Result<Self::Pre>;

    /// Instantiates the component in `store` (`bindgen!`'s `…Pre::instantiate`).
    ///
    /// # Errors
    /// wasmtime's, if the component's initialisation traps or runs into a limit.
    fn instantiate(pre: &Self::Pre, store: &mut Store<ComponentState<T>>)
    -> wasmtime::Result<Self>;

    /// Instantiates the component in `store` for async calls (`bindgen!`'s
    /// `…Pre::instantiate_async`).
    ///
    /// # Errors
    /// As [`Bindings::instantiate`].
    fn instantiate_async(
        pre: &Self::Pre,
        store: &mut Store<ComponentState<T>>,
    ) -> impl Future<Output = wasmtime::Result<Self>> + Send;
}

/// A component plugin of the world `B`, for stores holding `T`, in the host's mode `M`.
pub type ComponentPlugin<B, T, M = crate::Blocking> = Plugin<ComponentState<T>, B, M>;

/// An instance of a [`ComponentPlugin`]; calls go through `B` with [`Instance::call`].
pub type ComponentInstance<B, T, M = crate::Blocking> = Instance<ComponentState<T>, B, M>;

/// A component pre-linked and checked against the world `B`.
struct Typed<B: Bindings<T>, T: 'static> {
    pre: B::Pre,
    /// Whether wasmtime requires async entry points for it ([`Plugin::new`]'s `async_entry`).
    async_entry: bool,
    state: PhantomData<fn() -> T>,
}

impl<B: Bindings<T>, T: Send + 'static> Instantiate<ComponentState<T>, B> for Typed<B, T> {
    fn instantiate(&self, store: &mut Store<ComponentState<T>>) -> wasmtime::Result<B> {
        if self.async_entry {
            return block_on(B::instantiate_async(&self.pre, store));
        }
        B::instantiate(&self.pre, store)
    }
}

/// Runs `future` to completion on the calling thread, on wasmtime-wasi's ambient tokio
/// runtime: how a blocking host drives what wasmtime runs only as a future (a plugin that
/// imports an `async func`, a concurrent call).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    wasmtime_wasi::runtime::in_tokio(future)
}

impl<B: Bindings<T>, T: Send + 'static> InstantiateAsync<ComponentState<T>, B> for Typed<B, T> {
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut Store<ComponentState<T>>,
    ) -> BoxFuture<'a, wasmtime::Result<B>> {
        Box::pin(B::instantiate_async(&self.pre, store))
    }
}

/// Pre-links `component` against `linker` and checks it against the world `B`.
pub(crate) fn plugin<B, T, M>(
    name: Arc<str>,
    component: &wasmtime::component::Component,
    linker: &Linker<ComponentState<T>>,
    policy: Arc<Policy>,
    async_entry: bool,
) -> Result<ComponentPlugin<B, T, M>, Error>
where
    B: Bindings<T>,
    T: crate::Transactional + Send + 'static,
    M: Mode,
{
    let mismatch = |source| {
        Error::wasmtime(
            ErrorKind::WorldMismatch {
                world: B::WORLD.to_owned(),
            },
            &name,
            source,
        )
    };
    let pre = linker.instantiate_pre(component).map_err(mismatch)?;
    let pre = B::pre(pre).map_err(mismatch)?;
    let typed = Typed::<B, T> {
        pre,
        async_entry,
        state: PhantomData,
    };
    let engine = component.engine().clone();
    Ok(Plugin::new(
        name,
        B::WORLD,
        vec![Code::Component(component.clone())],
        engine,
        policy,
        M::instantiator(typed),
        async_entry,
    ))
}
