//! Running guest code: every call and instantiation goes through [`run`], which applies the
//! per-call limits and stages the host state.

use wasmtime::{Engine, Store};

use crate::limits::Limit;
use crate::state::PluginState;
use crate::{Error, Limits};

/// Creates a store for one instance, with the per-store limits of `limits` in force.
pub(crate) fn new_store<S: PluginState>(engine: &Engine, state: S, limits: &Limits) -> Store<S> {
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.sandbox().limiter);
    store.set_hostcall_fuel(limits.lifted_bytes);
    store
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

/// Runs `f`, a call into the guest or an instantiation, on `store`.
///
/// Before: sets the epoch deadline ([`Limits::deadline`]) and the fuel ([`Limits::fuel`]),
/// forgets any earlier refused growth, and opens a call on the host state. After: commits the
/// host state if `f` succeeded, discards it if not.
pub(crate) fn run<S: PluginState, R>(
    store: &mut Store<S>,
    limits: &Limits,
    f: impl FnOnce(&mut Store<S>) -> wasmtime::Result<R>,
) -> Result<R, Failed> {
    store.set_epoch_deadline(limits.deadline_ticks());
    let fueled = match limits.fuel {
        Some(fuel) => store.set_fuel(fuel),
        None => Ok(()),
    };
    let sandbox = store.data_mut().sandbox();
    sandbox.limiter.take_refused();
    sandbox.host.begin_call();
    let result = fueled.and_then(|()| f(store));
    let sandbox = store.data_mut().sandbox();
    match result {
        Ok(value) => {
            sandbox.host.commit();
            Ok(value)
        }
        Err(source) => {
            sandbox.host.discard();
            Err(Failed {
                source,
                refused: sandbox.limiter.take_refused(),
            })
        }
    }
}
