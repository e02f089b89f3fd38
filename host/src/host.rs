//! The plugin host: one engine, one linker per plugin kind, and loading.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use wasmtime::component::{Component, Linker as ComponentLinker};
use wasmtime::{Engine, Linker, Module};

use crate::component::{
    self, AsyncBindings, AsyncComponentPlugin, Bindings, ComponentPlugin, ComponentState,
};
use crate::contract::Contract;
use crate::core_module::{self, CoreBindings, CorePlugin, CoreState};
use crate::dynamic::{DynamicComponent, DynamicCoreModule, DynamicPlugin};
use crate::engine::new_engine;
use crate::grants::Policy;
use crate::inspect::{self, Inspection};
use crate::manifest::Manifest;
use crate::precompiled::{self, Artifact};
use crate::{Allocator, Error, Grants, HostConfig, Limits, PluginKind, Transactional};

/// A plugin compiled by a host's engine, not yet checked against a world or an ABI: what
/// [`PluginHost::load`] gives, for [`PluginHost::component`], [`PluginHost::core_module`] or
/// [`PluginHost::dynamic`] to check and link.
#[derive(Clone)]
pub struct Loaded {
    name: Arc<str>,
    code: Code,
    /// The host's policy, or the narrower one of the plugin's manifest.
    policy: Arc<Policy>,
    manifest: Option<Arc<Manifest>>,
}

#[derive(Clone)]
enum Code {
    Component(Component),
    CoreModule(Module),
}

impl Loaded {
    /// The plugin's name: its path as given, or the name given with its bytes.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it is a component or a core module.
    pub fn kind(&self) -> PluginKind {
        match self.code {
            Code::Component(_) => PluginKind::Component,
            Code::CoreModule(_) => PluginKind::CoreModule,
        }
    }

    /// The compiled component, if it is one.
    pub fn component(&self) -> Option<&Component> {
        match &self.code {
            Code::Component(component) => Some(component),
            Code::CoreModule(_) => None,
        }
    }

    /// The compiled core module, if it is one.
    pub fn module(&self) -> Option<&Module> {
        match &self.code {
            Code::CoreModule(module) => Some(module),
            Code::Component(_) => None,
        }
    }

    /// The compiled component.
    ///
    /// # Errors
    /// [`Error::WrongKind`] if it is a core module.
    pub fn as_component(&self) -> Result<&Component, Error> {
        self.component()
            .ok_or_else(|| self.wrong_kind(PluginKind::Component))
    }

    /// The compiled core module.
    ///
    /// # Errors
    /// [`Error::WrongKind`] if it is a component.
    pub fn as_module(&self) -> Result<&Module, Error> {
        self.module()
            .ok_or_else(|| self.wrong_kind(PluginKind::CoreModule))
    }

    /// The limits the plugin's instances run under: the host's, narrowed by its manifest.
    pub fn limits(&self) -> &Limits {
        &self.policy.limits
    }

    /// The WASI capabilities the plugin's instances get: the host's, or the subset its
    /// manifest asks for.
    pub fn grants(&self) -> &Grants {
        &self.policy.grants
    }

    /// The plugin's manifest, if it was loaded with one.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_deref()
    }

    fn wrong_kind(&self, expected: PluginKind) -> Error {
        Error::WrongKind {
            plugin: self.name.to_string(),
            expected,
            found: self.kind(),
        }
    }
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("name", &self.name)
            .field("kind", &self.kind())
            .finish()
    }
}

/// Loads plugins and owns what they share: one wasmtime `Engine` (with the epoch ticker that
/// enforces deadlines), two linkers for components (WASI preview 2 plus the application's
/// imports; one for blocking calls, one for async calls), one for core modules (WASI preview 1
/// plus the application's functions), and the [`Limits`] and [`Grants`](crate::Grants) every
/// store runs under.
///
/// `T` is the application's per-instance state ([`Transactional`]: `()` if it has none). Add
/// the application's imports to [`PluginHost::component_linker_mut`] (or
/// [`PluginHost::async_component_linker_mut`]) and [`PluginHost::core_linker_mut`] before
/// loading plugins.
///
/// `Send + Sync`: load plugins from any thread, instantiate them on any thread.
pub struct PluginHost<T: 'static> {
    engine: Engine,
    component_linker: ComponentLinker<ComponentState<T>>,
    async_component_linker: ComponentLinker<ComponentState<T>>,
    core_linker: Linker<CoreState<T>>,
    policy: Arc<Policy>,
    allocator: Allocator,
}

impl<T: Transactional + Send + 'static> PluginHost<T> {
    /// Creates a host with [`HostConfig::default`]: default limits, the pooling allocator, no
    /// compilation cache, no grants.
    ///
    /// # Errors
    /// As [`PluginHost::with_config`].
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

    /// Creates a host from `config`: its limits, allocator, compilation cache and grants.
    ///
    /// Starts a thread that advances the engine's epoch every [`Limits::EPOCH_TICK`] (this is
    /// how deadlines are noticed); it ends when the host and every plugin made from it are
    /// dropped.
    ///
    /// # Errors
    /// [`Error::Setup`] if wasmtime cannot create the engine (for example with
    /// `max_wasm_stack` 0, or a cache directory it cannot create) or link WASI.
    pub fn with_config(config: HostConfig) -> Result<Self, Error> {
        let (engine, allocator) = new_engine(&config).map_err(Error::setup)?;
        let mut component_linker = ComponentLinker::new(&engine);
        component::add_wasi(&mut component_linker).map_err(Error::setup)?;
        let mut async_component_linker = ComponentLinker::new(&engine);
        component::add_wasi_async(&mut async_component_linker).map_err(Error::setup)?;
        let mut core_linker = Linker::new(&engine);
        core_module::add_wasi(&mut core_linker).map_err(Error::setup)?;
        Ok(Self {
            engine,
            component_linker,
            async_component_linker,
            core_linker,
            policy: Arc::new(Policy {
                limits: config.limits,
                grants: config.grants,
            }),
            allocator,
        })
    }

    /// The component linker, to add the application's imports (`bindgen!`'s `add_to_linker`,
    /// with [`ComponentState::data_mut`] as the getter). WASI preview 2 is already in it.
    pub fn component_linker_mut(&mut self) -> &mut ComponentLinker<ComponentState<T>> {
        &mut self.component_linker
    }

    /// The component linker for async calls ([`PluginHost::async_component`]), to add the
    /// application's imports as an async world's `bindgen!` generates them (its
    /// `add_to_linker`, with [`ComponentState::data_mut`] as the getter). WASI preview 2 is
    /// already in it, in its async form.
    pub fn async_component_linker_mut(&mut self) -> &mut ComponentLinker<ComponentState<T>> {
        &mut self.async_component_linker
    }

    /// The core-module linker, to add the application's host functions (`func_wrap`). WASI
    /// preview 1 is already in it.
    pub fn core_linker_mut(&mut self) -> &mut Linker<CoreState<T>> {
        &mut self.core_linker
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

    /// Reads the file at `path`, tells a component from a core module by its header, and
    /// compiles it (or takes it from the compilation cache). If a manifest sits beside it
    /// (`NAME.toml` for `NAME.wasm`, see [`crate::manifest`]), the plugin's bytes are checked
    /// against its hash and its instances run under its narrower limits and grants.
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::NotWasm`], [`Error::IsPrecompiled`] or [`Error::Compile`];
    /// each names the plugin by `path`. [`Error::Manifest`] for a manifest that is not valid,
    /// widens what the host allows or has another hash.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Loaded, Error> {
        let manifest = Manifest::beside(path.as_ref())?;
        Ok(self.load_file(path.as_ref(), manifest)?.0)
    }

    /// As [`PluginHost::load`], under `manifest` (instead of a `NAME.toml` beside the file).
    ///
    /// # Errors
    /// As [`PluginHost::load`].
    pub fn load_with_manifest(
        &self,
        path: impl AsRef<Path>,
        manifest: Manifest,
    ) -> Result<Loaded, Error> {
        Ok(self.load_file(path.as_ref(), Some(manifest))?.0)
    }

    /// Loads the plugin at `path` under `manifest`, and returns its bytes beside it.
    fn load_file(
        &self,
        path: &Path,
        manifest: Option<Manifest>,
    ) -> Result<(Loaded, Vec<u8>), Error> {
        let (name, bytes) = read(path)?;
        let policy = self.policy_under(manifest.as_ref(), &bytes)?;
        let loaded = self.load_bytes(&name, &bytes)?;
        let loaded = Loaded {
            policy,
            manifest: manifest.map(Arc::new),
            ..loaded
        };
        Ok((loaded, bytes))
    }

    /// The host's policy, or `manifest`'s narrowing of it after checking `bytes` against its
    /// hash.
    fn policy_under(
        &self,
        manifest: Option<&Manifest>,
        bytes: &[u8],
    ) -> Result<Arc<Policy>, Error> {
        match manifest {
            Some(manifest) => {
                manifest.check_bytes(bytes)?;
                manifest.narrow(&self.policy).map(Arc::new)
            }
            None => Ok(self.policy.clone()),
        }
    }

    /// As [`PluginHost::load`], for bytes already in memory; `name` names the plugin in errors
    /// and diagnostics.
    ///
    /// # Errors
    /// As [`PluginHost::load`], but never [`Error::Read`].
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Loaded, Error> {
        let compile_error = |source| compile_error(name, source);
        let code = match detect(name, bytes)? {
            PluginKind::Component => Component::from_binary(&self.engine, bytes)
                .map(Code::Component)
                .map_err(compile_error)?,
            PluginKind::CoreModule => Module::from_binary(&self.engine, bytes)
                .map(Code::CoreModule)
                .map_err(compile_error)?,
        };
        Ok(Loaded {
            name: name.into(),
            code,
            policy: self.policy.clone(),
            manifest: None,
        })
    }

    /// Loads a precompiled artifact made by [`PluginHost::precompile`], checking that a
    /// compatible engine made it before deserializing.
    ///
    /// An artifact is machine code: load only artifacts you made or trust as you would an
    /// executable. The checks reject stale and foreign files, not forged ones.
    ///
    /// # Errors
    /// [`Error::Read`]; [`Error::NotPrecompiled`] if the file has no artifact header, was made
    /// by an incompatible engine, or cannot be deserialized; [`Error::Manifest`] as for
    /// [`PluginHost::load`] (a manifest beside an artifact hashes the artifact's bytes).
    pub fn load_precompiled(&self, path: impl AsRef<Path>) -> Result<Loaded, Error> {
        let manifest = Manifest::beside(path.as_ref())?;
        let (name, artifact) = read(path.as_ref())?;
        let policy = self.policy_under(manifest.as_ref(), &artifact)?;
        let code = match precompiled::deserialize(&self.engine, &artifact) {
            Ok(Artifact::Component(component)) => Code::Component(component),
            Ok(Artifact::Module(module)) => Code::CoreModule(module),
            Err(reason) => {
                return Err(Error::NotPrecompiled {
                    plugin: name,
                    reason,
                });
            }
        };
        Ok(Loaded {
            name: name.into(),
            code,
            policy,
            manifest: manifest.map(Arc::new),
        })
    }

    /// A precompiled artifact (see [`precompiled`]) of `loaded` that
    /// [`PluginHost::load_precompiled`] loads without compiling, on a host with a compatible
    /// engine. Check the plugin against its world or ABI first: the artifact is not checked.
    ///
    /// # Errors
    /// [`Error::Compile`] if wasmtime cannot serialize it.
    pub fn precompile(&self, loaded: &Loaded) -> Result<Vec<u8>, Error> {
        let payload = match &loaded.code {
            Code::Component(component) => component.serialize(),
            Code::CoreModule(module) => module.serialize(),
        };
        let payload = payload.map_err(|source| compile_error(&loaded.name, source))?;
        Ok(precompiled::wrap(&self.engine, &payload))
    }

    /// Checks the component `loaded` against the world `B` and pre-links it.
    ///
    /// # Errors
    /// [`Error::WrongKind`] for a core module; [`Error::WorldMismatch`] naming what the
    /// component lacks or mistypes, or the import the host does not provide.
    pub fn component<B: Bindings<Data = T>>(
        &self,
        loaded: &Loaded,
    ) -> Result<ComponentPlugin<B>, Error> {
        let component = loaded.as_component()?;
        let (name, policy) = (loaded.name.clone(), loaded.policy.clone());
        ComponentPlugin::new(name, component, &self.component_linker, policy)
    }

    /// Checks the component `loaded` against the async world `B` and pre-links it with the
    /// async linker ([`PluginHost::async_component_linker_mut`]), for calls that are futures
    /// ([`Instance::call_async`](crate::Instance::call_async)).
    ///
    /// # Errors
    /// As [`PluginHost::component`].
    pub fn async_component<B: AsyncBindings<Data = T>>(
        &self,
        loaded: &Loaded,
    ) -> Result<AsyncComponentPlugin<B>, Error> {
        let component = loaded.as_component()?;
        let (name, policy) = (loaded.name.clone(), loaded.policy.clone());
        AsyncComponentPlugin::new_async(name, component, &self.async_component_linker, policy)
    }

    /// Checks the core module `loaded` against the ABI `B` and pre-links it.
    ///
    /// # Errors
    /// [`Error::WrongKind`] for a component; [`Error::AbiMismatch`] listing every missing or
    /// mistyped export and the first import the host does not provide.
    pub fn core_module<B: CoreBindings<Data = T>>(
        &self,
        loaded: &Loaded,
    ) -> Result<CorePlugin<B>, Error> {
        let module = loaded.as_module()?;
        let (name, policy) = (loaded.name.clone(), loaded.policy.clone());
        CorePlugin::new(name, module, &self.core_linker, policy)
    }

    /// Pre-links `loaded` for calls by export name ([`crate::dynamic`]): a component of any
    /// world or a core module of any ABI, as long as the host provides its imports. Nothing is
    /// checked against a world or an ABI.
    ///
    /// # Errors
    /// [`Error::Unlinkable`] naming an import the host does not provide.
    pub fn dynamic(&self, loaded: &Loaded) -> Result<DynamicPlugin<T>, Error> {
        let (name, policy) = (loaded.name.clone(), loaded.policy.clone());
        match &loaded.code {
            Code::Component(component) => {
                let linker = &self.component_linker;
                DynamicComponent::new(name, component, linker, policy).map(DynamicPlugin::Component)
            }
            Code::CoreModule(module) => {
                DynamicCoreModule::new(name, module, &self.core_linker, policy)
                    .map(DynamicPlugin::CoreModule)
            }
        }
    }

    /// Links core modules in order into one plugin: each instance gets, for every import the
    /// next module makes that it exports (under whatever module name the import uses), its own
    /// export; the rest come from the host's linker. Calls go to the last module's exports, by
    /// name ([`crate::dynamic`]). The seed links `calc` (exporting `add`) to `toolbox`
    /// (importing `env.add`).
    ///
    /// Every module of the chain lives in the same store, under the host's limits and grants (a
    /// manifest of a module of the chain is not applied to the chain).
    ///
    /// # Errors
    /// [`Error::WrongKind`] if one is a component; [`Error::Unlinkable`] naming the module
    /// and the import that nothing provides, or that the previous module exports with another
    /// type.
    pub fn link_core_modules(&self, modules: &[Loaded]) -> Result<DynamicCoreModule<T>, Error> {
        let chain = modules
            .iter()
            .map(|loaded| Ok((loaded.name.clone(), loaded.as_module()?.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        DynamicCoreModule::linked(chain, &self.core_linker, self.policy.clone())
    }

    /// Composes components in order into one plugin, at load time: every function a component
    /// imports from an interface that the component before it exports (`example:calc/math`,
    /// say) calls that export; the rest of its imports come from the host's linker. Calls go
    /// to the last component's exports, by name ([`crate::dynamic`]). The component form of
    /// the seed's linking: a `calc` exporting `add` in an interface, and a `toolbox`
    /// importing it.
    ///
    /// Every component of the chain lives in the same store, under the host's limits and
    /// grants: a provider that traps or runs past the deadline fails the consumer's call, with
    /// its [`crate::Failure`], and [`Error::provider`] names the provider. A forwarded call
    /// costs one host-function call more than a direct one (BENCHMARKS.md, "Composition").
    /// Only functions (and the value types they take) are forwarded: an imported interface
    /// that declares a resource is refused.
    ///
    /// # Errors
    /// [`Error::WrongKind`] if one is a core module; [`Error::Unlinkable`] naming the
    /// component whose import nothing provides, or, for an import the component before
    /// exports, the item and both types when they differ, or the resource it declares.
    pub fn compose_components(&self, components: &[Loaded]) -> Result<DynamicComponent<T>, Error> {
        let members = components
            .iter()
            .map(|loaded| Ok((loaded.name.clone(), loaded.as_component()?.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        crate::dynamic::compose::compose(members, &self.component_linker, self.policy.clone())
    }

    /// Inspects the plugin at `path` ([`crate::inspect`]): a component's WIT, each of its
    /// imports against the host's linker and, given a `contract`, the version it targets and
    /// its exports against that version's world; a core module's imports (against the host's
    /// linker) and exports. A plugin that does not fit is a report, not an error. Returns the
    /// loaded plugin beside the report, for the application to add its own verdict
    /// ([`Inspection::add_problems`]).
    ///
    /// # Errors
    /// [`Error::Read`], [`Error::NotWasm`], [`Error::IsPrecompiled`], or [`Error::Compile`] if
    /// wasmtime (or, for a component's WIT, `wit-component`) cannot read it.
    pub fn inspect(
        &self,
        path: impl AsRef<Path>,
        contract: Option<&Contract>,
    ) -> Result<(Inspection, Loaded), Error> {
        let manifest = Manifest::beside(path.as_ref())?;
        let (loaded, bytes) = self.load_file(path.as_ref(), manifest)?;
        let name = loaded.name.clone();
        let inspection = match &loaded.code {
            Code::Component(component) => {
                inspect::inspect_component(&bytes, component, &self.component_linker, contract)
                    .map(Inspection::Component)
                    .map_err(|reason| compile_error(&name, wasmtime::Error::msg(reason)))?
            }
            Code::CoreModule(module) => {
                Inspection::CoreModule(inspect::inspect_core_module(module, &self.core_linker))
            }
        };
        Ok((inspection, loaded))
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

fn compile_error(name: &str, source: wasmtime::Error) -> Error {
    Error::Compile {
        plugin: name.to_owned(),
        source: source.into(),
    }
}
