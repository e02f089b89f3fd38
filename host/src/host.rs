//! The plugin host: one engine, one linker per plugin kind, and loading.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use wasmtime::component::Component;
use wasmtime::{Engine, Linker, Module};

use crate::component::{self, ComponentPlugin};
use crate::core_module::{self, CorePlugin, LinkedModules};
use crate::dynamic::{DynamicComponent, DynamicCoreModule, DynamicPlugin};
use crate::engine::new_engine;
use crate::grants::Policy;
use crate::inspect::{self, Inspection};
use crate::precompiled::{self, Loaded};
use crate::state::{ComponentState, CoreState};
use crate::{Allocator, Error, HostConfig, Limits, PluginKind, SharedValue};

/// A loaded plugin of either kind.
#[derive(Debug)]
pub enum Plugin {
    /// A component fitting the `example:plugin/plugin` world.
    Component(ComponentPlugin),
    /// A core module fitting the raw ABI of [`crate::core_module::abi`].
    CoreModule(CorePlugin),
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
}

/// Loads plugins and owns what they share: one wasmtime `Engine`, one linker for components
/// (WASI preview 2 and the world's `host` interface), one for core modules (WASI preview 1 and
/// the `env` functions), and the [`SharedValue`].
///
/// `Send + Sync`: load plugins from any thread, instantiate them on any thread.
pub struct PluginHost {
    engine: Engine,
    component_linker: wasmtime::component::Linker<ComponentState>,
    core_linker: Linker<CoreState>,
    shared: SharedValue,
    policy: Arc<Policy>,
    allocator: Allocator,
}

impl PluginHost {
    /// Creates a host with the default [`Limits`], whose shared value starts at
    /// [`SharedValue::INITIAL`] (42).
    ///
    /// # Errors
    /// [`Error::Setup`] if wasmtime cannot create the engine or link the host functions (for
    /// example on a platform it does not support).
    pub fn new() -> Result<Self, Error> {
        Self::with_config(HostConfig::default())
    }

    /// Creates a host whose plugins run under `limits`, otherwise as [`PluginHost::new`].
    ///
    /// # Errors
    /// As [`PluginHost::with_config`].
    pub fn with_limits(limits: Limits) -> Result<Self, Error> {
        Self::with_config(HostConfig {
            limits,
            ..HostConfig::default()
        })
    }

    /// Creates a host from `config`: its limits, allocator and compilation cache.
    ///
    /// Starts a thread that advances the engine's epoch every [`Limits::EPOCH_TICK`] (this is
    /// how deadlines are noticed); it ends when the host and every plugin made from it are
    /// dropped.
    ///
    /// # Errors
    /// [`Error::Setup`] if wasmtime cannot create the engine (for example with
    /// `max_wasm_stack` 0, or a cache directory it cannot create) or link the host functions.
    pub fn with_config(config: HostConfig) -> Result<Self, Error> {
        let setup = |source: wasmtime::Error| Error::Setup {
            source: source.into(),
        };
        let (engine, allocator) = new_engine(&config).map_err(setup)?;
        let mut component_linker = wasmtime::component::Linker::new(&engine);
        component::add_to_linker(&mut component_linker).map_err(setup)?;
        let mut core_linker = Linker::new(&engine);
        core_module::add_to_linker(&mut core_linker).map_err(setup)?;
        Ok(Self {
            engine,
            component_linker,
            core_linker,
            shared: SharedValue::default(),
            policy: Arc::new(Policy {
                limits: config.limits,
                grants: config.grants,
            }),
            allocator,
        })
    }

    /// The allocator the engine uses: [`Allocator::Pooling`] unless it was asked for
    /// on-demand allocation or the pool could not be reserved.
    pub fn allocator(&self) -> Allocator {
        self.allocator
    }

    /// The limits every plugin of this host runs under.
    pub fn limits(&self) -> &Limits {
        &self.policy.limits
    }

    /// The engine all plugins are compiled with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The value plugins read with `get` and write with `set`; the application may read and
    /// write it too, from any thread.
    pub fn shared_value(&self) -> &SharedValue {
        &self.shared
    }

    /// Reads the file at `path`, tells a component from a core module by its header, compiles
    /// it and checks it against the world (component) or the raw ABI (core module).
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::NotWasm`], [`Error::IsPrecompiled`], [`Error::Compile`],
    /// [`Error::WorldMismatch`] or [`Error::AbiMismatch`]; each names the plugin by `path`.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Plugin, Error> {
        let (name, bytes) = read(path.as_ref())?;
        self.load_bytes(&name, &bytes)
    }

    /// As [`PluginHost::load`], for bytes already in memory; `name` names the plugin in errors
    /// and diagnostics.
    ///
    /// # Errors
    /// As [`PluginHost::load`], but never [`Error::Read`].
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Plugin, Error> {
        match detect(name, bytes)? {
            PluginKind::Component => self.component(name, bytes).map(Plugin::Component),
            PluginKind::CoreModule => self.core_plugin(name, bytes).map(Plugin::CoreModule),
        }
    }

    /// Loads the component at `path`.
    ///
    /// # Errors
    /// As [`PluginHost::load`], plus [`Error::WrongKind`] if the file is a core module.
    pub fn load_component(&self, path: impl AsRef<Path>) -> Result<ComponentPlugin, Error> {
        let (name, bytes) = read_kind(path.as_ref(), PluginKind::Component)?;
        self.component(&name, &bytes)
    }

    /// Loads the core module at `path`.
    ///
    /// # Errors
    /// As [`PluginHost::load`], plus [`Error::WrongKind`] if the file is a component.
    pub fn load_core_module(&self, path: impl AsRef<Path>) -> Result<CorePlugin, Error> {
        let (name, bytes) = read_kind(path.as_ref(), PluginKind::CoreModule)?;
        self.core_plugin(&name, &bytes)
    }

    /// Compiles the plugin at `path` into a precompiled artifact (see [`precompiled`]) that
    /// [`PluginHost::load_precompiled`] loads without compiling, on a host with a compatible
    /// engine. The plugin is checked against the world or the ABI first.
    ///
    /// # Errors
    /// As [`PluginHost::load`].
    pub fn precompile(&self, path: impl AsRef<Path>) -> Result<Vec<u8>, Error> {
        let (name, bytes) = read(path.as_ref())?;
        let payload = match detect(&name, &bytes)? {
            PluginKind::Component => {
                let component = self.compile_component(&name, &bytes)?;
                self.component_plugin(&name, &component)?;
                component.serialize()
            }
            PluginKind::CoreModule => {
                let module = self.compile_core_module(&name, &bytes)?;
                self.core_plugin_from(&name, &module)?;
                module.serialize()
            }
        };
        let payload = payload.map_err(|source| compile_error(&name, source))?;
        Ok(precompiled::wrap(&self.engine, &payload))
    }

    /// Loads a precompiled artifact made by [`PluginHost::precompile`], checking that a
    /// compatible engine made it before deserializing, then checks it against the world or the
    /// ABI like [`PluginHost::load`].
    ///
    /// An artifact is machine code: load only artifacts you made or trust as you would an
    /// executable. The checks reject stale and foreign files, not forged ones.
    ///
    /// # Errors
    /// [`Error::Read`]; [`Error::NotPrecompiled`] if the file has no artifact header, was made
    /// by an incompatible engine, or cannot be deserialized; [`Error::WorldMismatch`] or
    /// [`Error::AbiMismatch`].
    pub fn load_precompiled(&self, path: impl AsRef<Path>) -> Result<Plugin, Error> {
        let (name, artifact) = read(path.as_ref())?;
        let loaded = precompiled::deserialize(&self.engine, &artifact).map_err(|reason| {
            Error::NotPrecompiled {
                plugin: name.clone(),
                reason,
            }
        })?;
        match loaded {
            Loaded::Component(component) => self
                .component_plugin(&name, &component)
                .map(Plugin::Component),
            Loaded::Module(module) => self
                .core_plugin_from(&name, &module)
                .map(Plugin::CoreModule),
        }
    }

    /// Loads the plugin at `path` for calls by export name ([`crate::dynamic`]): a component of
    /// any world or a core module of any ABI, as long as the host provides its imports. Nothing
    /// is checked against the world or the ABI.
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::NotWasm`], [`Error::IsPrecompiled`], [`Error::Compile`], or
    /// [`Error::Unlinkable`] naming an import the host does not provide.
    pub fn load_dynamic(&self, path: impl AsRef<Path>) -> Result<DynamicPlugin, Error> {
        let (name, bytes) = read(path.as_ref())?;
        let shared = self.shared.clone();
        let policy = self.policy.clone();
        match detect(&name, &bytes)? {
            PluginKind::Component => {
                let component = self.compile_component(&name, &bytes)?;
                let linker = &self.component_linker;
                DynamicComponent::new(name.into(), &component, linker, shared, policy)
                    .map(DynamicPlugin::Component)
            }
            PluginKind::CoreModule => {
                let module = self.compile_core_module(&name, &bytes)?;
                DynamicCoreModule::new(name.into(), &module, &self.core_linker, shared, policy)
                    .map(DynamicPlugin::CoreModule)
            }
        }
    }

    /// Inspects the plugin at `path` ([`crate::inspect`]): a component's WIT and its imports and
    /// exports against the host's linker and world; a core module's imports and exports and
    /// what keeps it from the raw ABI. A plugin that does not fit is a report, not an error.
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::NotWasm`], [`Error::IsPrecompiled`], or [`Error::Compile`] if
    /// wasmtime (or, for a component's WIT, `wit-component`) cannot read it.
    pub fn inspect(&self, path: impl AsRef<Path>) -> Result<Inspection, Error> {
        let (name, bytes) = read(path.as_ref())?;
        match detect(&name, &bytes)? {
            PluginKind::Component => {
                let component = self.compile_component(&name, &bytes)?;
                let load = self
                    .component_plugin(&name, &component)
                    .map(drop)
                    .map_err(|error| error.with_causes());
                inspect::inspect_component(&bytes, &component, &self.component_linker, load)
                    .map(Inspection::Component)
                    .map_err(|reason| compile_error(&name, wasmtime::Error::msg(reason)))
            }
            PluginKind::CoreModule => {
                let module = self.compile_core_module(&name, &bytes)?;
                let report = inspect::inspect_core_module(&module, &self.core_linker);
                Ok(Inspection::CoreModule(report))
            }
        }
    }

    /// Links two core modules: instantiates `provider`, defines its exports under the module
    /// name `module_name` (the seed uses `env`), and instantiates `consumer` against them.
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::NotWasm`], [`Error::WrongKind`] or [`Error::Compile`] for either
    /// file; [`Error::Instantiate`] if an import of `consumer` is not satisfied or a start
    /// function traps.
    pub fn link_core_modules(
        &self,
        provider: impl AsRef<Path>,
        consumer: impl AsRef<Path>,
        module_name: &str,
    ) -> Result<LinkedModules, Error> {
        let (provider_name, provider) = self.core_module_file(provider.as_ref())?;
        let (consumer_name, consumer) = self.core_module_file(consumer.as_ref())?;
        LinkedModules::new(
            (provider_name, &provider),
            (consumer_name, &consumer),
            module_name,
            &self.core_linker,
            self.shared.clone(),
            self.policy.clone(),
        )
    }

    fn component(&self, name: &str, bytes: &[u8]) -> Result<ComponentPlugin, Error> {
        let component = self.compile_component(name, bytes)?;
        self.component_plugin(name, &component)
    }

    fn component_plugin(
        &self,
        name: &str,
        component: &Component,
    ) -> Result<ComponentPlugin, Error> {
        ComponentPlugin::new(
            name.into(),
            component,
            &self.component_linker,
            self.shared.clone(),
            self.policy.clone(),
        )
    }

    fn core_plugin(&self, name: &str, bytes: &[u8]) -> Result<CorePlugin, Error> {
        let module = self.compile_core_module(name, bytes)?;
        self.core_plugin_from(name, &module)
    }

    fn core_plugin_from(&self, name: &str, module: &Module) -> Result<CorePlugin, Error> {
        CorePlugin::new(
            name.into(),
            module,
            &self.core_linker,
            self.shared.clone(),
            self.policy.clone(),
        )
    }

    fn core_module_file(&self, path: &Path) -> Result<(Arc<str>, Module), Error> {
        let (name, bytes) = read_kind(path, PluginKind::CoreModule)?;
        let module = self.compile_core_module(&name, &bytes)?;
        Ok((name.into(), module))
    }

    fn compile_component(&self, name: &str, bytes: &[u8]) -> Result<Component, Error> {
        Component::from_binary(&self.engine, bytes).map_err(|source| compile_error(name, source))
    }

    fn compile_core_module(&self, name: &str, bytes: &[u8]) -> Result<Module, Error> {
        Module::from_binary(&self.engine, bytes).map_err(|source| compile_error(name, source))
    }
}

/// Reads a plugin file; its name is the path as given.
fn read(path: &Path) -> Result<(String, Vec<u8>), Error> {
    let bytes = fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok((path.display().to_string(), bytes))
}

fn detect(name: &str, bytes: &[u8]) -> Result<PluginKind, Error> {
    let plugin = name.to_owned();
    match PluginKind::detect(bytes) {
        Some(kind) => Ok(kind),
        None if precompiled::is_artifact(bytes) => Err(Error::IsPrecompiled { plugin }),
        None => Err(Error::NotWasm { plugin }),
    }
}

/// Reads a plugin file and checks that it is of the `expected` kind.
fn read_kind(path: &Path, expected: PluginKind) -> Result<(String, Vec<u8>), Error> {
    let (name, bytes) = read(path)?;
    let found = detect(&name, &bytes)?;
    if found != expected {
        return Err(Error::WrongKind {
            plugin: name,
            expected,
            found,
        });
    }
    Ok((name, bytes))
}

fn compile_error(name: &str, source: wasmtime::Error) -> Error {
    Error::Compile {
        plugin: name.to_owned(),
        source: source.into(),
    }
}
