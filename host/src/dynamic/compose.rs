//! Load-time composition: components instantiated in order in one store, each one's exported
//! interfaces satisfying the same-named imports of the next, with no build step.
//!
//! wasmtime links a component's imports only to host functions, not to another component
//! instance's exports. So each function the next component imports from an interface the one
//! before exports is defined in the next one's linker as a host function
//! ([`LinkerInstance::func_new`]) that calls the provider's export. The provider's function
//! handles live in the store ([`ComponentState::forwards`]), filled in as each instance is made,
//! so every component is pre-linked once and instantiating the chain costs what instantiating
//! its members costs.
//!
//! Everything runs in one store, so the limits hold for the chain as a whole: a provider that
//! loops or traps fails the consumer's call, with the [`Failure`](crate::Failure) that says
//! why and a [`Provider`] in the error's source naming the provider ([`Error::provider`]).

use std::fmt;
use std::sync::Arc;

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, ComponentExportIndex, Instance, InstancePre, Linker};

use super::component::{DynamicComponent, func_type, functions};
use crate::component::ComponentState;
use crate::grants::Policy;
use crate::instance::Maker;
use crate::{Error, Transactional};

/// One component of a chain: its name and its compiled code.
pub(crate) type Member = (Arc<str>, Component);

/// The provider of a forwarded call that failed: found in the source of the consumer's
/// [`Error::Call`] by [`Error::provider`]. Its text reads ``in `example:calc/math@0.1.0#add` of
/// calc.wasm``.
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

/// How [`func_type`] writes a type WAVE cannot write: a resource handle, which the text
/// comparison cannot tell from another resource's.
const UNWRITABLE: &str = "<<UNSUPPORTED>>";

/// A function of a provider's exported interface that a later component imports: where to
/// find it in the provider's instance, and the store slot its handle goes into.
struct Forward {
    export: ComponentExportIndex,
    slot: usize,
}

/// Pre-links the chain `members` against `linker` and the providers' exports, and returns a
/// plugin whose functions are the last member's.
///
/// # Errors
/// [`Error::Unlinkable`] naming the member whose import nothing provides, or, for an import
/// the member before exports, the item and both types when they differ.
pub(crate) fn compose<T: Transactional + Send + 'static>(
    members: Vec<Member>,
    linker: &Linker<ComponentState<T>>,
    policy: Arc<Policy>,
) -> Result<DynamicComponent<T>, Error> {
    let Some((_, last)) = members.last() else {
        return Err(Error::Unlinkable {
            plugin: String::new(),
            source: wasmtime::format_err!("there are no components to compose").into(),
        });
    };
    let (engine, last) = (last.engine().clone(), last.clone());
    let mut chain: Vec<(InstancePre<ComponentState<T>>, Vec<Forward>)> = Vec::new();
    let mut slots = 0;
    for (position, (name, component)) in members.iter().enumerate() {
        let unlinkable = |source: wasmtime::Error| Error::Unlinkable {
            plugin: name.to_string(),
            source: source.into(),
        };
        let mut own = linker.clone();
        own.allow_shadowing(true);
        if let Some(previous) = position.checked_sub(1) {
            let (provider_name, provider) = &members[previous];
            let forwards = forward(provider_name, provider, component, &mut own, &mut slots)
                .map_err(unlinkable)?;
            chain[previous].1 = forwards;
        }
        let pre = own.instantiate_pre(component).map_err(unlinkable)?;
        chain.push((pre, Vec::new()));
    }
    let name = members
        .iter()
        .map(|(name, _)| name.as_ref())
        .collect::<Vec<_>>()
        .join(" + ");
    let maker = Maker::new(name.into(), engine, policy, move |store| {
        let mut last = None;
        for (pre, forwards) in &chain {
            let instance: Instance = pre.instantiate(&mut *store)?;
            for forward in forwards {
                let func = instance
                    .get_func(&mut *store, forward.export)
                    .ok_or_else(|| wasmtime::format_err!("a forwarded export is not a function"))?;
                debug_assert_eq!(store.data().forwards.len(), forward.slot);
                store.data_mut().forwards.push(func);
            }
            last = Some(instance);
        }
        last.ok_or_else(|| wasmtime::format_err!("there are no components to compose"))
    });
    Ok(DynamicComponent::with_maker(maker, &last))
}

/// Defines in `linker`, for every function `consumer` imports from an interface `provider`
/// exports, a host function that calls the provider's; returns where each is found, in slot
/// order from `slots` on.
fn forward<T: Transactional + Send + 'static>(
    provider_name: &Arc<str>,
    provider: &Component,
    consumer: &Component,
    linker: &mut Linker<ComponentState<T>>,
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
            let full_name = format!("{interface}#{function}");
            let Some(provided) = offered.iter().find(|f| f.name() == full_name) else {
                wasmtime::bail!(
                    "import `{interface}#{function}`: {provider_name} exports `{interface}` \
                     without `{function}`"
                );
            };
            let (wanted_type, provided_type) = (func_type(&wanted), func_type(provided.ty()));
            if wanted_type.contains(UNWRITABLE) {
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
                let func = store.data().forwards[slot];
                func.call(&mut store, params, results)
                    .map_err(|error| error.context(who.clone()))
            })?;
            forwards.push(Forward { export, slot });
        }
    }
    Ok(forwards)
}
