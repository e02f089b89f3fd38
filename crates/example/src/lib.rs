//! The example world, `example:plugin`, served by the [`plugin_host`] library: what an
//! application that embeds plugins writes, and the `plugin-host` command built on it.
//!
//! - [`contract`]: the WIT contract at every version it is served (0.1.0 and 0.1.1 today), one
//!   `bindgen!` module per version, and [`ContractPlugin`], which holds whichever version a
//!   component targets. Calls a plugin's version lacks answer a typed error.
//! - [`HostState`]: what the contract's host functions act on: the [`SharedValue`], staged per
//!   call, and the values and messages a plugin logs.
//! - [`abi`]: the example's raw core-module ABI on the library's core-module path.
//! - [`demo`]: the checks `plugin-host run` makes.
//!
//! ```no_run
//! use example_host::{ExampleHost, Plugin, Point};
//!
//! # fn main() -> Result<(), plugin_host::Error> {
//! let host = ExampleHost::new()?;
//! let Plugin::Component(plugin) = host.load("guest.wasm")? else { panic!("not a component") };
//! let mut instance = plugin.instantiate()?;
//! assert_eq!(instance.just_add(15, 27)?, 42);
//! let sum = instance.point_add(Point { x: 1, y: 2 }, Point { x: 3, y: 4 })?;
//! assert_eq!((sum.x, sum.y), (4, 6));
//! instance.trigger(7)?; // logs 14 and sets the shared value to 42 + 7 + 5
//! assert_eq!(host.shared_value().get(), 54);
//! if plugin.has("describe") {
//!     println!("{} offers {:?}", plugin.name(), instance.describe()?.calls);
//! }
//! # Ok(())
//! # }
//! ```

pub mod abi;
pub mod contract;
pub mod demo;
mod shared;
mod state;

use std::path::Path;
use std::sync::Arc;

use plugin_host::contract::Contract;
use plugin_host::dynamic::{Dynamic, WaveCall, WaveSession};
use plugin_host::inspect::Inspection;
use plugin_host::wasmtime::component::Val;
use plugin_host::{Compiled, ErrorKind, HostConfig, Limits, PluginHost, PluginKind};

pub use abi::{AbiInstance, AbiPlugin};
pub use contract::{ContractInstance, ContractPlugin, Point};
pub use plugin_host::{CapturedOutput, Error};
pub use shared::SharedValue;
pub use state::{HostState, Message};

/// A loaded plugin of either kind.
#[derive(Debug, Clone)]
pub enum Plugin {
    /// A component fitting a served version of `example:plugin`.
    Component(ContractPlugin),
    /// A core module fitting the raw ABI of [`abi::spec`].
    CoreModule(AbiPlugin),
}

impl Plugin {
    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        match self {
            Self::Component(plugin) => plugin.name(),
            Self::CoreModule(plugin) => plugin.name(),
        }
    }

    /// Which kind of plugin this is.
    pub fn kind(&self) -> PluginKind {
        match self {
            Self::Component(_) => PluginKind::Component,
            Self::CoreModule(_) => PluginKind::CoreModule,
        }
    }

    /// A new profile of the plugin's code ([`plugin_host::Plugin::profiler`]).
    ///
    /// # Errors
    /// As [`plugin_host::Plugin::profiler`].
    pub fn profiler(&self) -> Result<plugin_host::profile::Profiler, Error> {
        match self {
            Self::Component(plugin) => plugin.profiler(),
            Self::CoreModule(plugin) => plugin.profiler(),
        }
    }

    /// Samples every instance made from now on into `profiler`
    /// ([`plugin_host::Plugin::profile`]).
    pub fn profile(&self, profiler: Option<&plugin_host::profile::Profiler>) {
        match self {
            Self::Component(plugin) => plugin.profile(profiler),
            Self::CoreModule(plugin) => plugin.profile(profiler),
        }
    }
}

/// How several plugins are joined into one ([`ExampleHost::chain`]): each one's exports
/// satisfy the next one's imports, and calls go to the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// Core modules, linked (`plugin-host --link`): the next module's imports of functions
    /// the one before exports, under whatever module name they use.
    Link,
    /// Components, composed at load time (`plugin-host --compose`): the next component's
    /// imports from interfaces the one before exports.
    Compose,
}

/// The example's host: a [`PluginHost`] whose linkers carry the contract's host functions (for
/// every served version) and the ABI's `env` functions, the parsed [`Contract`], and the
/// [`SharedValue`] those functions act on.
///
/// `Send + Sync`: load plugins from any thread, instantiate them on any thread.
pub struct ExampleHost {
    host: PluginHost<HostState>,
    contract: Arc<Contract>,
    shared: SharedValue,
}

impl ExampleHost {
    /// A host with the library's default configuration, whose shared value starts at
    /// [`SharedValue::INITIAL`] (42).
    ///
    /// # Errors
    /// As [`ExampleHost::with_config`].
    pub fn new() -> Result<Self, Error> {
        Self::with_config(HostConfig::default())
    }

    /// A host whose plugins run under `limits`.
    ///
    /// # Errors
    /// As [`ExampleHost::with_config`].
    pub fn with_limits(limits: Limits) -> Result<Self, Error> {
        Self::with_config(HostConfig {
            limits,
            ..HostConfig::default()
        })
    }

    /// A host built from `config` (limits, allocator, compilation cache, grants), with
    /// [`HostConfig::component_model_async`] on whatever `config` says: 0.1.2 plugins use the
    /// component model's async ABI (their `sum-stream` and the host's `sleep`), and get the
    /// library's second engine, while older ones keep the cheaper first.
    ///
    /// # Errors
    /// [`ErrorKind::Setup`] if wasmtime cannot create the engines or link the host functions;
    /// [`ErrorKind::Contract`] if the embedded WIT does not parse.
    pub fn with_config(config: HostConfig) -> Result<Self, Error> {
        let mut host = PluginHost::with_config(HostConfig {
            component_model_async: true,
            ..config
        })?;
        // The contract's imports, once per semver line: wasmtime's linker serves an older
        // import from the newest compatible one.
        contract::link_line!(host, contract::line_0_1::example::plugin);
        // Calls by name may pass a `stream<point>` (`sum-stream`) as a WAVE list.
        host.feed_streams::<Point>(|value| match value {
            Val::Record(fields) => match fields.as_slice() {
                [(x, Val::S32(px)), (y, Val::S32(py))] if x == "x" && y == "y" => {
                    Some(Point { x: *px, y: *py })
                }
                _ => None,
            },
            _ => None,
        });
        host.link_core(abi::add_to_linker)?;
        Ok(Self {
            host,
            contract: Arc::new(contract::contract()?),
            shared: SharedValue::default(),
        })
    }

    /// The library's host underneath, for what the example does not wrap.
    pub fn host(&self) -> &PluginHost<HostState> {
        &self.host
    }

    /// The contract, at every version served.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The value plugins read with `get` and write with `set`; the application may read and
    /// write it too, from any thread.
    pub fn shared_value(&self) -> &SharedValue {
        &self.shared
    }

    /// A fresh state for an instance of `plugin`, acting on the shared value: for the
    /// library's dynamic calls.
    pub fn state(&self, plugin: &str) -> HostState {
        HostState::new(plugin.into(), self.shared.clone())
    }

    /// [`ExampleHost::state`] for `plugin`, keeping its messages up to its log level.
    fn state_of(&self, plugin: &Dynamic<HostState>) -> HostState {
        self.state(plugin.name()).with_log_level(plugin.log_level())
    }

    /// Loads the plugin at `path`, tells a component from a core module by its header, and
    /// checks it: a component against the world of the contract version it targets, a core
    /// module against the raw ABI.
    ///
    /// # Errors
    /// [`ErrorKind::Read`], [`ErrorKind::NotWasm`], [`ErrorKind::IsPrecompiled`],
    /// [`ErrorKind::Compile`], [`ErrorKind::UnservedVersion`], [`ErrorKind::MixedVersions`],
    /// [`ErrorKind::WorldMismatch`] or [`ErrorKind::AbiMismatch`]; each names the plugin by `path`.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Plugin, Error> {
        self.check(&self.host.load(path)?)
    }

    /// As [`ExampleHost::load`], for bytes in memory named `name`.
    ///
    /// # Errors
    /// As [`ExampleHost::load`], but never [`ErrorKind::Read`].
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Plugin, Error> {
        self.check(&self.host.load_bytes(name, bytes)?)
    }

    /// Loads the component at `path`.
    ///
    /// # Errors
    /// As [`ExampleHost::load`], plus [`ErrorKind::WrongKind`] if the file is a core module.
    pub fn load_component(&self, path: impl AsRef<Path>) -> Result<ContractPlugin, Error> {
        self.component(&self.host.load(path)?)
    }

    /// Loads the core module at `path`.
    ///
    /// # Errors
    /// As [`ExampleHost::load`], plus [`ErrorKind::WrongKind`] if the file is a component.
    pub fn load_core_module(&self, path: impl AsRef<Path>) -> Result<AbiPlugin, Error> {
        let plugin = self.host.core_module(&self.host.load(path)?)?;
        Ok(AbiPlugin::new(plugin, self.shared.clone()))
    }

    /// Loads a precompiled artifact (from [`ExampleHost::precompile`]) and checks it like
    /// [`ExampleHost::load`]. Load only artifacts you made: they are machine code.
    ///
    /// # Errors
    /// [`ErrorKind::Read`], [`ErrorKind::NotPrecompiled`], and the checks of [`ExampleHost::load`].
    pub fn load_precompiled(&self, path: impl AsRef<Path>) -> Result<Plugin, Error> {
        self.check(&self.host.load_precompiled(path)?)
    }

    /// Compiles the plugin at `path` into a precompiled artifact, after checking it as
    /// [`ExampleHost::load`] does.
    ///
    /// # Errors
    /// As [`ExampleHost::load`].
    pub fn precompile(&self, path: impl AsRef<Path>) -> Result<Vec<u8>, Error> {
        let loaded = self.host.load(path)?;
        self.check(&loaded)?;
        self.host.precompile(&loaded)
    }

    /// Calls `function` of the plugin at `path` by name, with WAVE `args`, on a fresh instance:
    /// what `plugin-host call` does, for a plugin of any world ([`Dynamic::call_wave`]).
    /// Asking a plugin of the contract for a call its version lacks is
    /// [`ErrorKind::NotInVersion`], naming the version that added it.
    ///
    /// # Errors
    /// As [`PluginHost::dynamic`] and [`Dynamic::call_wave`].
    pub fn call_wave(
        &self,
        path: impl AsRef<Path>,
        function: &str,
        args: &[impl AsRef<str>],
    ) -> Result<WaveCall, Error> {
        self.call_wave_loaded(&self.host.load(path)?, function, args)
    }

    /// As [`ExampleHost::call_wave`], on a plugin already loaded (one a
    /// [`PluginDirectory`](plugin_host::watch::PluginDirectory) keeps, say).
    ///
    /// # Errors
    /// As [`ExampleHost::call_wave`], without the errors of reading and compiling the file.
    pub fn call_wave_loaded(
        &self,
        loaded: &Compiled,
        function: &str,
        args: &[impl AsRef<str>],
    ) -> Result<WaveCall, Error> {
        self.call_wave_on(Some(loaded), &self.host.dynamic(loaded)?, function, args)
    }

    /// As [`ExampleHost::call_wave_loaded`], on `plugin`, made from `loaded` (or from a
    /// chain, without one): for a plugin the caller has set up, with a profiler say. A
    /// `loaded` component of an older version that lacks `function` is told apart from a
    /// component without it.
    ///
    /// # Errors
    /// As [`ExampleHost::call_wave_loaded`].
    pub fn call_wave_on(
        &self,
        loaded: Option<&Compiled>,
        plugin: &Dynamic<HostState>,
        function: &str,
        args: &[impl AsRef<str>],
    ) -> Result<WaveCall, Error> {
        let call = plugin.call_wave(function, args, self.state_of(plugin));
        match loaded {
            Some(loaded) => call.map_err(|error| self.explain(loaded, function, error)),
            None => call,
        }
    }

    /// A session of calls by name on one instance of the component `loaded`
    /// ([`WaveSession`]: handles its calls return stay usable, as `<accumulator #1>`):
    /// what `plugin-host watch` keeps per plugin.
    ///
    /// # Errors
    /// As [`PluginHost::dynamic`]; [`ErrorKind::WrongKind`] for a core module.
    pub fn session(&self, loaded: &Compiled) -> Result<WaveSession<HostState>, Error> {
        match self.host.dynamic(loaded)? {
            Dynamic::Component(plugin) => {
                let state = self
                    .state(plugin.name())
                    .with_log_level(plugin.plugin().log_level());
                plugin.session(state)
            }
            Dynamic::CoreModule(_) => Err(Error::new(ErrorKind::WrongKind {
                expected: PluginKind::Component,
                found: PluginKind::CoreModule,
            })
            .with_plugin(loaded.name())),
        }
    }

    /// `error`, from calling `function` of `loaded` by name, as
    /// [`ErrorKind::NotInVersion`] when `loaded` is a plugin of a version of the contract
    /// without `function` (which a later version has): a call of the contract, not a typo.
    pub fn explain(&self, loaded: &Compiled, function: &str, error: Error) -> Error {
        let Some(component) = loaded.component() else {
            return error;
        };
        let version = || self.contract.target(loaded.name(), component).ok();
        match version() {
            Some(version)
                if matches!(error.kind(), ErrorKind::NoSuchExport { .. })
                    && !self.contract.referenced_versions(component).is_empty()
                    && self.contract.since(function).is_some() =>
            {
                self.contract
                    .not_in_version(loaded.name(), version, function)
            }
            _ => error,
        }
    }

    /// Joins the plugins at `paths` into one, as `how` says, and calls `function` of the last
    /// one by name, with WAVE `args`, on a fresh instance: what `plugin-host call --link` and
    /// `call --compose` do.
    ///
    /// # Errors
    /// As [`ExampleHost::chain`] and [`Dynamic::call_wave`].
    pub fn call_wave_chained(
        &self,
        how: Chain,
        paths: &[impl AsRef<Path>],
        function: &str,
        args: &[impl AsRef<str>],
    ) -> Result<WaveCall, Error> {
        self.call_wave_on(None, &self.chain(how, paths)?, function, args)
    }

    /// Joins the plugins at `paths` into one, in order, as `how` says: core modules linked
    /// ([`PluginHost::link_core_modules`]), components composed at load time
    /// ([`PluginHost::compose_components`]).
    ///
    /// # Errors
    /// As [`PluginHost::load`] for each file, and as the library's chain.
    pub fn chain(
        &self,
        how: Chain,
        paths: &[impl AsRef<Path>],
    ) -> Result<Dynamic<HostState>, Error> {
        let members = self.load_all(paths)?;
        Ok(match how {
            Chain::Link => Dynamic::CoreModule(self.host.link_core_modules(&members)?),
            Chain::Compose => Dynamic::Component(self.host.compose_components(&members)?),
        })
    }

    fn load_all(&self, paths: &[impl AsRef<Path>]) -> Result<Vec<Compiled>, Error> {
        paths.iter().map(|path| self.host.load(path)).collect()
    }

    /// Inspects the plugin at `path` against the contract (components) or the raw ABI (core
    /// modules). A plugin the inspection calls compatible is one [`ExampleHost::load`] accepts.
    ///
    /// # Errors
    /// As [`PluginHost::inspect`].
    pub fn inspect(&self, path: impl AsRef<Path>) -> Result<(Inspection, Compiled), Error> {
        let (mut inspection, loaded) = self.host.inspect(path, Some(&self.contract))?;
        match loaded.as_module() {
            Ok(module) => inspection.add_problems(abi::spec::check_exports(module)),
            // Loading decides when the items alone find nothing wrong.
            Err(_) if inspection.is_compatible() => {
                if let Err(error) = self.check(&loaded) {
                    inspection.add_problems([format!("{error:#}")]);
                }
            }
            Err(_) => {}
        }
        Ok((inspection, loaded))
    }

    /// Checks `loaded` as a component of the contract or a core module of the ABI.
    fn check(&self, loaded: &Compiled) -> Result<Plugin, Error> {
        match loaded.kind() {
            PluginKind::Component => self.component(loaded).map(Plugin::Component),
            PluginKind::CoreModule => {
                let plugin = self.host.core_module(loaded)?;
                Ok(Plugin::CoreModule(AbiPlugin::new(
                    plugin,
                    self.shared.clone(),
                )))
            }
        }
    }

    /// The component `loaded` as a plugin of the contract version it targets, which must be
    /// the one its manifest expects, if it names one.
    fn component(&self, loaded: &Compiled) -> Result<ContractPlugin, Error> {
        let plugin = ContractPlugin::new(
            &self.host,
            self.contract.clone(),
            self.shared.clone(),
            loaded,
        )?;
        if let Some(manifest) = loaded.manifest() {
            manifest.expect_contract(plugin.version())?;
        }
        Ok(plugin)
    }
}
