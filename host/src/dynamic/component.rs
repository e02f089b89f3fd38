//! Any component, called by export name with `component::Val`s.

use std::fmt;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{Component, ComponentExportIndex, Instance, InstancePre, Linker, Val};

use crate::component::component_store;
use crate::grants::Policy;
use crate::output::CapturedOutput;
use crate::run::run;
use crate::state::{ComponentState, HostState};
use crate::{Error, SharedValue};

/// A component of any world, pre-linked against the host's component linker (WASI preview 2
/// and the `host` interface), whose function exports are called by name.
#[derive(Clone)]
pub struct DynamicComponent {
    name: Arc<str>,
    pre: InstancePre<ComponentState>,
    functions: Arc<[ComponentFunction]>,
    shared: SharedValue,
    policy: Arc<Policy>,
}

impl fmt::Debug for DynamicComponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicComponent")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One function a component exports: at its root (`greet`) or in an exported instance
/// (`example:greeter/text@0.1.0#shout`), with its type.
#[derive(Clone, Debug)]
pub struct ComponentFunction {
    name: String,
    short_name: String,
    function: String,
    index: ComponentExportIndex,
    ty: ComponentFunc,
}

impl ComponentFunction {
    /// The full export name: `greet` at the root, `INSTANCE#FUNCTION` in an exported instance
    /// (`example:greeter/text@0.1.0#shout`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The function's type.
    pub fn ty(&self) -> &ComponentFunc {
        &self.ty
    }

    /// Parses WAVE `args` against the parameter types.
    ///
    /// # Errors
    /// [`Error::BadArguments`] naming `plugin`, for a wrong count or an argument that is not a
    /// WAVE value of its parameter's type.
    pub fn parse_args(&self, plugin: &str, args: &[impl AsRef<str>]) -> Result<Vec<Val>, Error> {
        let types: Vec<_> = self
            .ty
            .params()
            .map(|(name, ty)| (name.to_owned(), ty))
            .collect();
        super::parse_args(args, &types).map_err(|reason| Error::BadArguments {
            plugin: plugin.to_owned(),
            export: self.name.clone(),
            signature: self.to_string(),
            reason,
        })
    }
}

/// The signature in WIT-like form, types written out: `greet: func(name: string) -> string`.
impl fmt::Display for ComponentFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: func(", self.name)?;
        for (position, (name, ty)) in self.ty.params().enumerate() {
            let comma = if position == 0 { "" } else { ", " };
            write!(f, "{comma}{name}: {}", DisplayType(&ty))?;
        }
        f.write_str(")")?;
        if let Some(result) = self.ty.results().next() {
            write!(f, " -> {}", DisplayType(&result))?;
        }
        Ok(())
    }
}

impl DynamicComponent {
    /// Pre-links `component` and lists its function exports.
    pub(crate) fn new(
        name: Arc<str>,
        component: &Component,
        linker: &Linker<ComponentState>,
        shared: SharedValue,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(|source| Error::Unlinkable {
                plugin: name.to_string(),
                source: source.into(),
            })?;
        Ok(Self {
            functions: functions(component).into(),
            name,
            pre,
            shared,
            policy,
        })
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every function the component exports, at its root and in its exported instances, in
    /// the component's order.
    pub fn functions(&self) -> &[ComponentFunction] {
        &self.functions
    }

    /// The function `name` names: its full export name (`example:greeter/text@0.1.0#shout`),
    /// the short form with the instance's interface name only (`text#shout`), or the bare
    /// function name if only one instance exports it (`shout`).
    ///
    /// # Errors
    /// [`Error::NoSuchExport`] if nothing or more than one function matches; it lists every
    /// function with its signature.
    pub fn function(&self, name: &str) -> Result<ComponentFunction, Error> {
        super::find(
            &self.name,
            &self.functions,
            name,
            |f| [&f.name, &f.short_name, &f.function],
            ToString::to_string,
        )
        .cloned()
    }

    /// Creates a fresh instance in a store of its own, under the host's limits and grants.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the component traps or runs into a limit while initialising,
    /// or a granted directory cannot be opened.
    pub fn instantiate(&self) -> Result<DynamicComponentInstance, Error> {
        let output = CapturedOutput::new(self.policy.limits.output_bytes);
        let (store, instance) = self.store(&output)?;
        Ok(DynamicComponentInstance {
            plugin: self.clone(),
            output,
            store,
            instance,
            poisoned: false,
        })
    }

    fn store(&self, output: &CapturedOutput) -> Result<(Store<ComponentState>, Instance), Error> {
        let host = HostState::new(self.name.clone(), self.shared.clone());
        let mut store = component_store(self.pre.engine(), host, output, &self.policy)
            .map_err(|source| Error::instantiate(&self.name, source, None))?;
        let limits = &self.policy.limits;
        let instance = run(&mut store, limits, |store| self.pre.instantiate(store))
            .map_err(|failed| failed.instantiate(&self.name))?;
        Ok((store, instance))
    }
}

/// The function exports of `component`: root functions, then those of exported instances.
fn functions(component: &Component) -> Vec<ComponentFunction> {
    let engine = component.engine();
    let mut functions = Vec::new();
    for (export, item) in component.component_type().exports(engine) {
        let Some(index) = component.get_export_index(None, export) else {
            continue;
        };
        match item.ty {
            ComponentItem::ComponentFunc(ty) => functions.push(ComponentFunction {
                name: export.to_owned(),
                short_name: export.to_owned(),
                function: export.to_owned(),
                index,
                ty,
            }),
            ComponentItem::ComponentInstance(instance) => {
                // `example:greeter/text@0.1.0` is also known as `text`.
                let interface = export.rsplit('/').next().unwrap_or(export);
                let interface = interface.split('@').next().unwrap_or(interface);
                for (function, item) in instance.exports(engine) {
                    let ComponentItem::ComponentFunc(ty) = item.ty else {
                        continue;
                    };
                    let Some(index) = component.get_export_index(Some(&index), function) else {
                        continue;
                    };
                    functions.push(ComponentFunction {
                        name: format!("{export}#{function}"),
                        short_name: format!("{interface}#{function}"),
                        function: function.to_owned(),
                        index,
                        ty,
                    });
                }
            }
            _ => {}
        }
    }
    functions
}

/// One instance of a [`DynamicComponent`], with its own store. As with
/// [`ComponentInstance`](crate::component::ComponentInstance), a failed call leaves no trace
/// and the next call runs on a fresh instance.
pub struct DynamicComponentInstance {
    plugin: DynamicComponent,
    output: CapturedOutput,
    store: Store<ComponentState>,
    instance: Instance,
    poisoned: bool,
}

impl DynamicComponentInstance {
    /// Calls `function` with `args` under the host's limits and returns its results (none or
    /// one).
    ///
    /// # Errors
    /// [`Error::Call`] if the arguments do not fit the signature or the call fails;
    /// [`Error::Instantiate`] if a fresh instance was due and could not be made.
    pub fn call(&mut self, function: &ComponentFunction, args: &[Val]) -> Result<Vec<Val>, Error> {
        if self.poisoned {
            (self.store, self.instance) = self.plugin.store(&self.output)?;
            self.poisoned = false;
        }
        let instance = self.instance;
        run(&mut self.store, &self.plugin.policy.limits, |store| {
            let func = instance
                .get_func(&mut *store, function.index)
                .ok_or_else(|| wasmtime::format_err!("no function export `{}`", function.name))?;
            let mut results = vec![Val::Bool(false); function.ty.results().len()];
            func.call(&mut *store, args, &mut results)?;
            Ok(results)
        })
        .map_err(|failed| {
            self.poisoned = true;
            failed.call(&self.plugin.name, &function.name)
        })
    }

    /// The instance's captured stdout and stderr.
    pub fn output(&self) -> &CapturedOutput {
        &self.output
    }
}
