//! Calls by name on components: their functions and `component::Val`s.

use crate::deadline::Deadline;
use std::fmt;

use wasmtime::Store;
use wasmtime::component::ResourceType;
use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{Component, ComponentExportIndex, Instance, Val};

use super::ByName;
use crate::instance::concurrently;
use crate::kind;

/// One function a component exports: at its root (`greet`) or in an exported instance
/// (`example:greeter/text@0.1.0#shout`), with its type. A resource's functions are named as
/// WIT writes them, `accumulator.add` and `accumulator.new` for the component's
/// `[method]accumulator.add` and `[constructor]accumulator`.
#[derive(Clone, Debug)]
pub struct ComponentFunction {
    name: String,
    short_name: String,
    function: String,
    index: ComponentExportIndex,
    ty: ComponentFunc,
    /// The signature, with the names of the resources its handles are of.
    signature: String,
}

impl ComponentFunction {
    /// The full export name: `greet` at the root, `INSTANCE#FUNCTION` in an exported instance
    /// (`example:greeter/text@0.1.0#shout`, `example:plugin/shapes@0.1.2#accumulator.add`).
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

/// The signature in WIT-like form, types written out, handles with their resource's name:
/// `greet: func(name: string) -> string`, `accumulator.add: func(self: borrow<accumulator>,
/// p: record { x: s32, y: s32 })`.
impl fmt::Display for ComponentFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.signature)
    }
}

/// What calls by name answer to, with the component's own names.
pub(crate) use crate::wit_name::wit_name;

/// `name` with its function part (after the last `#`, or the whole) as [`wit_name`] writes it.
pub(crate) fn normalize(name: &str) -> String {
    match name.rsplit_once('#') {
        Some((instance, function)) => format!("{instance}#{}", wit_name(function)),
        None => wit_name(name),
    }
}

/// A function type in WIT-like form, types written out: `func(name: string) -> string`.
/// Composition compares two components' functions by this text, as wasmtime compares types
/// only within one component. It writes a resource handle without its resource's name
/// (`own<_>`): composition refuses functions with handles ([`mentions_handles`]).
pub(crate) fn func_type(ty: &ComponentFunc) -> String {
    signature(ty, &[])
}

/// Whether `ty` takes or returns a resource handle, anywhere in its values.
pub(crate) fn mentions_handles(ty: &ComponentFunc) -> bool {
    fn holds(ty: &Type) -> bool {
        match ty {
            Type::Own(_) | Type::Borrow(_) => true,
            Type::List(list) => holds(&list.ty()),
            Type::Option(option) => holds(&option.ty()),
            Type::Result(result) => result.ok().iter().chain(&result.err()).any(holds),
            Type::Tuple(tuple) => tuple.types().any(|ty| holds(&ty)),
            Type::Record(record) => record.fields().any(|field| holds(&field.ty)),
            Type::Variant(variant) => variant
                .cases()
                .any(|case| case.ty.as_ref().is_some_and(holds)),
            Type::Stream(stream) => stream.ty().as_ref().is_some_and(holds),
            Type::Future(future) => future.ty().as_ref().is_some_and(holds),
            _ => false,
        }
    }
    ty.params().any(|(_, ty)| holds(&ty)) || ty.results().any(|ty| holds(&ty))
}

/// `ty` in WIT-like form, a handle as `own<NAME>` or `borrow<NAME>` with the name `resources`
/// gives its resource (`_` if none does).
fn signature(ty: &ComponentFunc, resources: &[(ResourceType, String)]) -> String {
    let params: Vec<String> = ty
        .params()
        .map(|(name, ty)| format!("{name}: {}", type_name(&ty, resources)))
        .collect();
    let asynchronous = if ty.async_() { "async " } else { "" };
    let mut text = format!("{asynchronous}func({})", params.join(", "));
    if let Some(result) = ty.results().next() {
        text = format!("{text} -> {}", type_name(&result, resources));
    }
    text
}

/// `ty` in WIT-like form: WAVE's names, and what WAVE cannot write (handles, streams,
/// futures) in WIT's.
pub(crate) fn type_name(ty: &Type, resources: &[(ResourceType, String)]) -> String {
    let named = |resource: &ResourceType| {
        resources
            .iter()
            .find(|(ty, _)| ty == resource)
            .map_or("_", |(_, name)| name.as_str())
            .to_owned()
    };
    let inner = |ty: &Type| type_name(ty, resources);
    let optional = |ty: Option<Type>| ty.as_ref().map_or("_".to_owned(), inner);
    match ty {
        Type::Own(resource) => format!("own<{}>", named(resource)),
        Type::Borrow(resource) => format!("borrow<{}>", named(resource)),
        Type::Stream(stream) => match stream.ty() {
            Some(payload) => format!("stream<{}>", inner(&payload)),
            None => "stream".to_owned(),
        },
        Type::Future(future) => match future.ty() {
            Some(payload) => format!("future<{}>", inner(&payload)),
            None => "future".to_owned(),
        },
        Type::List(list) => format!("list<{}>", inner(&list.ty())),
        Type::Option(option) => format!("option<{}>", inner(&option.ty())),
        Type::Result(result) => {
            format!(
                "result<{}, {}>",
                optional(result.ok()),
                optional(result.err())
            )
        }
        Type::Tuple(tuple) => {
            let types: Vec<String> = tuple.types().map(|ty| inner(&ty)).collect();
            format!("tuple<{}>", types.join(", "))
        }
        Type::Record(record) => {
            let fields: Vec<String> = record
                .fields()
                .map(|field| format!("{}: {}", field.name, inner(&field.ty)))
                .collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        other => DisplayType(other).to_string(),
    }
}

/// The names of the resources `component` imports and exports (`accumulator`, `path`), by
/// their types, for writing the handles of its functions' types.
pub(crate) fn resource_names(component: &Component) -> Vec<(ResourceType, String)> {
    let engine = component.engine();
    let ty = component.component_type();
    let mut names = Vec::new();
    for (name, item) in ty.imports(engine).chain(ty.exports(engine)) {
        match item.ty {
            ComponentItem::Resource(resource) => names.push((resource, name.to_owned())),
            ComponentItem::ComponentInstance(instance) => {
                for (name, item) in instance.exports(engine) {
                    if let ComponentItem::Resource(resource) = item.ty {
                        names.push((resource, name.to_owned()));
                    }
                }
            }
            _ => {}
        }
    }
    names
}

/// The function exports of `component`: root functions, then those of exported instances.
pub(crate) fn functions(component: &Component) -> Vec<ComponentFunction> {
    let engine = component.engine();
    let resources = resource_names(component);
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
                signature: signature(&ty, &resources),
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
                    let wit = wit_name(function);
                    functions.push(ComponentFunction {
                        name: format!("{export}#{wit}"),
                        short_name: format!("{interface}#{wit}"),
                        function: wit,
                        index,
                        signature: signature(&ty, &resources),
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

    fn resources(code: &Component) -> Vec<(ResourceType, String)> {
        resource_names(code)
    }

    fn call_wave<T: crate::Transactional + Send + 'static>(
        plugin: &super::DynamicPlugin<Self, T>,
        function: &str,
        args: &[&str],
        data: T,
    ) -> Result<super::WaveCall, crate::Error> {
        plugin.function(function)?;
        plugin.session(data)?.call_wave(function, args)
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
        concurrent: Option<&Deadline>,
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
        concurrent: Option<&Deadline>,
    ) -> wasmtime::Result<Vec<Val>> {
        let (func, mut results) = prepare(instance, store, function)?;
        if let Some(deadline) = concurrent {
            let results = &mut results;
            concurrently(store, deadline, &func, async |func, accessor| {
                func.call_concurrent(accessor, args, results).await
            })
            .await??;
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
