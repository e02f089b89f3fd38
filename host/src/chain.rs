//! Several plugins into one: a chain of plugins of one kind, instantiated in order in one store,
//! each member's exports satisfying the next member's imports, with no build step. Calls go to
//! the last member, by name ([`crate::dynamic`]).
//!
//! - Core modules are *linked* ([`PluginHost::link_core_modules`]): every function the next
//!   module imports that the one before exports (under whatever module name the import uses)
//!   is that export; wasmtime's `Linker` defines it.
//! - Components are *composed* ([`PluginHost::compose_components`]): every function the next
//!   component imports from an interface the one before exports calls that export. wasmtime
//!   links a component's imports only to host functions, not to another component instance's
//!   exports, so each forwarded function is a host function
//!   ([`LinkerInstance::func_new`](wasmtime::component::LinkerInstance::func_new)) that calls
//!   the provider's; the providers' function handles live in the store, filled in as each
//!   member is instantiated, so every member is pre-linked once and instantiating the chain
//!   costs what instantiating its members costs.
//!
//! Every member lives in the same store, so the limits and grants hold for the chain as a
//! whole (a member's manifest is not applied to the chain): a provider that loops or traps
//! fails the consumer's call with the [`Failure`](crate::Failure) that says why, and a
//! composed provider is named by a [`Provider`] in the error's source ([`Error::provider`]).
//! A chain is served by a [`Blocking`](crate::Blocking) host.
//!
//! [`PluginHost::link_core_modules`]: crate::PluginHost::link_core_modules
//! [`PluginHost::compose_components`]: crate::PluginHost::compose_components

use std::fmt;
use std::sync::Arc;

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{ComponentExportIndex, InstancePre};
use wasmtime::{ExternType, Linker, Store};

use crate::core_module::signature;
use crate::dynamic::StreamFeed;
use crate::dynamic::component::{func_type, functions, mentions_handles, wit_name};
use crate::dynamic::{DynamicComponent, DynamicCoreModule, DynamicPlugin};
use crate::grants::Policy;
use crate::kind::{self, Kind};
use crate::plugin::Instantiate;
use crate::profile::Code;
use crate::state::{ComponentState, CoreState};
use crate::{Error, ErrorKind, Plugin, Transactional};

/// One member of a chain: its name and its compiled code.
pub(crate) type Member<K> = (Arc<str>, <K as Kind>::Code);

/// The provider of a forwarded call that failed: found in the source of the consumer's
/// [`ErrorKind::Call`] by [`Error::provider`]. Its text reads ``in `example:calc/math@0.1.0#add`
/// of calc.wasm``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The provider's name, as it was loaded.
    pub plugin: String,
    /// The function that was called: `INTERFACE#FUNCTION`.
    pub function: String,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in `{}` of {}", self.function, self.plugin)
    }
}

impl std::error::Error for Provider {}

/// The chain's name, its members' joined by ` + `, and its last member's code.
///
/// # Errors
/// [`ErrorKind::EmptyChain`] if there are no members.
fn name_and_last<K: Kind>(members: &[Member<K>]) -> Result<(Arc<str>, K::Code), Error> {
    let (_, last) = members.last().ok_or(Error::new(ErrorKind::EmptyChain))?;
    let names: Vec<&str> = members.iter().map(|(name, _)| name.as_ref()).collect();
    Ok((names.join(" + ").into(), last.clone()))
}

/// The error for a member whose imports nothing provides, or the previous member provides with
/// another type.
fn unlinkable(member: &str) -> impl Fn(wasmtime::Error) -> Error + '_ {
    move |source| Error::wasmtime(ErrorKind::Unlinkable, member, source)
}

/// The code of every member, for the chain's profiler.
fn codes<K: Kind>(members: &[Member<K>]) -> Vec<Code> {
    members.iter().map(|(_, code)| K::code(code)).collect()
}

/// Links the core modules `members` in order against `linker`; the functions are the last
/// member's.
pub(crate) fn link<T: Transactional + Send + 'static>(
    members: Vec<Member<kind::CoreModule>>,
    linker: &Linker<CoreState<T>>,
    policy: Arc<Policy>,
) -> Result<DynamicCoreModule<T>, Error> {
    let (name, last) = name_and_last::<kind::CoreModule>(&members)?;
    check_links(&members, linker)?;
    let code = codes::<kind::CoreModule>(&members);
    let (engine, linker) = (last.engine().clone(), linker.clone());
    let instantiate: Box<dyn Instantiate<_, _>> =
        Box::new(move |store: &mut Store<_>| instantiate_links(&members, &linker, store));
    let plugin = Plugin::new(name, "", code, engine, policy, instantiate, false);
    Ok(DynamicPlugin::with_plugin(plugin, &last, Vec::new().into()))
}

/// Checks that each module's function imports are satisfied by the module before it or by the
/// host's `linker`, with the right types, before anything runs.
///
/// # Errors
/// [`ErrorKind::Unlinkable`] naming the module, the import and both types.
fn check_links<T: 'static>(
    members: &[Member<kind::CoreModule>],
    linker: &Linker<CoreState<T>>,
) -> Result<(), Error> {
    if let Some((name, first)) = members.first() {
        linker.instantiate_pre(first).map_err(unlinkable(name))?;
    }
    for pair in members.windows(2) {
        let [(provider_name, provider), (consumer_name, consumer)] = pair else {
            continue;
        };
        let unlinkable = unlinkable(consumer_name);
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
                        .map_err(&unlinkable)?;
                }
                (Some(_), _) => other_kinds = true,
                (None, _) => {}
            }
        }
        // Memories, tables and globals from the provider are checked when instantiating.
        if !other_kinds {
            probe.instantiate_pre(consumer).map_err(&unlinkable)?;
        }
    }
    Ok(())
}

/// Instantiates `members` in order in `store`, defining each one's exports for the next, and
/// returns the last instance.
///
/// # Errors
/// wasmtime's, naming the module that failed to instantiate.
fn instantiate_links<T: 'static>(
    members: &[Member<kind::CoreModule>],
    linker: &Linker<CoreState<T>>,
    store: &mut Store<CoreState<T>>,
) -> wasmtime::Result<wasmtime::Instance> {
    let mut linker = linker.clone();
    linker.allow_shadowing(true);
    let mut previous: Option<wasmtime::Instance> = None;
    for (name, module) in members {
        if let Some(provider) = previous {
            for import in module.imports() {
                if let Some(export) = provider.get_export(&mut *store, import.name()) {
                    linker.define(&mut *store, import.module(), import.name(), export)?;
                }
            }
        }
        let instance = linker
            .instantiate(&mut *store, module)
            .and_then(|instance| {
                crate::core_module::initialize(instance, store)?;
                Ok(instance)
            })
            .map_err(|error| error.context(format!("failed to instantiate {name}")))?;
        previous = Some(instance);
    }
    previous.ok_or_else(|| wasmtime::format_err!("a chain needs at least one plugin"))
}

/// A function of a provider's exported interface that a later component imports: where to
/// find it in the provider's instance, and the store slot its handle goes into.
struct Forward {
    export: ComponentExportIndex,
    slot: usize,
}

/// Composes the components `members` in order against `linker` and the providers' exports;
/// the functions are the last member's.
///
/// # Errors
/// [`ErrorKind::Unlinkable`] naming the member whose import nothing provides, or, for an
/// import the member before exports, the item and both types when they differ.
pub(crate) fn compose<T: Transactional + Send + 'static>(
    members: Vec<Member<kind::Component>>,
    linker: &wasmtime::component::Linker<ComponentState<T>>,
    policy: Arc<Policy>,
    feeds: Arc<[StreamFeed<T>]>,
) -> Result<DynamicComponent<T>, Error> {
    let (name, last) = name_and_last::<kind::Component>(&members)?;
    let code = codes::<kind::Component>(&members);
    let mut chain: Vec<(InstancePre<ComponentState<T>>, Vec<Forward>)> = Vec::new();
    let mut slots = 0;
    for (position, (member, component)) in members.iter().enumerate() {
        let mut own = linker.clone();
        own.allow_shadowing(true);
        if let Some(previous) = position.checked_sub(1) {
            let (provider_name, provider) = &members[previous];
            let forwards = forward(provider_name, provider, component, &mut own, &mut slots)
                .map_err(unlinkable(member))?;
            chain[previous].1 = forwards;
        }
        let pre = own.instantiate_pre(component).map_err(unlinkable(member))?;
        chain.push((pre, Vec::new()));
    }
    let engine = last.engine().clone();
    let instantiate: Box<dyn Instantiate<_, _>> = Box::new(move |store: &mut Store<_>| {
        let mut last = None;
        for (pre, forwards) in &chain {
            let instance = pre.instantiate(&mut *store)?;
            for forward in forwards {
                let func = instance
                    .get_func(&mut *store, forward.export)
                    .ok_or_else(|| wasmtime::format_err!("a forwarded export is not a function"))?;
                let slots = &mut store.data_mut().parts_mut().forwards;
                debug_assert_eq!(slots.len(), forward.slot);
                slots.push(func);
            }
            last = Some(instance);
        }
        last.ok_or_else(|| wasmtime::format_err!("a chain needs at least one plugin"))
    });
    let plugin = Plugin::new(name, "", code, engine, policy, instantiate, false);
    Ok(DynamicPlugin::with_plugin(plugin, &last, feeds))
}

/// Defines in `linker`, for every function `consumer` imports from an interface `provider`
/// exports, a host function that calls the provider's; returns where each is found, in slot
/// order from `slots` on.
fn forward<T: Transactional + Send + 'static>(
    provider_name: &Arc<str>,
    provider: &wasmtime::component::Component,
    consumer: &wasmtime::component::Component,
    linker: &mut wasmtime::component::Linker<ComponentState<T>>,
    slots: &mut usize,
) -> wasmtime::Result<Vec<Forward>> {
    let engine = consumer.engine();
    let offered = functions(provider);
    let mut forwards = Vec::new();
    for (interface, item) in consumer.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(imported) = item.ty else {
            continue;
        };
        if provider.get_export_index(None, interface).is_none() {
            continue;
        }
        let mut instance = linker.instance(interface)?;
        for (function, item) in imported.exports(engine) {
            let wanted = match item.ty {
                ComponentItem::ComponentFunc(wanted) => wanted,
                // A value type (a record, say) is checked where a function's type uses it.
                ComponentItem::Type(_) => continue,
                _ => wasmtime::bail!(
                    "import `{interface}` needs `{function}`, which is not a function or a \
                     value type; only functions are forwarded between components"
                ),
            };
            let full_name = format!("{interface}#{}", wit_name(function));
            let Some(provided) = offered.iter().find(|f| f.name() == full_name) else {
                wasmtime::bail!(
                    "import `{interface}#{function}`: {provider_name} exports `{interface}` \
                     without `{function}`"
                );
            };
            let (wanted_type, provided_type) = (func_type(&wanted), func_type(provided.ty()));
            if mentions_handles(&wanted) {
                wasmtime::bail!(
                    "import `{interface}#{function}` has type {wanted_type}: functions taking \
                     or returning resources are not forwarded between components"
                );
            }
            if wanted_type != provided_type {
                wasmtime::bail!(
                    "import `{interface}#{function}` has type {wanted_type}, but \
                     {provider_name} exports it as {provided_type}"
                );
            }
            let export = provided.index();
            let slot = *slots;
            *slots += 1;
            let who = Provider {
                plugin: provider_name.to_string(),
                function: full_name,
            };
            instance.func_new(function, move |mut store, _, params, results| {
                let func = store.data().parts().forwards[slot];
                func.call(&mut store, params, results)
                    .map_err(|error| error.context(who.clone()))
            })?;
            forwards.push(Forward { export, slot });
        }
    }
    Ok(forwards)
}
