//! Module linking: one core module's exports become another's imports.

use std::sync::Arc;

use wasmtime::{Instance, Linker, Module, Store, WasmParams, WasmResults};

use super::new_store;
use crate::state::{CoreState, output_pipe};
use crate::{Error, SharedValue};

/// Two core modules instantiated in one store, the provider's exports linked in as the
/// consumer's imports from one module name (the seed's `calc` and `toolbox`: `toolbox` imports
/// `env.add`, which `calc` exports).
///
/// The consumer may also import anything the host's core linker provides (WASI preview 1 and
/// the ABI's `env` functions); the provider's exports shadow those of the same name.
pub struct LinkedModules {
    consumer_name: Arc<str>,
    store: Store<CoreState>,
    consumer: Instance,
}

impl LinkedModules {
    /// Instantiates `provider`, defines its exports under `module_name` and instantiates
    /// `consumer` against them.
    pub(crate) fn new(
        provider: (Arc<str>, &Module),
        consumer: (Arc<str>, &Module),
        module_name: &str,
        linker: &Linker<CoreState>,
        shared: SharedValue,
    ) -> Result<Self, Error> {
        let (provider_name, provider) = provider;
        let (consumer_name, consumer) = consumer;
        let failed = |plugin: &str| {
            let plugin = plugin.to_owned();
            move |source: wasmtime::Error| Error::Instantiate {
                plugin,
                source: source.into(),
            }
        };
        let mut store = new_store(consumer, consumer_name.clone(), shared, &output_pipe());
        let provided = linker
            .instantiate(&mut store, provider)
            .map_err(failed(&provider_name))?;
        let mut linker = linker.clone();
        linker.allow_shadowing(true);
        let consumer = linker
            .instance(&mut store, module_name, provided)
            .and_then(|linker| linker.instantiate(&mut store, consumer))
            .map_err(failed(&consumer_name))?;
        Ok(Self {
            consumer_name,
            store,
            consumer,
        })
    }

    /// Calls the consumer's export `export` with `params`, e.g. `call::<i32, i32>("foo", 7)`.
    ///
    /// # Errors
    /// [`Error::Call`] if there is no such export, its type is not `(P) -> R`, or it traps.
    pub fn call<P, R>(&mut self, export: &str, params: P) -> Result<R, Error>
    where
        P: WasmParams,
        R: WasmResults,
    {
        self.consumer
            .get_typed_func::<P, R>(&mut self.store, export)
            .and_then(|f| f.call(&mut self.store, params))
            .map_err(|e| Error::call(&self.consumer_name, export, e))
    }
}
