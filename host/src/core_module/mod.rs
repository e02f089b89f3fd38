//! The core-module compatibility path: plugins without the component model, speaking the seed's
//! raw ABI (see [`abi`]).
//!
//! This is the way underneath the component model, shown in full: host functions linked with
//! `Linker::func_wrap`, `extern "C"` exports called as `TypedFunc`s, and structs passed by writing
//! their bytes into the guest's linear memory and handing it pointers.

pub mod abi;
mod linking;
pub mod memory;

use std::sync::Arc;

use wasmtime::{Caller, Engine, Instance, InstancePre, Linker, Memory, Module, Store, TypedFunc};

use crate::grants::Policy;
use crate::output::CapturedOutput;
use crate::run::{new_store, run};
use crate::state::{CoreState, HostState, Sandbox};
use crate::{Error, Point, SharedValue};
use abi::PointLayout;

pub use linking::LinkedModules;

/// Adds WASI preview 1 and the ABI's `env` host functions to `linker`.
///
/// The host functions get only the host state, never the `Caller`, so they cannot call back
/// into the guest: a guest cannot re-enter a host function through one.
pub(crate) fn add_to_linker(linker: &mut Linker<CoreState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |state| &mut state.wasi)?;
    let [log, get, set] = abi::IMPORTS.map(|signature| signature.name);
    linker.func_wrap(
        abi::IMPORT_MODULE,
        log,
        |mut caller: Caller<'_, CoreState>, value: i32| host(&mut caller).log(value),
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        get,
        |mut caller: Caller<'_, CoreState>| host(&mut caller).get(),
    )?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        set,
        |mut caller: Caller<'_, CoreState>, value: i32| host(&mut caller).set(value),
    )?;
    Ok(())
}

fn host<'a>(caller: &'a mut Caller<'_, CoreState>) -> &'a mut HostState {
    &mut caller.data_mut().sandbox.host
}

/// Creates a store for one core-module instance: WASI preview 1 granting only the policy's
/// grants, output captured in `output`, the per-store limits in force.
///
/// # Errors
/// If a granted directory cannot be opened.
pub(crate) fn core_store(
    engine: &Engine,
    host: HostState,
    output: &CapturedOutput,
    policy: &Policy,
) -> wasmtime::Result<Store<CoreState>> {
    let state = CoreState {
        wasi: output.wasi(&policy.grants)?.build_p1(),
        sandbox: Sandbox::new(host, &policy.limits),
    };
    Ok(new_store(engine, state, &policy.limits))
}

/// Instantiates `pre` in `store` and runs its `_initialize` export, if it has one (the WASI
/// reactor convention).
pub(crate) fn instantiate(
    pre: &InstancePre<CoreState>,
    store: &mut Store<CoreState>,
) -> wasmtime::Result<Instance> {
    let instance = pre.instantiate(&mut *store)?;
    if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut *store, abi::INITIALIZE) {
        initialize.call(&mut *store, ())?;
    }
    Ok(instance)
}

/// A core-module plugin, compiled, checked against the ABI and pre-linked.
///
/// Cheap to clone and to share across threads; each [`CorePlugin::instantiate`] gives an
/// independent [`CoreInstance`].
#[derive(Clone)]
pub struct CorePlugin {
    name: Arc<str>,
    pre: InstancePre<CoreState>,
    shared: SharedValue,
    policy: Arc<Policy>,
}

impl std::fmt::Debug for CorePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorePlugin")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CorePlugin {
    /// Checks `module` against the ABI and pre-links it.
    pub(crate) fn new(
        name: Arc<str>,
        module: &Module,
        linker: &Linker<CoreState>,
        shared: SharedValue,
        policy: Arc<Policy>,
    ) -> Result<Self, Error> {
        let mut problems = abi::check_exports(module);
        let pre = linker.instantiate_pre(module);
        if let Err(error) = &pre {
            problems.push(format!("{error:#}"));
        }
        match pre {
            Ok(pre) if problems.is_empty() => Ok(Self {
                name,
                pre,
                shared,
                policy,
            }),
            _ => Err(Error::AbiMismatch {
                plugin: name.to_string(),
                problems,
            }),
        }
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates a fresh instance in a store of its own, under the host's [`Limits`], and runs
    /// its `_initialize` export, if it has one (the WASI reactor convention).
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the module's start function or `_initialize` traps or runs
    /// into a limit.
    pub fn instantiate(&self) -> Result<CoreInstance, Error> {
        let output = CapturedOutput::new(self.policy.limits.output_bytes);
        let host = HostState::new(self.name.clone(), self.shared.clone());
        let live = self.live(host, &output)?;
        Ok(CoreInstance {
            plugin: self.clone(),
            output,
            live,
            poisoned: false,
        })
    }

    /// Instantiates the module in a new store holding `host`, writing to `output`.
    fn live(&self, host: HostState, output: &CapturedOutput) -> Result<Live, Error> {
        let engine = self.pre.module().engine();
        let mut store = core_store(engine, host, output, &self.policy)
            .map_err(|source| Error::instantiate(&self.name, source, None))?;
        let exports = run(&mut store, &self.policy.limits, |store| {
            let instance = instantiate(&self.pre, store)?;
            TypedExports::new(&instance, store)
        })
        .map_err(|failed| failed.instantiate(&self.name))?;
        Ok(Live {
            store,
            exports,
            scratch: None,
        })
    }
}

/// The ABI's exports as typed functions, and the memory, looked up once per instance.
/// `CorePlugin::new` checked every export, so the lookups succeed; they still return errors
/// rather than panic.
struct TypedExports {
    memory: Memory,
    just_add: TypedFunc<(i64, i64), i64>,
    trigger_host_calls: TypedFunc<i32, ()>,
    point_add: TypedFunc<(i32, i32, i32), ()>,
    get_plugin_shared_value_ptr: TypedFunc<(), i32>,
    simple_add: TypedFunc<(i64, i64), i64>,
    allocator: Option<TypedFunc<(i32, i32, i32, i32), i32>>,
}

impl TypedExports {
    fn new(instance: &Instance, store: &mut Store<CoreState>) -> wasmtime::Result<Self> {
        let [
            just_add,
            trigger_host_calls,
            point_add,
            value_ptr,
            simple_add,
        ] = abi::EXPORTS.map(|signature| signature.name);
        let allocator = instance.get_func(&mut *store, abi::ALLOCATOR);
        Ok(Self {
            memory: instance
                .get_memory(&mut *store, abi::MEMORY)
                .ok_or_else(|| wasmtime::format_err!("no `{}` export", abi::MEMORY))?,
            just_add: instance.get_typed_func(&mut *store, just_add)?,
            trigger_host_calls: instance.get_typed_func(&mut *store, trigger_host_calls)?,
            point_add: instance.get_typed_func(&mut *store, point_add)?,
            get_plugin_shared_value_ptr: instance.get_typed_func(&mut *store, value_ptr)?,
            simple_add: instance.get_typed_func(&mut *store, simple_add)?,
            allocator: allocator.map(|f| f.typed(&*store)).transpose()?,
        })
    }
}

/// A live instance: its store, its exports, and its scratch memory once obtained.
struct Live {
    store: Store<CoreState>,
    exports: TypedExports,
    /// Guest address of [`SCRATCH_LEN`] bytes the guest does not use, obtained on first need.
    scratch: Option<u32>,
}

/// Scratch space for `point_add`: the two inputs and the result, one [`PointLayout`] each.
const SCRATCH_LEN: usize = 3 * PointLayout::SIZE;

/// One instance of a core-module plugin, with its own store.
///
/// Each method calls the export of the same name, under the host's [`Limits`]; failures name
/// the plugin, the export and the [`Failure`](crate::Failure). As for components, a failed
/// call commits nothing to the host state, and the next call runs on a fresh instance: a core
/// module's store is not poisoned by a trap, but the guest's own state may be half-updated.
pub struct CoreInstance {
    plugin: CorePlugin,
    output: CapturedOutput,
    live: Live,
    /// The last call failed: `live` is discarded before the next one.
    poisoned: bool,
}

impl CoreInstance {
    /// Calls `just_add(a, b)`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`Error::Call`] if the call fails; [`Error::Instantiate`] if a fresh instance was due
    /// and could not be made.
    pub fn just_add(&mut self, a: i64, b: i64) -> Result<i64, Error> {
        self.call("just_add", |e| &e.just_add, (a, b))
    }

    /// Calls `trigger_host_calls(input)`, which calls the host's `env` functions.
    ///
    /// # Errors
    /// As [`CoreInstance::just_add`].
    pub fn trigger_host_calls(&mut self, input: i32) -> Result<(), Error> {
        self.call("trigger_host_calls", |e| &e.trigger_host_calls, input)
    }

    /// Calls `point_add(result, a, b)`: writes `a` and `b` into guest memory the guest does not
    /// use (see [`abi::ALLOCATOR`]), passes their addresses, and reads the result back.
    ///
    /// # Errors
    /// As [`CoreInstance::just_add`], and [`Error::GuestMemory`] if the scratch memory is out
    /// of bounds.
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        const EXPORT: &str = "point_add";
        // `scratch` checked that `base + SCRATCH_LEN` does not overflow.
        let base = self.scratch()?;
        let size = PointLayout::SIZE as u32;
        let (a_ptr, b_ptr, result_ptr) = (base, base + size, base + 2 * size);
        self.write(EXPORT, a_ptr, &PointLayout::encode(a))?;
        self.write(EXPORT, b_ptr, &PointLayout::encode(b))?;
        let args = (result_ptr as i32, a_ptr as i32, b_ptr as i32);
        self.call(EXPORT, |e| &e.point_add, args)?;
        let mut result = [0; PointLayout::SIZE];
        self.read(EXPORT, result_ptr, &mut result)?;
        Ok(PointLayout::decode(result))
    }

    /// Returns the guest address of the plugin's own `i32`, from `get_plugin_shared_value_ptr`.
    ///
    /// # Errors
    /// As [`CoreInstance::just_add`].
    pub fn guest_value_address(&mut self) -> Result<u32, Error> {
        let export = "get_plugin_shared_value_ptr";
        let ptr = self.call(export, |e| &e.get_plugin_shared_value_ptr, ())?;
        Ok(memory::address(ptr))
    }

    /// Reads the plugin's own `i32` straight out of its linear memory.
    ///
    /// # Errors
    /// As [`CoreInstance::just_add`], and [`Error::GuestMemory`] if the guest returned an
    /// address outside its memory.
    pub fn read_guest_value(&mut self) -> Result<i32, Error> {
        let address = self.guest_value_address()?;
        let mut bytes = [0; 4];
        self.read("get_plugin_shared_value_ptr", address, &mut bytes)?;
        Ok(i32::from_le_bytes(bytes))
    }

    /// Overwrites the plugin's own `i32` in its linear memory.
    ///
    /// # Errors
    /// As [`CoreInstance::read_guest_value`].
    pub fn write_guest_value(&mut self, value: i32) -> Result<(), Error> {
        let address = self.guest_value_address()?;
        self.write("get_plugin_shared_value_ptr", address, &value.to_le_bytes())
    }

    /// Calls `simple_add(a, b)`, which prints the plugin's own value, then adds, wrapping.
    ///
    /// # Errors
    /// As [`CoreInstance::just_add`].
    pub fn simple_add(&mut self, a: i64, b: i64) -> Result<i64, Error> {
        self.call("simple_add", |e| &e.simple_add, (a, b))
    }

    /// Returns the values the plugin passed to `host_log_value` in calls that succeeded since
    /// the last call of this method, oldest first; at most [`crate::LOG_CAPACITY`].
    pub fn take_logged(&mut self) -> Vec<i32> {
        self.live.store.data_mut().sandbox.host.take_logged()
    }

    /// The plugin's captured stdout and stderr.
    pub fn output(&self) -> &CapturedOutput {
        &self.output
    }

    /// Replaces the live instance with a fresh one if the last call failed.
    fn renew_if_poisoned(&mut self) -> Result<(), Error> {
        if self.poisoned {
            let plugin = &self.plugin;
            let fresh = HostState::new(plugin.name.clone(), plugin.shared.clone());
            let host = std::mem::replace(&mut self.live.store.data_mut().sandbox.host, fresh);
            self.live = plugin.live(host, &self.output)?;
            self.poisoned = false;
        }
        Ok(())
    }

    /// Calls the export that `select` picks, on a fresh instance if the last call failed.
    /// The `TypedFunc` is borrowed, not cloned: cloning one costs an atomic reference count
    /// on its type, which was most of the call's cost.
    fn call<P, R>(
        &mut self,
        export: &str,
        select: impl FnOnce(&TypedExports) -> &TypedFunc<P, R>,
        params: P,
    ) -> Result<R, Error>
    where
        P: wasmtime::WasmParams,
        R: wasmtime::WasmResults,
    {
        self.renew_if_poisoned()?;
        let Live { store, exports, .. } = &mut self.live;
        let f = select(exports);
        run(store, &self.plugin.policy.limits, |store| {
            f.call(store, params)
        })
        .map_err(|failed| {
            self.poisoned = true;
            failed.call(&self.plugin.name, export)
        })
    }

    fn read(&self, export: &str, address: u32, buffer: &mut [u8]) -> Result<(), Error> {
        let live = &self.live;
        memory::read(&live.exports.memory, &live.store, address, buffer)
            .map_err(|e| self.memory_error(export, e))
    }

    fn write(&mut self, export: &str, address: u32, data: &[u8]) -> Result<(), Error> {
        let live = &mut self.live;
        memory::write(&live.exports.memory, &mut live.store, address, data)
            .map_err(|e| self.memory_error(export, e))
    }

    fn memory_error(&self, export: &str, e: memory::OutOfBounds) -> Error {
        Error::GuestMemory {
            plugin: self.plugin.name.to_string(),
            export: export.to_owned(),
            address: e.address,
            len: e.len,
        }
    }

    /// Returns the address of [`SCRATCH_LEN`] bytes of guest memory that the guest does not use:
    /// a block from the guest's allocator if it exports one, else a page the host grows the
    /// memory by (the guest's allocator never hands out memory it did not grow itself). Obtained
    /// once per instance and reused.
    fn scratch(&mut self) -> Result<u32, Error> {
        self.renew_if_poisoned()?;
        if let Some(address) = self.live.scratch {
            return Ok(address);
        }
        let Live { store, exports, .. } = &mut self.live;
        let address = match &exports.allocator {
            Some(allocator) => {
                let args = (0, 0, PointLayout::ALIGN as i32, SCRATCH_LEN as i32);
                let ptr = run(store, &self.plugin.policy.limits, |store| {
                    allocator.call(store, args)
                })
                .map_err(|failed| {
                    self.poisoned = true;
                    failed.call(&self.plugin.name, abi::ALLOCATOR)
                })?;
                if ptr == 0 {
                    return Err(Error::call(
                        &self.plugin.name,
                        abi::ALLOCATOR,
                        wasmtime::format_err!("the allocator returned a null pointer"),
                        None,
                    ));
                }
                memory::address(ptr)
            }
            None => {
                let memory = exports.memory;
                let grown = memory.grow(&mut *store, 1).and_then(|pages| {
                    let start = pages * memory.page_size(&*store);
                    u32::try_from(start).map_err(wasmtime::Error::from)
                });
                let refused = store.data_mut().sandbox.limiter.take_refused();
                grown.map_err(|e| Error::call(&self.plugin.name, "memory.grow", e, refused))?
            }
        };
        if address.checked_add(SCRATCH_LEN as u32).is_none() {
            return Err(self.memory_error(
                abi::ALLOCATOR,
                memory::OutOfBounds {
                    address,
                    len: SCRATCH_LEN,
                },
            ));
        }
        self.live.scratch = Some(address);
        Ok(address)
    }
}
