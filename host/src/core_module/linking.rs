//! Module linking: one core module's exports become another's imports.

use std::sync::Arc;

use wasmtime::{Instance, Linker, Module, Store, WasmParams, WasmResults};

use super::core_store;
use crate::grants::Policy;
use crate::output::CapturedOutput;
use crate::run::run;
use crate::state::{CoreState, HostState};
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
    policy: Arc<Policy>,
}

impl LinkedModules {
    /// Instantiates `provider`, defines its exports under `module_name` and instantiates
    /// `consumer` against them, in one store under `policy`.
    pub(crate) fn new(
        provider: (Arc<str>, &Module),
        consumer: (Arc<str>, &Module),
        module_name: &str,
        linker: &Linker<CoreState>,
        shared: SharedValue,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let (provider_name, provider) = provider;
        let (consumer_name, consumer) = consumer;
        let host = HostState::new(consumer_name.clone(), shared);
        let limits = &policy.limits;
        let output = CapturedOutput::new(limits.output_bytes);
        let mut store = core_store(consumer.engine(), host, &output, &policy)
            .map_err(|source| Error::instantiate(&consumer_name, source, None))?;
        let provided = run(&mut store, limits, |store| {
            linker.instantiate(store, provider)
        })
        .map_err(|failed| failed.instantiate(&provider_name))?;
        let mut linker = linker.clone();
        linker.allow_shadowing(true);
        linker
            .instance(&mut store, module_name, provided)
            .map_err(|e| Error::instantiate(&consumer_name, e, None))?;
        let consumer = run(&mut store, limits, |store| {
            linker.instantiate(store, consumer)
        })
        .map_err(|failed| failed.instantiate(&consumer_name))?;
        Ok(Self {
            consumer_name,
            store,
            consumer,
            policy,
        })
    }

    /// Calls the consumer's export `export` with `params`, e.g. `call::<i32, i32>("foo", 7)`,
    /// under the host's [`Limits`](crate::Limits).
    ///
    /// # Errors
    /// [`Error::Call`] if there is no such export, its type is not `(P) -> R`, or the call
    /// fails.
    pub fn call<P, R>(&mut self, export: &str, params: P) -> Result<R, Error>
    where
        P: WasmParams,
        R: WasmResults,
    {
        let consumer = self.consumer;
        run(&mut self.store, &self.policy.limits, |store| {
            consumer
                .get_typed_func::<P, R>(&mut *store, export)?
                .call(store, params)
        })
        .map_err(|failed| failed.call(&self.consumer_name, export))
    }
}
