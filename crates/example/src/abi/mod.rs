//! The core-module path of the example: plugins without the component model, speaking the
//! example's raw ABI ([`spec`]).
//!
//! This is the way underneath the component model, shown in full: host functions linked with
//! `Linker::func_wrap`, `extern "C"` exports called as `TypedFunc`s, and structs passed by
//! writing their bytes into the guest's linear memory and handing it pointers. The library's
//! [`plugin_host::core_module`] runs it under the same limits and staging as a component.

pub mod spec;

use std::cell::Cell;

use plugin_host::core_module::{CoreBindings, CoreInstance, CorePlugin, CoreState, memory};
use plugin_host::wasmtime::{self, Caller, Instance, Linker, Memory, Module, Store, TypedFunc};
use plugin_host::{CapturedOutput, Error, ErrorKind};

use crate::{HostState, Point, SharedValue};
use spec::PointLayout;

/// Adds the ABI's `env` host functions to `linker`.
///
/// The host functions get only the host state, never the guest through the `Caller`, so they
/// cannot call back into the guest: a guest cannot re-enter a host function through one.
pub(crate) fn add_to_linker(linker: &mut Linker<CoreState<HostState>>) -> wasmtime::Result<()> {
    fn host<'a>(caller: &'a mut Caller<'_, CoreState<HostState>>) -> &'a mut HostState {
        caller.data_mut().data_mut()
    }
    type HostCaller<'a> = Caller<'a, CoreState<HostState>>;
    let [log, get, set] = spec::IMPORTS.map(|signature| signature.name);
    let module = spec::IMPORT_MODULE;
    linker.func_wrap(module, log, |mut c: HostCaller<'_>, v: i32| {
        host(&mut c).log(v)
    })?;
    linker.func_wrap(module, get, |mut c: HostCaller<'_>| host(&mut c).get())?;
    linker.func_wrap(module, set, |mut c: HostCaller<'_>, v: i32| {
        host(&mut c).set(v)
    })?;
    Ok(())
}

/// The ABI's exports as typed functions, and the memory, looked up once per instance; and the
/// instance's scratch memory once obtained.
pub struct AbiExports {
    memory: Memory,
    just_add: TypedFunc<(i64, i64), i64>,
    trigger_host_calls: TypedFunc<i32, ()>,
    point_add: TypedFunc<(i32, i32, i32), ()>,
    get_plugin_shared_value_ptr: TypedFunc<(), i32>,
    simple_add: TypedFunc<(i64, i64), i64>,
    allocator: Option<TypedFunc<(i32, i32, i32, i32), i32>>,
    /// Guest address of [`SCRATCH_LEN`] bytes the guest does not use, obtained on first need;
    /// a fresh instance starts without.
    scratch: Cell<Option<u32>>,
}

impl CoreBindings<HostState> for AbiExports {
    const ABI: &'static str = "the core-module ABI";

    fn check(module: &Module) -> Vec<String> {
        spec::check_exports(module)
    }

    fn new(instance: &Instance, store: &mut Store<CoreState<HostState>>) -> wasmtime::Result<Self> {
        let [just_add, trigger, point_add, value_ptr, simple_add] =
            spec::EXPORTS.map(|signature| signature.name);
        let allocator = instance.get_func(&mut *store, spec::ALLOCATOR);
        Ok(Self {
            memory: instance
                .get_memory(&mut *store, spec::MEMORY)
                .ok_or_else(|| wasmtime::format_err!("no `{}` export", spec::MEMORY))?,
            just_add: instance.get_typed_func(&mut *store, just_add)?,
            trigger_host_calls: instance.get_typed_func(&mut *store, trigger)?,
            point_add: instance.get_typed_func(&mut *store, point_add)?,
            get_plugin_shared_value_ptr: instance.get_typed_func(&mut *store, value_ptr)?,
            simple_add: instance.get_typed_func(&mut *store, simple_add)?,
            allocator: allocator.map(|f| f.typed(&*store)).transpose()?,
            scratch: Cell::new(None),
        })
    }
}

/// A core-module plugin, compiled, checked against the ABI and pre-linked. Cheap to clone and
/// to share across threads.
#[derive(Clone, Debug)]
pub struct AbiPlugin {
    plugin: CorePlugin<AbiExports, HostState>,
    shared: SharedValue,
}

impl AbiPlugin {
    /// A new profile of the module's code ([`plugin_host::Plugin::profiler`]).
    ///
    /// # Errors
    /// As [`plugin_host::Plugin::profiler`].
    pub fn profiler(&self) -> Result<plugin_host::profile::Profiler, Error> {
        self.plugin.profiler()
    }

    /// Samples every instance made from now on into `profiler`
    /// ([`plugin_host::Plugin::profile`]).
    pub fn profile(&self, profiler: Option<&plugin_host::profile::Profiler>) {
        self.plugin.profile(profiler);
    }

    pub(crate) fn new(plugin: CorePlugin<AbiExports, HostState>, shared: SharedValue) -> Self {
        Self { plugin, shared }
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        self.plugin.name()
    }

    /// Creates a fresh instance in a store of its own, under the host's limits, and runs its
    /// `_initialize` export, if it has one (the WASI reactor convention).
    ///
    /// # Errors
    /// [`ErrorKind::Instantiate`] if the module's start function or `_initialize` traps or runs
    /// into a limit.
    pub fn instantiate(&self) -> Result<AbiInstance, Error> {
        let state = HostState::new(self.name().into(), self.shared.clone());
        Ok(AbiInstance {
            instance: self.plugin.instantiate(state)?,
        })
    }
}

/// Scratch space for `point_add`: the two inputs and the result, one [`PointLayout`] each.
const SCRATCH_LEN: usize = 3 * PointLayout::SIZE;

/// One instance of a core-module plugin, with its own store.
///
/// Each method calls the export of the same name, under the host's limits; failures name the
/// plugin, the export and the [`Failure`](plugin_host::Failure). As for components, a failed
/// call commits nothing to the host state, and the next call runs on a fresh instance: a core
/// module's store is not poisoned by a trap, but the guest's own state may be half-updated.
pub struct AbiInstance {
    instance: CoreInstance<AbiExports, HostState>,
}

impl AbiInstance {
    /// Calls `just_add(a, b)`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`ErrorKind::Call`] if the call fails; [`ErrorKind::Instantiate`] if a fresh instance was
    /// due and could not be made.
    #[inline]
    pub fn just_add(&mut self, a: i64, b: i64) -> Result<i64, Error> {
        self.instance
            .call("just_add", |e, store| e.just_add.call(store, (a, b)))
    }

    /// Calls `trigger_host_calls(input)`, which calls the host's `env` functions.
    ///
    /// # Errors
    /// As [`AbiInstance::just_add`].
    #[inline]
    pub fn trigger_host_calls(&mut self, input: i32) -> Result<(), Error> {
        self.instance.call("trigger_host_calls", |e, store| {
            e.trigger_host_calls.call(store, input)
        })
    }

    /// Calls `point_add(result, a, b)`: writes `a` and `b` into guest memory the guest does not
    /// use (see [`spec::ALLOCATOR`]), passes their addresses, and reads the result back.
    ///
    /// The write, the call and the read are one call under the limits: the scratch memory was
    /// checked to lie inside linear memory when it was obtained, and linear memory never
    /// shrinks, so neither access can fail (if one did, the call would fail as any other).
    ///
    /// # Errors
    /// As [`AbiInstance::just_add`], and [`ErrorKind::GuestMemory`] if the guest's allocator
    /// handed out scratch memory outside linear memory.
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        let base = self.scratch()?;
        let size = PointLayout::SIZE as u32;
        // `scratch` checked that `base + SCRATCH_LEN` lies inside linear memory.
        let (a_ptr, b_ptr, result_ptr) = (base, base + size, base + 2 * size);
        // Both arguments in one write: `b` lies right after `a`.
        let mut arguments = [0; 2 * PointLayout::SIZE];
        let (a_bytes, b_bytes) = arguments.split_at_mut(PointLayout::SIZE);
        a_bytes.copy_from_slice(&PointLayout::encode(a));
        b_bytes.copy_from_slice(&PointLayout::encode(b));
        let args = (result_ptr as i32, a_ptr as i32, b_ptr as i32);
        let result = self.instance.call("point_add", |e, store| {
            memory::write(&e.memory, &mut *store, a_ptr, &arguments)?;
            e.point_add.call(&mut *store, args)?;
            let mut result = [0; PointLayout::SIZE];
            memory::read(&e.memory, &*store, result_ptr, &mut result)?;
            Ok(result)
        })?;
        Ok(PointLayout::decode(result))
    }

    /// Returns the guest address of the plugin's own `i32`, from `get_plugin_shared_value_ptr`.
    ///
    /// # Errors
    /// As [`AbiInstance::just_add`].
    pub fn guest_value_address(&mut self) -> Result<u32, Error> {
        let ptr = self
            .instance
            .call("get_plugin_shared_value_ptr", |e, store| {
                e.get_plugin_shared_value_ptr.call(store, ())
            })?;
        Ok(memory::address(ptr))
    }

    /// Reads the plugin's own `i32` straight out of its linear memory.
    ///
    /// # Errors
    /// As [`AbiInstance::just_add`], and [`ErrorKind::GuestMemory`] if the guest returned an
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
    /// As [`AbiInstance::read_guest_value`].
    pub fn write_guest_value(&mut self, value: i32) -> Result<(), Error> {
        let address = self.guest_value_address()?;
        self.write("get_plugin_shared_value_ptr", address, &value.to_le_bytes())
    }

    /// Calls `simple_add(a, b)`, which prints the plugin's own value, then adds, wrapping.
    ///
    /// # Errors
    /// As [`AbiInstance::just_add`].
    pub fn simple_add(&mut self, a: i64, b: i64) -> Result<i64, Error> {
        self.instance
            .call("simple_add", |e, store| e.simple_add.call(store, (a, b)))
    }

    /// Returns the values the plugin passed to `host_log_value` in calls that succeeded since
    /// the last call of this method, oldest first; at most [`HostState::LOG_CAPACITY`].
    pub fn take_logged(&mut self) -> Vec<i32> {
        self.instance.data_mut().take_logged()
    }

    /// The plugin's captured stdout and stderr.
    pub fn output(&self) -> &CapturedOutput {
        self.instance.output()
    }

    fn read(&mut self, export: &str, address: u32, buffer: &mut [u8]) -> Result<(), Error> {
        let read = self
            .instance
            .with_live(|e, store| memory::read(&e.memory, &*store, address, buffer))?;
        read.map_err(|e| self.memory_error(export, e))
    }

    fn write(&mut self, export: &str, address: u32, data: &[u8]) -> Result<(), Error> {
        let written = self
            .instance
            .with_live(|e, store| memory::write(&e.memory, &mut *store, address, data))?;
        written.map_err(|e| self.memory_error(export, e))
    }

    fn memory_error(&self, export: &str, e: memory::OutOfBounds) -> Error {
        let (address, len) = (e.address, e.len);
        Error::new(ErrorKind::GuestMemory { address, len })
            .with_plugin(self.instance.name())
            .with_export(export)
    }

    /// Returns the address of [`SCRATCH_LEN`] bytes of guest memory that the guest does not use:
    /// a block from the guest's allocator if it exports one, else a page the host grows the
    /// memory by (the guest's allocator never hands out memory it did not grow itself). Obtained
    /// once per instance and reused; checked to lie inside linear memory when obtained.
    ///
    /// # Errors
    /// As [`AbiInstance::just_add`] for the allocator's call or the growth, and
    /// [`ErrorKind::GuestMemory`] naming the allocator if the block is outside linear memory.
    fn scratch(&mut self) -> Result<u32, Error> {
        let (cached, has_allocator) = self
            .instance
            .with_live(|e, _| (e.scratch.get(), e.allocator.is_some()))?;
        if let Some(address) = cached {
            return Ok(address);
        }
        let address = if has_allocator {
            let args = (0, 0, PointLayout::ALIGN as i32, SCRATCH_LEN as i32);
            let ptr = self
                .instance
                .call(spec::ALLOCATOR, |e, store| match &e.allocator {
                    Some(allocator) => allocator.call(store, args),
                    None => Err(wasmtime::format_err!("the allocator is gone")),
                })?;
            if ptr == 0 {
                return Err(Error::call_error(
                    self.instance.name(),
                    spec::ALLOCATOR,
                    wasmtime::format_err!("the allocator returned a null pointer"),
                ));
            }
            memory::address(ptr)
        } else {
            // Growing goes through `call` so that a refused growth is named as the limit.
            self.instance.call("memory.grow", |e, store| {
                let pages = e.memory.grow(&mut *store, 1)?;
                let start = pages * e.memory.page_size(&*store);
                u32::try_from(start).map_err(wasmtime::Error::from)
            })?
        };
        // Checked by reading the block once: `memory::read`'s bounds check, and its error.
        let checked = self.instance.with_live(|e, store| {
            memory::read(&e.memory, &*store, address, &mut [0; SCRATCH_LEN])?;
            e.scratch.set(Some(address));
            Ok(())
        })?;
        checked.map_err(|outside| self.memory_error(spec::ALLOCATOR, outside))?;
        Ok(address)
    }
}
