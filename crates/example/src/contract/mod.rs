//! The contract `example:plugin`, served at every version in `wit/`: `plugin_host::contract!`
//! generates one module of bindings per version (`v0_1_0`, `v0_1_1`, `v0_1_2`) and the
//! dispatch over them from the list below; [`ContractPlugin`] holds whichever version a
//! component targets.
//!
//! A call every version has goes to the plugin whatever its version; a call added later answers
//! [`ErrorKind::NotInVersion`](plugin_host::ErrorKind::NotInVersion) on a plugin of an older
//! version, naming the version that added it.

pub(crate) mod host_impl;

pub(crate) use host_impl::link_line;

use std::sync::Arc;

use plugin_host::contract::Contract;
use plugin_host::profile::Profiler;
use plugin_host::wasmtime::component::{Resource, StreamReader};
use plugin_host::{CapturedOutput, Compiled, Error, GuestResource, PluginHost};

use crate::{HostState, Message, SharedValue};

plugin_host::contract!({
    package: "example:plugin",
    world: "plugin",
    path: "../../wit",
    versions: ["0.1.0", "0.1.1", "0.1.2"],
    additional_derives: [PartialEq, Eq],
    // The constructor of a host `path` traps when the instance's table is full.
    imports: { "example:plugin/host.[constructor]path": trappable },
    with: { "example:plugin/host.path": crate::contract::Polyline },
});

pub use line_0_1::example::plugin::types::{Level, PluginInfo, Point, SumError};

/// What a host `path` is (the `path` resource of `example:plugin/host@0.1.2`): the points the
/// plugin pushed, in the instance's table of host resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Polyline(pub Vec<Point>);

/// A component plugin of any served version, pre-linked and checked against its version's
/// world. Cheap to clone and to share across threads.
#[derive(Clone, Debug)]
pub struct ContractPlugin {
    contract: Arc<Contract>,
    shared: SharedValue,
    plugin: VersionedPlugin<HostState>,
}

impl ContractPlugin {
    /// Tells the version `loaded` targets from its imports and checks it against that
    /// version's world.
    pub(crate) fn new(
        host: &PluginHost<HostState>,
        contract: Arc<Contract>,
        shared: SharedValue,
        loaded: &Compiled,
    ) -> Result<Self, Error> {
        let plugin = VersionedPlugin::new(host, &contract, loaded)?;
        Ok(Self {
            contract,
            shared,
            plugin,
        })
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        self.plugin.plugin().name()
    }

    /// A new profile of the plugin's code ([`plugin_host::Plugin::profiler`]).
    ///
    /// # Errors
    /// As [`plugin_host::Plugin::profiler`].
    pub fn profiler(&self) -> Result<Profiler, Error> {
        self.plugin.plugin().profiler()
    }

    /// Samples every instance made from now on into `profiler`
    /// ([`plugin_host::Plugin::profile`]).
    pub fn profile(&self, profiler: Option<&Profiler>) {
        self.plugin.plugin().profile(profiler);
    }

    /// The version of the contract the plugin targets.
    pub fn version(&self) -> &'static str {
        self.plugin.version()
    }

    /// The full name of the world the plugin fits: `example:plugin/plugin@0.1.2`.
    pub fn world(&self) -> String {
        self.contract.world_name(self.version())
    }

    /// The calls of the plugin's version, in the world's order: its functions, then the
    /// functions of the interfaces it exports (`shapes#closed-path`).
    pub fn calls(&self) -> &[String] {
        self.contract.exports(self.version())
    }

    /// Whether the plugin's version has the call `export`.
    pub fn has(&self, export: &str) -> bool {
        self.contract.has(self.version(), export)
    }

    /// Creates a fresh instance in a store of its own, under the host's limits and grants.
    ///
    /// # Errors
    /// [`ErrorKind::Instantiate`](plugin_host::ErrorKind::Instantiate) if the component traps
    /// or runs into a limit while initialising.
    pub fn instantiate(&self) -> Result<ContractInstance, Error> {
        let plugin = self.plugin.plugin();
        let state = HostState::new(plugin.name().into(), self.shared.clone())
            .with_log_level(plugin.log_level());
        Ok(ContractInstance {
            live: self.plugin.instantiate(state)?,
        })
    }
}

/// One instance of a [`ContractPlugin`], in a store of its own. Each method makes the call of
/// the same name, under the host's limits; see [`plugin_host::Instance`] for what a failed call
/// leaves behind (nothing: the shared value, logs and messages are committed only when the call
/// succeeds, the instance's host resources are dropped, and the next call runs on a fresh
/// instance).
#[derive(Debug)]
pub struct ContractInstance {
    live: VersionedInstance<HostState>,
}

/// An `accumulator` of a 0.1.2 plugin: a running sum the plugin keeps (a resource the plugin
/// defines), tied to the instance that made it ([`ContractInstance::accumulator`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accumulator(GuestResource);

impl ContractInstance {
    /// The version of the contract the plugin targets.
    pub fn version(&self) -> &'static str {
        self.live.version()
    }

    /// Calls `just-add`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`ErrorKind::Call`](plugin_host::ErrorKind::Call) if the call fails;
    /// [`ErrorKind::Instantiate`](plugin_host::ErrorKind::Instantiate) if a fresh instance was
    /// due and could not be made.
    #[inline]
    pub fn just_add(&mut self, a: u64, b: u64) -> Result<u64, Error> {
        versioned_call!(&mut self.live, "just-add", |plugin, store| plugin
            .call_just_add(store, a, b))
    }

    /// Calls `point-add`: the field-wise sum of two points, wrapping.
    ///
    /// # Errors
    /// As [`ContractInstance::just_add`].
    #[inline]
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        versioned_call!(&mut self.live, "point-add", |plugin, store| plugin
            .call_point_add(store, a, b))
    }

    /// Calls `trigger`, which calls back into the host's `log`, `get` and `set`.
    ///
    /// # Errors
    /// As [`ContractInstance::just_add`].
    #[inline]
    pub fn trigger(&mut self, input: i32) -> Result<(), Error> {
        versioned_call!(&mut self.live, "trigger", |plugin, store| plugin
            .call_trigger(store, input))
    }

    /// Calls `describe` (added in 0.1.1): the plugin's name, its own version, its calls.
    ///
    /// # Errors
    /// [`ErrorKind::NotInVersion`](plugin_host::ErrorKind::NotInVersion) on a 0.1.0 plugin;
    /// otherwise as [`ContractInstance::just_add`].
    pub fn describe(&mut self) -> Result<PluginInfo, Error> {
        versioned_call!(&mut self.live, "describe", |plugin, store| plugin
            .call_describe(store))
    }

    /// Calls `sum-points` (added in 0.1.1): the field-wise sum of `points` without wrapping,
    /// or the plugin's [`SumError`]. The outer `Result` is the host's: the call failed.
    ///
    /// # Errors
    /// [`ErrorKind::NotInVersion`](plugin_host::ErrorKind::NotInVersion) on a 0.1.0 plugin;
    /// otherwise as [`ContractInstance::just_add`].
    pub fn sum_points(&mut self, points: &[Point]) -> Result<Result<Point, SumError>, Error> {
        versioned_call!(&mut self.live, "sum-points", |plugin, store| plugin
            .call_sum_points(store, points.into()))
    }

    /// Makes an `accumulator` in the plugin (added in 0.1.2): a sum of no points.
    ///
    /// # Errors
    /// [`ErrorKind::NotInVersion`](plugin_host::ErrorKind::NotInVersion) on a plugin older
    /// than 0.1.2; otherwise as [`ContractInstance::just_add`].
    pub fn accumulator(&mut self) -> Result<Accumulator, Error> {
        #[rustfmt::skip] // One expression: a block's temporaries end before the call is awaited.
        let handle = versioned_call!(&mut self.live, "shapes#accumulator.new", |plugin, store|
            plugin.example_plugin_shapes().accumulator().call_constructor(store))?;
        Ok(Accumulator(self.live.instance().keep(handle)))
    }

    /// Adds `p` to `accumulator` (`accumulator.add`).
    ///
    /// # Errors
    /// [`ErrorKind::StaleResource`](plugin_host::ErrorKind::StaleResource) if the instance that
    /// made it is gone (renewed after a failed call); otherwise as
    /// [`ContractInstance::accumulator`].
    #[rustfmt::skip] // One expression: a block's temporaries end before the call is awaited.
    pub fn accumulator_add(&mut self, accumulator: Accumulator, p: Point) -> Result<(), Error> {
        let handle = self.live.instance().resource(&accumulator.0)?;
        versioned_call!(&mut self.live, "shapes#accumulator.add", |plugin, store|
            plugin.example_plugin_shapes().accumulator().call_add(store, handle, p))
    }

    /// The sum `accumulator` holds (`accumulator.total`).
    ///
    /// # Errors
    /// As [`ContractInstance::accumulator_add`].
    #[rustfmt::skip] // One expression: a block's temporaries end before the call is awaited.
    pub fn accumulator_total(&mut self, accumulator: Accumulator) -> Result<Point, Error> {
        let handle = self.live.instance().resource(&accumulator.0)?;
        versioned_call!(&mut self.live, "shapes#accumulator.total", |plugin, store|
            plugin.example_plugin_shapes().accumulator().call_total(store, handle))
    }

    /// Drops `accumulator`: the plugin's destructor runs. One whose instance is gone is
    /// dropped already.
    ///
    /// # Errors
    /// As [`ContractInstance::just_add`], if the destructor fails.
    pub fn drop_accumulator(&mut self, accumulator: Accumulator) -> Result<(), Error> {
        self.live.drop_resource(accumulator.0)
    }

    /// Calls `closed-path` (added in 0.1.2): the plugin makes a host `path` through `points`
    /// and gives it to the host, which reads its points and drops it.
    ///
    /// # Errors
    /// As [`ContractInstance::accumulator`]; [`ErrorKind::Call`](plugin_host::ErrorKind::Call)
    /// if the plugin returns a path that is not in the instance's table.
    pub fn closed_path(&mut self, points: &[Point]) -> Result<Vec<Point>, Error> {
        let path = versioned_call!(&mut self.live, "shapes#closed-path", |plugin, store| plugin
            .example_plugin_shapes()
            .call_closed_path(store, points.into()))?;
        let name = self.live.instance().name().to_owned();
        self.live
            .resources()
            .delete(path)
            .map(|polyline| polyline.0)
            .map_err(|e| Error::call_error(&name, "shapes#closed-path", e.into()))
    }

    /// Calls `path-length` (added in 0.1.2) on a host `path` through `points`, lent to the
    /// plugin (`borrow<path>`), and drops the path afterwards.
    ///
    /// # Errors
    /// As [`ContractInstance::accumulator`].
    pub fn path_length(&mut self, points: &[Point]) -> Result<u32, Error> {
        let name = self.live.instance().name().to_owned();
        let path = self
            .live
            .resources()
            .push(Polyline(points.to_vec()))
            .map_err(|e| Error::call_error(&name, "shapes#path-length", e.into()))?;
        let rep = path.rep();
        let length = versioned_call!(&mut self.live, "shapes#path-length", |plugin, store| plugin
            .example_plugin_shapes()
            .call_path_length(store, Resource::new_borrow(rep)));
        // A failed call dropped the table's entries already.
        let _ = self.live.resources().delete(path);
        length
    }

    /// Calls `sum-stream` (added in 0.1.2): `points` go to the plugin through a
    /// `stream<point>`, and it sleeps `pause_ms` on the host's timer after each.
    ///
    /// # Errors
    /// As [`ContractInstance::accumulator`].
    pub fn sum_stream(&mut self, points: Vec<Point>, pause_ms: u32) -> Result<Point, Error> {
        versioned_call!(&mut self.live, "shapes#sum-stream", |plugin, accessor| {
            let points = accessor.with(|mut store| StreamReader::new(&mut store, points))?;
            plugin
                .example_plugin_shapes()
                .call_sum_stream(accessor, points, pause_ms)
        })
    }

    /// The values the plugin passed to `log` in calls that succeeded since the last call of
    /// this method, oldest first; at most [`HostState::LOG_CAPACITY`].
    pub fn take_logged(&mut self) -> Vec<i32> {
        self.live.instance_mut().data_mut().take_logged()
    }

    /// The messages the plugin reported with `log-message` in calls that succeeded since the
    /// last call of this method, oldest first; at most [`HostState::MESSAGE_CAPACITY`].
    pub fn take_messages(&mut self) -> Vec<Message> {
        self.live.instance_mut().data_mut().take_messages()
    }

    /// The plugin's captured stdout and stderr.
    pub fn output(&self) -> &CapturedOutput {
        self.live.instance().output()
    }
}
