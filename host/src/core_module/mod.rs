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

use wasmtime::{Caller, Instance, InstancePre, Linker, Memory, Module, Store, TypedFunc};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::state::{CoreState, HostState, deny_all_wasi, output_pipe};
use crate::{Error, Point, SharedValue};
use abi::PointLayout;

pub use linking::LinkedModules;

/// Adds WASI preview 1 and the ABI's `env` host functions to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<CoreState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |state| &mut state.wasi)?;
    let [log, get, set] = abi::IMPORTS.map(|signature| signature.name);
    linker.func_wrap(
        abi::IMPORT_MODULE,
        log,
        |mut caller: Caller<'_, CoreState>, value: i32| caller.data_mut().host.log(value),
    )?;
    linker.func_wrap(abi::IMPORT_MODULE, get, |caller: Caller<'_, CoreState>| {
        caller.data().host.get()
    })?;
    linker.func_wrap(
        abi::IMPORT_MODULE,
        set,
        |mut caller: Caller<'_, CoreState>, value: i32| caller.data_mut().host.set(value),
    )?;
    Ok(())
}

/// Creates a store for one core-module instance: WASI preview 1 granting nothing, output
/// captured in `output`.
pub(crate) fn new_store(
    module: &Module,
    plugin: Arc<str>,
    shared: SharedValue,
    output: &MemoryOutputPipe,
) -> Store<CoreState> {
    let state = CoreState {
        wasi: deny_all_wasi(output).build_p1(),
        host: HostState::new(plugin, shared),
    };
    Store::new(module.engine(), state)
}

/// A core-module plugin, compiled, checked against the ABI and pre-linked.
///
/// Cheap to share across threads; each [`CorePlugin::instantiate`] gives an independent
/// [`CoreInstance`].
pub struct CorePlugin {
    name: Arc<str>,
    module: Module,
    pre: InstancePre<CoreState>,
    shared: SharedValue,
}

impl CorePlugin {
    /// Checks `module` against the ABI and pre-links it.
    pub(crate) fn new(
        name: Arc<str>,
        module: Module,
        linker: &Linker<CoreState>,
        shared: SharedValue,
    ) -> Result<Self, Error> {
        let mut problems = abi::check_exports(&module);
        let pre = linker.instantiate_pre(&module);
        if let Err(error) = &pre {
            problems.push(format!("{error:#}"));
        }
        match pre {
            Ok(pre) if problems.is_empty() => Ok(Self {
                name,
                module,
                pre,
                shared,
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

    /// Creates a fresh instance in a store of its own and runs its `_initialize` export, if it
    /// has one (the WASI reactor convention).
    ///
    /// # Errors
    /// [`Error::Instantiate`] if the module's start function or `_initialize` traps.
    pub fn instantiate(&self) -> Result<CoreInstance, Error> {
        let instantiate_error = |source: wasmtime::Error| Error::Instantiate {
            plugin: self.name.to_string(),
            source: source.into(),
        };
        let output = output_pipe();
        let mut store = new_store(
            &self.module,
            self.name.clone(),
            self.shared.clone(),
            &output,
        );
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(instantiate_error)?;
        if let Ok(initialize) = instance.get_typed_func::<(), ()>(&mut store, abi::INITIALIZE) {
            initialize.call(&mut store, ()).map_err(instantiate_error)?;
        }
        // `CorePlugin::new` checked every export, so these lookups succeed; they still return
        // errors rather than panic.
        let memory = instance
            .get_memory(&mut store, abi::MEMORY)
            .ok_or_else(|| instantiate_error(wasmtime::format_err!("no memory export")))?;
        let exports = TypedExports::new(&instance, &mut store).map_err(instantiate_error)?;
        Ok(CoreInstance {
            store,
            memory,
            exports,
            scratch: None,
            output,
        })
    }
}

/// The ABI's exports as typed functions, looked up once per instance.
struct TypedExports {
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
            just_add: instance.get_typed_func(&mut *store, just_add)?,
            trigger_host_calls: instance.get_typed_func(&mut *store, trigger_host_calls)?,
            point_add: instance.get_typed_func(&mut *store, point_add)?,
            get_plugin_shared_value_ptr: instance.get_typed_func(&mut *store, value_ptr)?,
            simple_add: instance.get_typed_func(&mut *store, simple_add)?,
            allocator: allocator.map(|f| f.typed(&*store)).transpose()?,
        })
    }
}

/// Scratch space for `point_add`: the two inputs and the result, one [`PointLayout`] each.
const SCRATCH_LEN: usize = 3 * PointLayout::SIZE;

/// One instance of a core-module plugin, with its own store.
///
/// Each method calls the export of the same name; failures name the plugin and the export.
/// After a trap, drop the instance and make a new one.
pub struct CoreInstance {
    store: Store<CoreState>,
    memory: Memory,
    exports: TypedExports,
    /// Guest address of [`SCRATCH_LEN`] bytes the guest does not use, obtained on first need.
    scratch: Option<u32>,
    output: MemoryOutputPipe,
}

impl CoreInstance {
    /// Calls `just_add(a, b)`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps.
    pub fn just_add(&mut self, a: i64, b: i64) -> Result<i64, Error> {
        let f = self.exports.just_add.clone();
        self.call("just_add", f, (a, b))
    }

    /// Calls `trigger_host_calls(input)`, which calls the host's `env` functions.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps.
    pub fn trigger_host_calls(&mut self, input: i32) -> Result<(), Error> {
        let f = self.exports.trigger_host_calls.clone();
        self.call("trigger_host_calls", f, input)
    }

    /// Calls `point_add(result, a, b)`: writes `a` and `b` into guest memory the guest does not
    /// use (see [`abi::ALLOCATOR`]), passes their addresses, and reads the result back.
    ///
    /// # Errors
    /// [`Error::Call`] if getting scratch memory fails or the guest traps;
    /// [`Error::GuestMemory`] if the scratch memory is out of bounds.
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        const EXPORT: &str = "point_add";
        // `scratch` checked that `base + SCRATCH_LEN` does not overflow.
        let base = self.scratch()?;
        let size = PointLayout::SIZE as u32;
        let (a_ptr, b_ptr, result_ptr) = (base, base + size, base + 2 * size);
        self.write(EXPORT, a_ptr, &PointLayout::encode(a))?;
        self.write(EXPORT, b_ptr, &PointLayout::encode(b))?;
        let f = self.exports.point_add.clone();
        self.call(EXPORT, f, (result_ptr as i32, a_ptr as i32, b_ptr as i32))?;
        let mut result = [0; PointLayout::SIZE];
        self.read(EXPORT, result_ptr, &mut result)?;
        Ok(PointLayout::decode(result))
    }

    /// Returns the guest address of the plugin's own `i32`, from `get_plugin_shared_value_ptr`.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps.
    pub fn guest_value_address(&mut self) -> Result<u32, Error> {
        let f = self.exports.get_plugin_shared_value_ptr.clone();
        let ptr = self.call("get_plugin_shared_value_ptr", f, ())?;
        Ok(memory::address(ptr))
    }

    /// Reads the plugin's own `i32` straight out of its linear memory.
    ///
    /// # Errors
    /// [`Error::Call`] if the guest traps; [`Error::GuestMemory`] if the guest returned an
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
    /// [`Error::Call`] if the guest traps.
    pub fn simple_add(&mut self, a: i64, b: i64) -> Result<i64, Error> {
        let f = self.exports.simple_add.clone();
        self.call("simple_add", f, (a, b))
    }

    /// Returns the values the plugin passed to `host_log_value` since the last call of this
    /// method, oldest first.
    pub fn take_logged(&mut self) -> Vec<i32> {
        std::mem::take(&mut self.store.data_mut().host.logged)
    }

    /// Everything the plugin has written to stdout and stderr so far (invalid UTF-8 replaced).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.contents()).into_owned()
    }

    fn plugin(&self) -> &str {
        &self.store.data().host.plugin
    }

    fn call<P, R>(&mut self, export: &str, f: TypedFunc<P, R>, params: P) -> Result<R, Error>
    where
        P: wasmtime::WasmParams,
        R: wasmtime::WasmResults,
    {
        f.call(&mut self.store, params)
            .map_err(|e| Error::call(self.plugin(), export, e))
    }

    fn read(&self, export: &str, address: u32, buffer: &mut [u8]) -> Result<(), Error> {
        memory::read(&self.memory, &self.store, address, buffer)
            .map_err(|e| self.memory_error(export, e))
    }

    fn write(&mut self, export: &str, address: u32, data: &[u8]) -> Result<(), Error> {
        memory::write(&self.memory, &mut self.store, address, data)
            .map_err(|e| self.memory_error(export, e))
    }

    fn memory_error(&self, export: &str, e: memory::OutOfBounds) -> Error {
        Error::GuestMemory {
            plugin: self.plugin().to_owned(),
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
        if let Some(address) = self.scratch {
            return Ok(address);
        }
        let address = match self.exports.allocator.clone() {
            Some(allocator) => {
                let ptr = self.call(
                    abi::ALLOCATOR,
                    allocator,
                    (0, 0, PointLayout::ALIGN as i32, SCRATCH_LEN as i32),
                )?;
                if ptr == 0 {
                    return Err(Error::call(
                        self.plugin(),
                        abi::ALLOCATOR,
                        wasmtime::format_err!("the allocator returned a null pointer"),
                    ));
                }
                memory::address(ptr)
            }
            None => {
                let grown = self.memory.grow(&mut self.store, 1).and_then(|pages| {
                    let start = pages * self.memory.page_size(&self.store);
                    u32::try_from(start).map_err(wasmtime::Error::from)
                });
                grown.map_err(|e| Error::call(self.plugin(), "memory.grow", e))?
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
        self.scratch = Some(address);
        Ok(address)
    }
}
