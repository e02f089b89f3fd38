//! Module linking: core modules instantiated in order in one store, each one's exports
//! satisfying the imports of the next under the module name those imports use (the seed's
//! `toolbox` imports `env.add`, which `calc` exports as `add`).

use std::sync::Arc;

use wasmtime::{ExternType, Instance as WasmInstance, Linker, Module, Store};

use super::{CoreState, initialize, signature};
use crate::Error;

/// One module of a chain: its name and its compiled code.
pub(crate) type Link = (Arc<str>, Module);

/// Checks that each module's function imports are satisfied by the module before it or by the
/// host's `linker`, with the right types, before anything runs.
///
/// # Errors
/// [`Error::Unlinkable`] naming the module, the import and both types.
pub(crate) fn check<T: 'static>(
    modules: &[Link],
    linker: &Linker<CoreState<T>>,
) -> Result<(), Error> {
    if let Some((name, first)) = modules.first() {
        linker
            .instantiate_pre(first)
            .map_err(|source| Error::Unlinkable {
                plugin: name.to_string(),
                source: source.into(),
            })?;
    }
    for pair in modules.windows(2) {
        let [(provider_name, provider), (consumer_name, consumer)] = pair else {
            continue;
        };
        let unlinkable = |source: wasmtime::Error| Error::Unlinkable {
            plugin: consumer_name.to_string(),
            source: source.into(),
        };
        // The provider's functions stand in as traps: only their types matter here.
        let mut probe = linker.clone();
        probe.allow_shadowing(true);
        let mut other_kinds = false;
        for import in consumer.imports() {
            match (provider.get_export(import.name()), import.ty()) {
                (Some(ExternType::Func(provided)), ExternType::Func(wanted)) => {
                    if !provided.matches(&wanted) {
                        return Err(unlinkable(wasmtime::format_err!(
                            "import `{}.{}` has type {}, but {provider_name} exports `{}` as {}",
                            import.module(),
                            import.name(),
                            signature(wanted.params(), wanted.results()),
                            import.name(),
                            signature(provided.params(), provided.results()),
                        )));
                    }
                    probe
                        .func_new(import.module(), import.name(), provided, |_, _, _| {
                            Err(wasmtime::format_err!("a link-time stand-in"))
                        })
                        .map_err(unlinkable)?;
                }
                (Some(_), _) => other_kinds = true,
                (None, _) => {}
            }
        }
        // Memories, tables and globals from the provider are checked when instantiating.
        if !other_kinds {
            probe.instantiate_pre(consumer).map_err(unlinkable)?;
        }
    }
    Ok(())
}

/// Instantiates `modules` in order in `store`, defining each one's exports for the next, and
/// returns the last instance.
///
/// # Errors
/// wasmtime's, naming the module that failed to instantiate.
pub(crate) fn instantiate<T: 'static>(
    modules: &[Link],
    linker: &Linker<CoreState<T>>,
    store: &mut Store<CoreState<T>>,
) -> wasmtime::Result<WasmInstance> {
    let mut linker = linker.clone();
    linker.allow_shadowing(true);
    let mut previous: Option<WasmInstance> = None;
    for (name, module) in modules {
        if let Some(provider) = previous {
            for import in module.imports() {
                if let Some(export) = provider.get_export(&mut *store, import.name()) {
                    linker.define(&mut *store, import.module(), import.name(), export)?;
                }
            }
        }
        let instance = linker
            .instantiate(&mut *store, module)
            .and_then(|instance| initialize(instance, store))
            .map_err(|error| error.context(format!("failed to instantiate {name}")))?;
        previous = Some(instance);
    }
    previous.ok_or_else(|| wasmtime::format_err!("there are no modules to link"))
}
