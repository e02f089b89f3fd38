//! Any core module, called by export name with core `Val`s.

use std::fmt;
use std::sync::Arc;

use wasmtime::{ExternType, FuncType, Instance as WasmInstance, Linker, Module, Store, Val};

use crate::core_module::linking::{self, Link};
use crate::core_module::{CoreState, instantiate, signature};
use crate::grants::Policy;
use crate::instance::Maker;
use crate::{Error, Instance, Transactional};

/// A core module of any ABI (or a chain of linked modules), pre-linked against the host's core
/// linker (WASI preview 1 and the application's functions), whose function exports are called
/// by name with numbers.
pub struct DynamicCoreModule<T: 'static> {
    maker: Arc<Maker<CoreState<T>, WasmInstance>>,
    functions: Arc<[CoreFunction]>,
}

impl<T: 'static> Clone for DynamicCoreModule<T> {
    fn clone(&self) -> Self {
        Self {
            maker: self.maker.clone(),
            functions: self.functions.clone(),
        }
    }
}

impl<T: 'static> fmt::Debug for DynamicCoreModule<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicCoreModule")
            .field("name", &self.maker.name)
            .finish_non_exhaustive()
    }
}

/// An instance of a [`DynamicCoreModule`]; call its functions with
/// [`Instance::call_function`].
pub type DynamicCoreInstance<T> = Instance<CoreState<T>, WasmInstance>;

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

    /// Parses `args` as numbers of the parameter types (`7`, `-1`, `1.5`, `nan`; WAVE number
    /// syntax).
    ///
    /// # Errors
    /// [`Error::BadArguments`] naming `plugin`, for a wrong count or an argument that is not a
    /// number of its parameter's type.
    pub fn parse_args(&self, plugin: &str, args: &[impl AsRef<str>]) -> Result<Vec<Val>, Error> {
        let types: Vec<_> = self.ty.params().map(|ty| (String::new(), ty)).collect();
        super::parse_args(args, &types).map_err(|reason| Error::BadArguments {
            plugin: plugin.to_owned(),
            export: self.name.clone(),
            signature: self.to_string(),
            reason,
        })
    }
}

/// The signature in core-wasm terms: `just_add: (i64, i64) -> (i64)`.
impl fmt::Display for CoreFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signature = signature(self.ty.params(), self.ty.results());
        write!(f, "{}: {signature}", self.name)
    }
}

impl<T: Transactional + Send + 'static> DynamicCoreModule<T> {
    /// Pre-links `module` and lists its function exports.
    pub(crate) fn new(
        name: Arc<str>,
        module: &Module,
        linker: &Linker<CoreState<T>>,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let pre = linker
            .instantiate_pre(module)
            .map_err(|source| Error::Unlinkable {
                plugin: name.to_string(),
                source: source.into(),
            })?;
        let engine = module.engine().clone();
        Ok(Self {
            functions: functions(module),
            maker: Maker::new(name, engine, policy, move |store| instantiate(&pre, store)),
        })
    }

    /// Links `modules` in order (see [`PluginHost::link_core_modules`]); the functions are the
    /// last module's.
    ///
    /// [`PluginHost::link_core_modules`]: crate::PluginHost::link_core_modules
    pub(crate) fn linked(
        modules: Vec<Link>,
        linker: &Linker<CoreState<T>>,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        linking::check(&modules, linker)?;
        let Some((_, last)) = modules.last() else {
            return Err(Error::Unlinkable {
                plugin: String::new(),
                source: wasmtime::format_err!("there are no modules to link").into(),
            });
        };
        let functions = functions(last);
        let engine = last.engine().clone();
        let name = modules
            .iter()
            .map(|(name, _)| name.as_ref())
            .collect::<Vec<_>>()
            .join(" + ");
        let linker = linker.clone();
        let maker = Maker::new(name.into(), engine, policy, move |store| {
            linking::instantiate(&modules, &linker, store)
        });
        Ok(Self { maker, functions })
    }

    /// The name the plugin was loaded under (`a.wasm + b.wasm` for linked modules).
    pub fn name(&self) -> &str {
        &self.maker.name
    }

    /// Every function the module exports, in the module's order.
    pub fn functions(&self) -> &[CoreFunction] {
        &self.functions
    }

    /// The function exported as `name`.
    ///
    /// # Errors
    /// [`Error::NoSuchExport`] if there is none; it lists every function with its signature.
    pub fn function(&self, name: &str) -> Result<CoreFunction, Error> {
        super::find(
            &self.maker.name,
            &self.functions,
            name,
            |f| [f.name.as_str(); 3],
            ToString::to_string,
        )
        .cloned()
    }

    /// Creates a fresh instance in a store of its own holding `data`, under the host's limits
    /// and grants, and runs its `_initialize` export if it has one.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the start function or `_initialize` traps or runs into a
    /// limit, or a granted directory cannot be opened.
    pub fn instantiate(&self, data: T) -> Result<DynamicCoreInstance<T>, Error> {
        Instance::new(self.maker.clone(), data)
    }
}

/// The function exports of `module`, in its order.
fn functions(module: &Module) -> Arc<[CoreFunction]> {
    module
        .exports()
        .filter_map(|export| match export.ty() {
            ExternType::Func(ty) => Some(CoreFunction {
                name: export.name().to_owned(),
                ty,
            }),
            _ => None,
        })
        .collect()
}

impl<T: Transactional + Send + 'static> DynamicCoreInstance<T> {
    /// Calls `function` with `args` under the host's limits and returns its results.
    ///
    /// # Errors
    /// [`Error::Call`] if the arguments do not fit the signature or the call fails;
    /// [`Error::Instantiate`] if a fresh instance was due and could not be made.
    pub fn call_function(
        &mut self,
        function: &CoreFunction,
        args: &[Val],
    ) -> Result<Vec<Val>, Error> {
        self.call(
            &function.name,
            |instance, store: &mut Store<CoreState<T>>| {
                let func = instance
                    .get_func(&mut *store, &function.name)
                    .ok_or_else(|| {
                        wasmtime::format_err!("no function export `{}`", function.name)
                    })?;
                let mut results = vec![Val::I32(0); function.ty.results().len()];
                func.call(&mut *store, args, &mut results)?;
                Ok(results)
            },
        )
    }
}
