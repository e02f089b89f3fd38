//! The two kinds of plugin, components and core modules: as values told from a binary's header
//! ([`PluginKind`]), and as types ([`Kind`]: [`Component`], [`CoreModule`]) that carry what
//! differs between them, so that everything else is written once for both.

use std::fmt;
use std::future::Future;

use wasmparser::Parser;
use wasmtime::Store;
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::profile::Code;
use crate::state::{ComponentParts, StoreState};

/// What kind of WebAssembly binary a plugin is, read from its 8-byte header (magic `\0asm`, then
/// a version and layer field; see the component-model binary format, `Binary.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginKind {
    /// A component (layer 1): talks to the host through a WIT world.
    Component,
    /// A core module (layer 0): talks to the host through a raw ABI of `extern "C"` exports,
    /// imported functions and linear memory.
    CoreModule,
}

impl PluginKind {
    /// Reads the kind from the header of `bytes`; `None` when `bytes` does not start with a
    /// WebAssembly header. Only the header is looked at: the rest is validated when compiled.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if Parser::is_component(bytes) {
            Some(Self::Component)
        } else if Parser::is_core_wasm(bytes) {
            Some(Self::CoreModule)
        } else {
            None
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Component => "component",
            Self::CoreModule => "core module",
        })
    }
}

/// A kind of plugin as a type: its compiled code, its linker, its pre-linked form and its
/// instances as wasmtime has them, and the WASI its stores hold. Implemented by [`Component`]
/// and [`CoreModule`] only; the library's types take it as a parameter
/// ([`StoreState`], [`DynamicPlugin`](crate::dynamic::DynamicPlugin)).
pub trait Kind: sealed::Sealed + Send + Sync + Sized + 'static {
    /// The kind as a value.
    const KIND: PluginKind;
    /// The compiled code: `wasmtime::component::Component` or `wasmtime::Module`.
    type Code: Clone + Send + Sync + 'static;
    /// The linker its imports are defined in, for stores holding `S`.
    type Linker<S: 'static>: Clone + Send + Sync + 'static;
    /// The code pre-linked against a linker (wasmtime's `InstancePre`).
    type Pre<S: 'static>: Clone + Send + Sync + 'static;
    /// A live wasmtime instance.
    type Instance: Copy + Send + Sync + 'static;
    /// What a store of this kind holds beside the application's state: WASI (preview 2 with
    /// its resource table for components, preview 1 for core modules).
    #[doc(hidden)]
    type Parts: Send + 'static;

    /// The store parts around a WASI context built from `wasi`.
    #[doc(hidden)]
    fn parts(wasi: WasiCtxBuilder) -> Self::Parts;

    /// `code` as the library keeps it beside a plugin, for its profiler.
    #[doc(hidden)]
    fn code(code: &Self::Code) -> Code;

    /// What a failed call or instantiation leaves in the store parts is let go: a component's
    /// host resources.
    #[doc(hidden)]
    fn instance_failed(parts: &mut Self::Parts);

    /// Pre-links `code` against `linker`.
    #[doc(hidden)]
    fn pre<T: 'static>(
        linker: &Self::Linker<StoreState<T, Self>>,
        code: &Self::Code,
    ) -> wasmtime::Result<Self::Pre<StoreState<T, Self>>>;

    /// Instantiates `pre` in `store`: for a core module, runs its
    /// [`INITIALIZE`](crate::core_module::INITIALIZE) export too.
    #[doc(hidden)]
    fn instantiate<T: 'static>(
        pre: &Self::Pre<StoreState<T, Self>>,
        store: &mut Store<StoreState<T, Self>>,
    ) -> wasmtime::Result<Self::Instance>;

    /// As [`Kind::instantiate`], for a store whose calls are async.
    #[doc(hidden)]
    fn instantiate_async<T: Send + 'static>(
        pre: &Self::Pre<StoreState<T, Self>>,
        store: &mut Store<StoreState<T, Self>>,
    ) -> impl Future<Output = wasmtime::Result<Self::Instance>> + Send;
}

/// Components, as a [`Kind`].
#[derive(Debug)]
pub enum Component {}

/// Core modules, as a [`Kind`].
#[derive(Debug)]
pub enum CoreModule {}

pub(crate) mod sealed {
    /// Only the library's kinds and modes.
    pub trait Sealed {}
}

impl sealed::Sealed for Component {}
impl sealed::Sealed for CoreModule {}

impl Kind for Component {
    const KIND: PluginKind = PluginKind::Component;
    type Code = wasmtime::component::Component;
    type Linker<S: 'static> = wasmtime::component::Linker<S>;
    type Pre<S: 'static> = wasmtime::component::InstancePre<S>;
    type Instance = wasmtime::component::Instance;
    type Parts = ComponentParts;

    fn code(code: &Self::Code) -> Code {
        Code::Component(code.clone())
    }

    fn parts(mut wasi: WasiCtxBuilder) -> ComponentParts {
        ComponentParts::new(wasi.build())
    }

    fn instance_failed(parts: &mut ComponentParts) {
        parts.drop_resources();
    }

    fn pre<T: 'static>(
        linker: &Self::Linker<StoreState<T, Self>>,
        code: &Self::Code,
    ) -> wasmtime::Result<Self::Pre<StoreState<T, Self>>> {
        linker.instantiate_pre(code)
    }

    fn instantiate<T: 'static>(
        pre: &Self::Pre<StoreState<T, Self>>,
        store: &mut Store<StoreState<T, Self>>,
    ) -> wasmtime::Result<Self::Instance> {
        pre.instantiate(store)
    }

    async fn instantiate_async<T: Send + 'static>(
        pre: &Self::Pre<StoreState<T, Self>>,
        store: &mut Store<StoreState<T, Self>>,
    ) -> wasmtime::Result<Self::Instance> {
        pre.instantiate_async(store).await
    }
}

impl Kind for CoreModule {
    const KIND: PluginKind = PluginKind::CoreModule;
    type Code = wasmtime::Module;
    type Linker<S: 'static> = wasmtime::Linker<S>;
    type Pre<S: 'static> = wasmtime::InstancePre<S>;
    type Instance = wasmtime::Instance;
    type Parts = WasiP1Ctx;

    fn code(code: &Self::Code) -> Code {
        Code::CoreModule(code.clone())
    }

    fn parts(mut wasi: WasiCtxBuilder) -> WasiP1Ctx {
        wasi.build_p1()
    }

    fn instance_failed(_: &mut WasiP1Ctx) {}

    fn pre<T: 'static>(
        linker: &Self::Linker<StoreState<T, Self>>,
        code: &Self::Code,
    ) -> wasmtime::Result<Self::Pre<StoreState<T, Self>>> {
        linker.instantiate_pre(code)
    }

    fn instantiate<T: 'static>(
        pre: &Self::Pre<StoreState<T, Self>>,
        store: &mut Store<StoreState<T, Self>>,
    ) -> wasmtime::Result<Self::Instance> {
        let instance = pre.instantiate(&mut *store)?;
        crate::core_module::initialize(instance, store)?;
        Ok(instance)
    }

    async fn instantiate_async<T: Send + 'static>(
        pre: &Self::Pre<StoreState<T, Self>>,
        store: &mut Store<StoreState<T, Self>>,
    ) -> wasmtime::Result<Self::Instance> {
        let instance = pre.instantiate_async(&mut *store).await?;
        crate::core_module::initialize_async(instance, store).await?;
        Ok(instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_kind_by_header() {
        assert_eq!(
            PluginKind::detect(b"\0asm\x01\0\0\0"),
            Some(PluginKind::CoreModule)
        );
        assert_eq!(
            PluginKind::detect(b"\0asm\x0d\0\x01\0"),
            Some(PluginKind::Component)
        );
        assert_eq!(PluginKind::detect(b"(module)"), None);
        assert_eq!(PluginKind::detect(b""), None);
    }
}
