//! Any component, called by export name with `component::Val`s.

use std::fmt;
use std::sync::Arc;

use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{
    Component, ComponentExportIndex, Instance as ComponentInstance, Linker, Val,
};

use crate::component::ComponentState;
use crate::grants::Policy;
use crate::instance::Maker;
use crate::{Error, Instance, Transactional};

/// A component of any world, pre-linked against the host's component linker (WASI preview 2
/// and the application's imports), whose function exports are called by name.
pub struct DynamicComponent<T: 'static> {
    maker: Arc<Maker<ComponentState<T>, ComponentInstance>>,
    functions: Arc<[ComponentFunction]>,
}

impl<T: 'static> Clone for DynamicComponent<T> {
    fn clone(&self) -> Self {
        Self {
            maker: self.maker.clone(),
            functions: self.functions.clone(),
        }
    }
}

impl<T: 'static> fmt::Debug for DynamicComponent<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicComponent")
            .field("name", &self.maker.name)
            .finish_non_exhaustive()
    }
}

/// An instance of a [`DynamicComponent`]; call its functions with
/// [`Instance::call_function`].
pub type DynamicComponentInstance<T> = Instance<ComponentState<T>, ComponentInstance>;

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

    /// Where the component exports it.
    pub(crate) fn index(&self) -> ComponentExportIndex {
        self.index
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
        write!(f, "{}: {}", self.name, func_type(&self.ty))
    }
}

/// A function type in WIT-like form, types written out: `func(name: string) -> string`.
/// Composition compares two components' functions by this text, as wasmtime compares types
/// only within one component. It writes every value type in full (record fields, variant and
/// enum cases, flags) except resource handles, which it writes as `<<UNSUPPORTED>>`.
pub(crate) fn func_type(ty: &ComponentFunc) -> String {
    let params: Vec<String> = ty
        .params()
        .map(|(name, ty)| format!("{name}: {}", DisplayType(&ty)))
        .collect();
    let mut text = format!("func({})", params.join(", "));
    if let Some(result) = ty.results().next() {
        text = format!("{text} -> {}", DisplayType(&result));
    }
    text
}

impl<T: Transactional + Send + 'static> DynamicComponent<T> {
    /// Pre-links `component` and lists its function exports.
    pub(crate) fn new(
        name: Arc<str>,
        component: &Component,
        linker: &Linker<ComponentState<T>>,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(|source| Error::Unlinkable {
                plugin: name.to_string(),
                source: source.into(),
            })?;
        let engine = component.engine().clone();
        let maker = Maker::new(name, engine, policy, move |store| pre.instantiate(store));
        Ok(Self::with_maker(maker, component))
    }

    /// A plugin whose instances `maker` makes, with the function exports of `component`.
    pub(crate) fn with_maker(
        maker: Arc<Maker<ComponentState<T>, ComponentInstance>>,
        component: &Component,
    ) -> Self {
        Self {
            maker,
            functions: functions(component).into(),
        }
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.maker.name
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
            &self.maker.name,
            &self.functions,
            name,
            |f| [&f.name, &f.short_name, &f.function],
            ToString::to_string,
        )
        .cloned()
    }

    /// Creates a fresh instance in a store of its own holding `data`, under the host's limits
    /// and grants.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the component traps or runs into a limit while initialising,
    /// or a granted directory cannot be opened.
    pub fn instantiate(&self, data: T) -> Result<DynamicComponentInstance<T>, Error> {
        Instance::new(self.maker.clone(), data)
    }
}

/// The function exports of `component`: root functions, then those of exported instances.
pub(crate) fn functions(component: &Component) -> Vec<ComponentFunction> {
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

impl<T: Transactional + Send + 'static> DynamicComponentInstance<T> {
    /// Calls `function` with `args` under the host's limits and returns its results (none or
    /// one).
    ///
    /// # Errors
    /// [`Error::Call`] if the arguments do not fit the signature or the call fails;
    /// [`Error::Instantiate`] if a fresh instance was due and could not be made.
    pub fn call_function(
        &mut self,
        function: &ComponentFunction,
        args: &[Val],
    ) -> Result<Vec<Val>, Error> {
        self.call(&function.name, |instance, store| {
            let func = instance
                .get_func(&mut *store, function.index)
                .ok_or_else(|| wasmtime::format_err!("no function export `{}`", function.name))?;
            let mut results = vec![Val::Bool(false); function.ty.results().len()];
            func.call(&mut *store, args, &mut results)?;
            Ok(results)
        })
    }
}
