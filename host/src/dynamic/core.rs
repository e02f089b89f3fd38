//! Any core module, called by export name with core `Val`s.

use std::fmt;
use std::sync::Arc;

use wasmtime::{ExternType, FuncType, Instance, InstancePre, Linker, Module, Store, Val};

use crate::core_module::{abi, core_store, instantiate};
use crate::grants::Policy;
use crate::output::CapturedOutput;
use crate::run::run;
use crate::state::{CoreState, HostState};
use crate::{Error, SharedValue};

/// A core module of any ABI, pre-linked against the host's core linker (WASI preview 1 and the
/// `env` functions), whose function exports are called by name with numbers.
#[derive(Clone)]
pub struct DynamicCoreModule {
    name: Arc<str>,
    pre: InstancePre<CoreState>,
    functions: Arc<[CoreFunction]>,
    shared: SharedValue,
    policy: Arc<Policy>,
}

impl fmt::Debug for DynamicCoreModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicCoreModule")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

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
        let signature = abi::describe(self.ty.params(), self.ty.results());
        write!(f, "{}: {signature}", self.name)
    }
}

impl DynamicCoreModule {
    /// Pre-links `module` and lists its function exports.
    pub(crate) fn new(
        name: Arc<str>,
        module: &Module,
        linker: &Linker<CoreState>,
        shared: SharedValue,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let pre = linker
            .instantiate_pre(module)
            .map_err(|source| Error::Unlinkable {
                plugin: name.to_string(),
                source: source.into(),
            })?;
        let functions = module
            .exports()
            .filter_map(|export| match export.ty() {
                ExternType::Func(ty) => Some(CoreFunction {
                    name: export.name().to_owned(),
                    ty,
                }),
                _ => None,
            })
            .collect();
        Ok(Self {
            name,
            pre,
            functions,
            shared,
            policy,
        })
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.name
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
            &self.name,
            &self.functions,
            name,
            |f| [f.name.as_str(); 3],
            ToString::to_string,
        )
        .cloned()
    }

    /// Creates a fresh instance in a store of its own, under the host's limits and grants,
    /// and runs its `_initialize` export if it has one.
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the start function or `_initialize` traps or runs into a
    /// limit, or a granted directory cannot be opened.
    pub fn instantiate(&self) -> Result<DynamicCoreInstance, Error> {
        let output = CapturedOutput::new(self.policy.limits.output_bytes);
        let (store, instance) = self.store(&output)?;
        Ok(DynamicCoreInstance {
            plugin: self.clone(),
            output,
            store,
            instance,
            poisoned: false,
        })
    }

    fn store(&self, output: &CapturedOutput) -> Result<(Store<CoreState>, Instance), Error> {
        let host = HostState::new(self.name.clone(), self.shared.clone());
        let engine = self.pre.module().engine();
        let mut store = core_store(engine, host, output, &self.policy)
            .map_err(|source| Error::instantiate(&self.name, source, None))?;
        let instance = run(&mut store, &self.policy.limits, |store| {
            instantiate(&self.pre, store)
        })
        .map_err(|failed| failed.instantiate(&self.name))?;
        Ok((store, instance))
    }
}

/// One instance of a [`DynamicCoreModule`], with its own store; after a failed call the next
/// call runs on a fresh instance.
pub struct DynamicCoreInstance {
    plugin: DynamicCoreModule,
    output: CapturedOutput,
    store: Store<CoreState>,
    instance: Instance,
    poisoned: bool,
}

impl DynamicCoreInstance {
    /// Calls `function` with `args` under the host's limits and returns its results.
    ///
    /// # Errors
    /// [`Error::Call`] if the arguments do not fit the signature or the call fails;
    /// [`Error::Instantiate`] if a fresh instance was due and could not be made.
    pub fn call(&mut self, function: &CoreFunction, args: &[Val]) -> Result<Vec<Val>, Error> {
        if self.poisoned {
            (self.store, self.instance) = self.plugin.store(&self.output)?;
            self.poisoned = false;
        }
        let instance = self.instance;
        run(&mut self.store, &self.plugin.policy.limits, |store| {
            let func = instance
                .get_func(&mut *store, &function.name)
                .ok_or_else(|| wasmtime::format_err!("no function export `{}`", function.name))?;
            let mut results = vec![Val::I32(0); function.ty.results().len()];
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
