//! Calls by name on core modules: their functions and core `Val`s (numbers).

use std::fmt;

use wasmtime::{ExternType, FuncType, Instance, Module, Store, Val, ValType};

use super::ByName;
use crate::core_module::signature;
use crate::kind;

/// One function a core module exports, with its type.
#[derive(Clone, Debug)]
pub struct CoreFunction {
    name: String,
    ty: FuncType,
}

impl CoreFunction {
    /// The export name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The function's type.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }
}

/// The signature in core-wasm terms: `just_add: (i64, i64) -> (i64)`.
impl fmt::Display for CoreFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signature = signature(self.ty.params(), self.ty.results());
        write!(f, "{}: {signature}", self.name)
    }
}

impl ByName for kind::CoreModule {
    type Function = CoreFunction;
    type Val = Val;

    fn functions(code: &Module) -> Vec<CoreFunction> {
        code.exports()
            .filter_map(|export| match export.ty() {
                ExternType::Func(ty) => Some(CoreFunction {
                    name: export.name().to_owned(),
                    ty,
                }),
                _ => None,
            })
            .collect()
    }

    fn names(function: &CoreFunction) -> [&str; 3] {
        [function.name.as_str(); 3]
    }

    fn resources(_: &Module) -> Vec<(wasmtime::component::ResourceType, String)> {
        Vec::new()
    }

    fn call_wave<T: crate::Transactional + Send + 'static>(
        plugin: &super::DynamicPlugin<Self, T>,
        function: &str,
        args: &[&str],
        data: T,
    ) -> Result<super::WaveCall, crate::Error> {
        plugin.call_wave_plainly(function, args, data)
    }

    fn params(function: &CoreFunction) -> Vec<(String, ValType)> {
        function.ty.params().map(|ty| (String::new(), ty)).collect()
    }

    fn call<S: Send + 'static>(
        instance: Instance,
        store: &mut Store<S>,
        function: &CoreFunction,
        args: &[Val],
        _: Option<&crate::deadline::Deadline>,
    ) -> wasmtime::Result<Vec<Val>> {
        let (func, mut results) = prepare(instance, store, function)?;
        func.call(&mut *store, args, &mut results)?;
        Ok(results)
    }

    async fn call_async<S: Send + 'static>(
        instance: Instance,
        store: &mut Store<S>,
        function: &CoreFunction,
        args: &[Val],
        _: Option<&crate::deadline::Deadline>,
    ) -> wasmtime::Result<Vec<Val>> {
        let (func, mut results) = prepare(instance, store, function)?;
        func.call_async(&mut *store, args, &mut results).await?;
        Ok(results)
    }
}

/// `function` of `instance`, and room for its results.
fn prepare<S>(
    instance: Instance,
    store: &mut Store<S>,
    function: &CoreFunction,
) -> wasmtime::Result<(wasmtime::Func, Vec<Val>)> {
    let func = instance
        .get_func(&mut *store, &function.name)
        .ok_or_else(|| wasmtime::format_err!("no function export `{}`", function.name))?;
    Ok((func, vec![Val::I32(0); function.ty.results().len()]))
}
