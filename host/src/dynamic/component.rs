//! Calls by name on components: their functions and `component::Val`s.

use std::fmt;
use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{Component, ComponentExportIndex, Instance, Val};

use super::ByName;
use crate::instance::concurrently;
use crate::kind;

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

impl ByName for kind::Component {
    type Function = ComponentFunction;
    type Val = Val;

    fn functions(code: &Component) -> Vec<ComponentFunction> {
        functions(code)
    }

    fn names(function: &ComponentFunction) -> [&str; 3] {
        [&function.name, &function.short_name, &function.function]
    }

    fn params(function: &ComponentFunction) -> Vec<(String, Type)> {
        function
            .ty
            .params()
            .map(|(name, ty)| (name.to_owned(), ty))
            .collect()
    }

    fn call<S: Send + 'static>(
        instance: Instance,
        store: &mut Store<S>,
        function: &ComponentFunction,
        args: &[Val],
        concurrent: Option<Duration>,
    ) -> wasmtime::Result<Vec<Val>> {
        if concurrent.is_some() {
            return crate::component::block_on(Self::call_async(
                instance, store, function, args, concurrent,
            ));
        }
        let (func, mut results) = prepare(instance, store, function)?;
        func.call(&mut *store, args, &mut results)?;
        Ok(results)
    }

    async fn call_async<S: Send + 'static>(
        instance: Instance,
        store: &mut Store<S>,
        function: &ComponentFunction,
        args: &[Val],
        concurrent: Option<Duration>,
    ) -> wasmtime::Result<Vec<Val>> {
        let (func, mut results) = prepare(instance, store, function)?;
        if let Some(deadline) = concurrent {
            let results = &mut results;
            concurrently(store, deadline, &func, async |func, accessor| {
                func.call_concurrent(accessor, args, results).await
            })
            .await?;
        } else {
            func.call_async(&mut *store, args, &mut results).await?;
        }
        Ok(results)
    }
}

/// `function` of `instance`, and room for its results.
fn prepare<S>(
    instance: Instance,
    store: &mut Store<S>,
    function: &ComponentFunction,
) -> wasmtime::Result<(wasmtime::component::Func, Vec<Val>)> {
    let func = instance
        .get_func(&mut *store, function.index)
        .ok_or_else(|| wasmtime::format_err!("no function export `{}`", function.name))?;
    Ok((func, vec![Val::Bool(false); function.ty.results().len()]))
}
