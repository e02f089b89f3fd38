//! The contract `example:plugin`, served at every version in `wit/`: one `bindgen!` module per
//! version, and a plugin type that holds whichever version a component targets.
//!
//! A call every version has goes to the plugin whatever its version; a call added later answers
//! [`ErrorKind::NotInVersion`] on a plugin of an older version, naming the version that added it.

mod host_impl;
pub mod v0_1_0;
pub mod v0_1_1;

use std::sync::Arc;

use plugin_host::component::{ComponentInstance, ComponentPlugin};
use plugin_host::contract::Contract;
use plugin_host::profile::Profiler;
use plugin_host::{CapturedOutput, Compiled, Error, ErrorKind, PluginHost};

use crate::{HostState, Message, SharedValue};

pub use latest::types::{Level, PluginInfo, Point, SumError};
/// The newest version: its types are every version's (see [`v0_1_0`]).
pub use v0_1_1 as latest;

/// The contract's package.
pub const PACKAGE: &str = "example:plugin";

/// Every version served, oldest first, with its WIT: what [`contract`] parses.
pub const VERSIONS: [(&str, &str); 2] = [
    (
        v0_1_0::VERSION,
        include_str!("../../../../wit/0.1.0/plugin.wit"),
    ),
    (
        v0_1_1::VERSION,
        include_str!("../../../../wit/0.1.1/plugin.wit"),
    ),
];

/// The contract, parsed from the WIT the crate was built with.
///
/// # Errors
/// [`ErrorKind::Contract`] if that WIT is not what [`VERSIONS`] says (a test rules it out).
pub fn contract() -> Result<Contract, Error> {
    Contract::new(PACKAGE, "plugin", &VERSIONS)
}

/// A component plugin of any served version, pre-linked and checked against its version's
/// world. Cheap to clone and to share across threads.
#[derive(Clone, Debug)]
pub struct ContractPlugin {
    contract: Arc<Contract>,
    shared: SharedValue,
    served: Served,
    /// The plugin's log level, from its manifest.
    log_level: tracing::level_filters::LevelFilter,
}

#[derive(Clone, Debug)]
enum Served {
    V0_1_0(ComponentPlugin<v0_1_0::Plugin, HostState>),
    V0_1_1(ComponentPlugin<v0_1_1::Plugin, HostState>),
}

/// Runs `$body` with `$plugin` bound to the served plugin, whatever its version: for what
/// every version's plugin has.
macro_rules! every_served {
    ($served:expr, $plugin:ident => $body:expr) => {
        match $served {
            Served::V0_1_0($plugin) => $body,
            Served::V0_1_1($plugin) => $body,
        }
    };
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
        let version = contract.target(loaded.name(), loaded.as_component()?)?;
        let served = match version {
            v0_1_0::VERSION => Served::V0_1_0(host.component(loaded)?),
            v0_1_1::VERSION => Served::V0_1_1(host.component(loaded)?),
            // `target` answers only versions of the contract, which are all above.
            other => {
                return Err(Error::new(ErrorKind::UnservedVersion {
                    package: PACKAGE.to_owned(),
                    version: other.to_owned(),
                    served: contract.versions().map(str::to_owned).collect(),
                })
                .with_plugin(loaded.name()));
            }
        };
        Ok(Self {
            contract,
            shared,
            served,
            log_level: loaded.log_level(),
        })
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        every_served!(&self.served, plugin => plugin.name())
    }

    /// A new profile of the plugin's code ([`plugin_host::Plugin::profiler`]).
    ///
    /// # Errors
    /// As [`plugin_host::Plugin::profiler`].
    pub fn profiler(&self) -> Result<Profiler, Error> {
        every_served!(&self.served, plugin => plugin.profiler())
    }

    /// Samples every instance made from now on into `profiler`
    /// ([`plugin_host::Plugin::profile`]).
    pub fn profile(&self, profiler: Option<&Profiler>) {
        every_served!(&self.served, plugin => plugin.profile(profiler))
    }

    /// The version of the contract the plugin targets.
    pub fn version(&self) -> &'static str {
        match self.served {
            Served::V0_1_0(_) => v0_1_0::VERSION,
            Served::V0_1_1(_) => v0_1_1::VERSION,
        }
    }

    /// The full name of the world the plugin fits: `example:plugin/plugin@0.1.1`.
    pub fn world(&self) -> String {
        self.contract.world_name(self.version())
    }

    /// The calls of the plugin's version, in the world's order.
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
    /// [`ErrorKind::Instantiate`] if the component traps or runs into a limit while initialising.
    pub fn instantiate(&self) -> Result<ContractInstance, Error> {
        let state =
            HostState::new(self.name().into(), self.shared.clone()).with_log_level(self.log_level);
        let live = match &self.served {
            Served::V0_1_0(plugin) => Live::V0_1_0(plugin.instantiate(state)?),
            Served::V0_1_1(plugin) => Live::V0_1_1(plugin.instantiate(state)?),
        };
        Ok(ContractInstance {
            contract: self.contract.clone(),
            version: self.version(),
            live,
        })
    }
}

/// One instance of a [`ContractPlugin`], in a store of its own. Each method makes the call of
/// the same name, under the host's limits; see [`plugin_host::Instance`] for what a failed call
/// leaves behind (nothing: the shared value, logs and messages are committed only when the call
/// succeeds, and the next call runs on a fresh instance).
pub struct ContractInstance {
    contract: Arc<Contract>,
    version: &'static str,
    live: Live,
}

enum Live {
    V0_1_0(ComponentInstance<v0_1_0::Plugin, HostState>),
    V0_1_1(ComponentInstance<v0_1_1::Plugin, HostState>),
}

impl std::fmt::Debug for ContractInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let instance: &dyn std::fmt::Debug = match &self.live {
            Live::V0_1_0(instance) => instance,
            Live::V0_1_1(instance) => instance,
        };
        f.debug_struct("ContractInstance")
            .field("version", &self.version)
            .field("instance", instance)
            .finish()
    }
}

/// Runs `$body` with `$instance` bound to the live instance, whatever its version: for calls
/// every version has. Its types come from [`latest`] in every version.
macro_rules! every_version {
    ($live:expr, $instance:ident => $body:expr) => {
        match $live {
            Live::V0_1_0($instance) => $body,
            Live::V0_1_1($instance) => $body,
        }
    };
}

impl ContractInstance {
    /// The version of the contract the plugin targets.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Calls `just-add`: `a + b`, wrapping.
    ///
    /// # Errors
    /// [`ErrorKind::Call`] if the call fails; [`ErrorKind::Instantiate`] if a fresh instance was
    /// due and could not be made.
    #[inline]
    pub fn just_add(&mut self, a: u64, b: u64) -> Result<u64, Error> {
        every_version!(&mut self.live, instance => {
            instance.call("just-add", |plugin, store| plugin.call_just_add(store, a, b))
        })
    }

    /// Calls `point-add`: the field-wise sum of two points, wrapping.
    ///
    /// # Errors
    /// As [`ContractInstance::just_add`].
    #[inline]
    pub fn point_add(&mut self, a: Point, b: Point) -> Result<Point, Error> {
        every_version!(&mut self.live, instance => {
            instance.call("point-add", |plugin, store| plugin.call_point_add(store, a, b))
        })
    }

    /// Calls `trigger`, which calls back into the host's `log`, `get` and `set`.
    ///
    /// # Errors
    /// As [`ContractInstance::just_add`].
    #[inline]
    pub fn trigger(&mut self, input: i32) -> Result<(), Error> {
        every_version!(&mut self.live, instance => {
            instance.call("trigger", |plugin, store| plugin.call_trigger(store, input))
        })
    }

    /// Calls `describe` (added in 0.1.1): the plugin's name, its own version, its calls.
    ///
    /// # Errors
    /// [`ErrorKind::NotInVersion`] on a 0.1.0 plugin; otherwise as [`ContractInstance::just_add`].
    pub fn describe(&mut self) -> Result<PluginInfo, Error> {
        match &mut self.live {
            Live::V0_1_1(instance) => {
                instance.call("describe", |plugin, store| plugin.call_describe(store))
            }
            Live::V0_1_0(_) => Err(self.missing("describe")),
        }
    }

    /// Calls `sum-points` (added in 0.1.1): the field-wise sum of `points` without wrapping,
    /// or the plugin's [`SumError`]. The outer `Result` is the host's: the call failed.
    ///
    /// # Errors
    /// [`ErrorKind::NotInVersion`] on a 0.1.0 plugin; otherwise as [`ContractInstance::just_add`].
    pub fn sum_points(&mut self, points: &[Point]) -> Result<Result<Point, SumError>, Error> {
        match &mut self.live {
            Live::V0_1_1(instance) => instance.call("sum-points", |plugin, store| {
                plugin.call_sum_points(store, points)
            }),
            Live::V0_1_0(_) => Err(self.missing("sum-points")),
        }
    }

    /// The values the plugin passed to `log` in calls that succeeded since the last call of
    /// this method, oldest first; at most [`HostState::LOG_CAPACITY`].
    pub fn take_logged(&mut self) -> Vec<i32> {
        every_version!(&mut self.live, instance => instance.data_mut().take_logged())
    }

    /// The messages the plugin reported with `log-message` in calls that succeeded since the
    /// last call of this method, oldest first; at most [`HostState::MESSAGE_CAPACITY`].
    pub fn take_messages(&mut self) -> Vec<Message> {
        every_version!(&mut self.live, instance => instance.data_mut().take_messages())
    }

    /// The plugin's captured stdout and stderr.
    pub fn output(&self) -> &CapturedOutput {
        every_version!(&self.live, instance => instance.output())
    }

    fn missing(&self, export: &str) -> Error {
        let name = every_version!(&self.live, instance => instance.name());
        self.contract.not_in_version(name, self.version, export)
    }
}
