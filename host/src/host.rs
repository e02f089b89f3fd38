//! The plugin host: one engine, one linker per plugin kind, and loading.

use std::fs;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use tracing::level_filters::LevelFilter;
use wasmtime::component::{Component, Linker as ComponentLinker};
use wasmtime::{Engine, Linker, Module};

use crate::cache::Cache;
use crate::chain;
use crate::component::{self, Bindings, ComponentPlugin};
use crate::contract::Contract;
use crate::core_module::{self, CoreBindings, CorePlugin};
use crate::dynamic::{Dynamic, DynamicComponent, DynamicCoreModule, DynamicPlugin};
use crate::engine::new_engine;
use crate::grants::Policy;
use crate::inspect::{self, Inspection};
use crate::manifest::Manifest;
use crate::mode::{Blocking, Mode};
use crate::precompiled::{self, Artifact};
use crate::profile::Code;
use crate::state::{ComponentState, CoreState};
use crate::{Allocator, Error, ErrorKind, Grants, HostConfig, Limits, PluginKind, Transactional};

/// A plugin compiled by a host's engine (wasmtime's `Component` or `Module`), not yet checked
/// against a world or an ABI nor linked: what [`PluginHost::load`] gives, for
/// [`PluginHost::component`], [`PluginHost::core_module`] or [`PluginHost::dynamic`] to check
/// and pre-link. Cheap to clone.
#[derive(Clone)]
pub struct Compiled {
    name: Arc<str>,
    code: Code,
    /// The host's policy, or the narrower one of the plugin's manifest.
    policy: Arc<Policy>,
    manifest: Option<Arc<Manifest>>,
}

impl Compiled {
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
    /// [`ErrorKind::WrongKind`] if it is a core module.
    pub fn as_component(&self) -> Result<&Component, Error> {
        self.component()
            .ok_or_else(|| self.wrong_kind(PluginKind::Component))
    }

    /// The compiled core module.
    ///
    /// # Errors
    /// [`ErrorKind::WrongKind`] if it is a component.
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

    /// The most verbose of the plugin's log messages the application should keep, as its
    /// manifest's `log` key gives it (`log = "warn"`); `LevelFilter::TRACE` (everything) if it
    /// is silent. The library does not see an application's log functions: they ask this (for
    /// example when making the instance's state) to quiet a noisy plugin without quieting the
    /// rest.
    pub fn log_level(&self) -> LevelFilter {
        self.policy.log.unwrap_or(LevelFilter::TRACE)
    }

    /// The plugin's manifest, if it was loaded with one.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_deref()
    }

    fn wrong_kind(&self, expected: PluginKind) -> Error {
        let found = self.kind();
        Error::new(ErrorKind::WrongKind { expected, found }).with_plugin(&*self.name)
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("name", &self.name)
            .field("kind", &self.kind())
            .finish()
    }
}

/// Loads plugins and owns what they share: one wasmtime `Engine` (with the epoch ticker that
/// enforces deadlines), one linker for components (WASI preview 2 plus the application's
/// imports), one for core modules (WASI preview 1 plus the application's functions), and the
/// [`Limits`] and [`Grants`] every store runs under.
///
/// `T` is the application's per-instance state ([`Transactional`]: `()` if it has none). `M`
/// is the host's mode, chosen once for every plugin it serves: [`Blocking`] (the default) or
/// [`Async`](crate::Async), where instantiation and calls are futures and host functions may
/// be async. Add the application's imports with [`PluginHost::link`] and
/// [`PluginHost::link_core`] before checking plugins.
///
/// `Send + Sync`: load plugins from any thread, instantiate them on any thread.
pub struct PluginHost<T: 'static, M: Mode = Blocking> {
    engine: Engine,
    component_linker: ComponentLinker<ComponentState<T>>,
    core_linker: Linker<CoreState<T>>,
    policy: Arc<Policy>,
    allocator: Allocator,
    cache: Option<Cache>,
    mode: PhantomData<fn() -> M>,
}

/// The getter a world's `add_to_linker` takes: from the store's state to the application's.
pub type Getter<T> = fn(&mut ComponentState<T>) -> &mut T;

impl<T: Transactional + Send + 'static, M: Mode> PluginHost<T, M> {
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
    /// [`ErrorKind::Setup`] if wasmtime cannot create the engine (for example with
    /// `max_wasm_stack` 0) or link WASI. A compilation cache folder that cannot be created is
    /// not an error: it is reported when the first plugin is loaded, which then compiles.
    pub fn with_config(config: HostConfig) -> Result<Self, Error> {
        let (engine, allocator) = new_engine(&config).map_err(Error::setup)?;
        let cache = config.cache.root().map(|root| Cache::new(&root, &engine));
        let mut component_linker = ComponentLinker::new(&engine);
        M::add_wasi_p2(&mut component_linker).map_err(Error::setup)?;
        let mut core_linker = Linker::new(&engine);
        M::add_wasi_p1(&mut core_linker).map_err(Error::setup)?;
        Ok(Self {
            engine,
            component_linker,
            core_linker,
            policy: Arc::new(Policy {
                limits: config.limits,
                grants: config.grants,
                metrics: config.metrics,
                log: None,
            }),
            allocator,
            cache,
            mode: PhantomData,
        })
    }

    /// Adds a world's imports to the component linker: `add_to_linker` is the `add_to_linker`
    /// that `bindgen!` generates for the world (or one of its interfaces), given the getter of
    /// the application's state. Add them before checking plugins against the world.
    ///
    /// ```no_run
    /// # mod world { plugin_host::bindgen!({ inline: "package my:app; world app { import log: func(text: string); }" }); }
    /// # struct State;
    /// # impl plugin_host::Transactional for State {}
    /// # impl world::AppImports for State { fn log(&mut self, _: String) {} }
    /// use plugin_host::wasmtime::component::HasSelf;
    ///
    /// # fn main() -> Result<(), plugin_host::Error> {
    /// let mut host = plugin_host::PluginHost::<State>::new()?;
    /// host.link(world::App::add_to_linker::<_, HasSelf<State>>)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Setup`] with wasmtime's reason, such as an import defined twice.
    pub fn link(
        &mut self,
        add_to_linker: impl FnOnce(
            &mut ComponentLinker<ComponentState<T>>,
            Getter<T>,
        ) -> wasmtime::Result<()>,
    ) -> Result<(), Error> {
        add_to_linker(&mut self.component_linker, ComponentState::data_mut).map_err(Error::setup)
    }

    /// Adds host functions for core modules to the core linker (with `func_wrap`, reaching the
    /// application's state as `caller.data_mut().data_mut()`).
    ///
    /// # Errors
    /// [`ErrorKind::Setup`] with wasmtime's reason, such as a function defined twice.
    pub fn link_core(
        &mut self,
        add_to_linker: impl FnOnce(&mut Linker<CoreState<T>>) -> wasmtime::Result<()>,
    ) -> Result<(), Error> {
        add_to_linker(&mut self.core_linker).map_err(Error::setup)
    }

    /// The component linker itself, for what [`PluginHost::link`] does not cover. WASI
    /// preview 2 is in it.
    pub fn component_linker_mut(&mut self) -> &mut ComponentLinker<ComponentState<T>> {
        &mut self.component_linker
    }

    /// The core-module linker itself. WASI preview 1 is in it.
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
    /// [`ErrorKind::Read`], [`ErrorKind::NotWasm`], [`ErrorKind::IsPrecompiled`] or
    /// [`ErrorKind::Compile`], each naming the plugin by `path`; [`ErrorKind::Manifest`] for a
    /// manifest that is not valid, widens what the host allows or has another hash.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Compiled, Error> {
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
    ) -> Result<Compiled, Error> {
        Ok(self.load_file(path.as_ref(), Some(manifest))?.0)
    }

    /// Loads the plugin at `path` under `manifest`, and returns its bytes beside it.
    fn load_file(
        &self,
        path: &Path,
        manifest: Option<Manifest>,
    ) -> Result<(Compiled, Vec<u8>), Error> {
        let (name, bytes) = read(path)?;
        let policy = self.policy_under(manifest.as_ref(), &bytes)?;
        let compiled = self.load_bytes(&name, &bytes)?;
        let compiled = Compiled {
            policy,
            manifest: manifest.map(Arc::new),
            ..compiled
        };
        Ok((compiled, bytes))
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
    /// As [`PluginHost::load`], but never [`ErrorKind::Read`].
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Compiled, Error> {
        let kind = detect(name, bytes)?;
        let compile = || {
            match kind {
                PluginKind::Component => {
                    Component::from_binary(&self.engine, bytes).map(Artifact::Component)
                }
                PluginKind::CoreModule => {
                    Module::from_binary(&self.engine, bytes).map(Artifact::Module)
                }
            }
            .map_err(|source| Error::wasmtime(ErrorKind::Compile, name, source))
        };
        let code = match &self.cache {
            Some(cache) => cache.get_or_compile(&self.engine, name, bytes, kind, compile)?,
            None => compile()?,
        }
        .into();
        Ok(Compiled {
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
    /// [`ErrorKind::Read`]; [`ErrorKind::NotPrecompiled`] if the file has no artifact header,
    /// was made by an incompatible engine, or cannot be deserialized; [`ErrorKind::Manifest`]
    /// as for [`PluginHost::load`] (a manifest beside an artifact hashes the artifact's bytes).
    pub fn load_precompiled(&self, path: impl AsRef<Path>) -> Result<Compiled, Error> {
        let manifest = Manifest::beside(path.as_ref())?;
        let (name, artifact) = read(path.as_ref())?;
        let policy = self.policy_under(manifest.as_ref(), &artifact)?;
        Ok(Compiled {
            policy,
            manifest: manifest.map(Arc::new),
            ..self.load_precompiled_bytes(&name, &artifact)?
        })
    }

    /// As [`PluginHost::load_precompiled`], for an artifact already in memory; `name` names
    /// the plugin in errors.
    ///
    /// # Errors
    /// [`ErrorKind::NotPrecompiled`] as for [`PluginHost::load_precompiled`].
    pub fn load_precompiled_bytes(&self, name: &str, artifact: &[u8]) -> Result<Compiled, Error> {
        let code = match precompiled::deserialize(&self.engine, artifact) {
            Ok(artifact) => artifact.into(),
            Err(reason) => {
                return Err(Error::new(ErrorKind::NotPrecompiled { reason }).with_plugin(name));
            }
        };
        Ok(Compiled {
            name: name.into(),
            code,
            policy: self.policy.clone(),
            manifest: None,
        })
    }

    /// A precompiled artifact (see [`precompiled`]) of `compiled` that
    /// [`PluginHost::load_precompiled`] loads without compiling, on a host with a compatible
    /// engine. Check the plugin against its world or ABI first: the artifact is not checked.
    ///
    /// # Errors
    /// [`ErrorKind::Compile`] if wasmtime cannot serialize it.
    pub fn precompile(&self, compiled: &Compiled) -> Result<Vec<u8>, Error> {
        let payload = match &compiled.code {
            Code::Component(component) => component.serialize(),
            Code::CoreModule(module) => module.serialize(),
        };
        let payload = payload
            .map_err(|source| Error::wasmtime(ErrorKind::Compile, &compiled.name, source))?;
        Ok(precompiled::wrap(&self.engine, &payload))
    }

    /// Checks the component `compiled` against the world `B` and pre-links it.
    ///
    /// # Errors
    /// [`ErrorKind::WrongKind`] for a core module; [`ErrorKind::WorldMismatch`] naming what the
    /// component lacks or mistypes, or the import the host does not provide.
    pub fn component<B: Bindings<T>>(
        &self,
        compiled: &Compiled,
    ) -> Result<ComponentPlugin<B, T, M>, Error> {
        let code = compiled.as_component()?;
        let (name, policy) = (compiled.name.clone(), compiled.policy.clone());
        component::plugin(name, code, &self.component_linker, policy)
    }

    /// Checks the core module `compiled` against the ABI `B` and pre-links it.
    ///
    /// # Errors
    /// [`ErrorKind::WrongKind`] for a component; [`ErrorKind::AbiMismatch`] listing every
    /// missing or mistyped export and the first import the host does not provide.
    pub fn core_module<B: CoreBindings<T>>(
        &self,
        compiled: &Compiled,
    ) -> Result<CorePlugin<B, T, M>, Error> {
        let code = compiled.as_module()?;
        let (name, policy) = (compiled.name.clone(), compiled.policy.clone());
        core_module::plugin(name, code, &self.core_linker, policy)
    }

    /// Pre-links `compiled` for calls by export name ([`crate::dynamic`]): a component of any
    /// world or a core module of any ABI, as long as the host provides its imports. Nothing is
    /// checked against a world or an ABI.
    ///
    /// # Errors
    /// [`ErrorKind::Unlinkable`] naming an import the host does not provide.
    pub fn dynamic(&self, compiled: &Compiled) -> Result<Dynamic<T, M>, Error> {
        let (name, policy) = (compiled.name.clone(), compiled.policy.clone());
        let engine = self.engine.clone();
        match &compiled.code {
            Code::Component(code) => {
                let linker = &self.component_linker;
                DynamicPlugin::new(name, code, linker, policy, engine).map(Dynamic::Component)
            }
            Code::CoreModule(code) => {
                let linker = &self.core_linker;
                DynamicPlugin::new(name, code, linker, policy, engine).map(Dynamic::CoreModule)
            }
        }
    }

    /// Inspects the plugin at `path` ([`crate::inspect`]): a component's WIT, each of its
    /// imports against the host's linker and, given a `contract`, the version it targets and
    /// its exports against that version's world; a core module's imports (against the host's
    /// linker) and exports. A plugin that does not fit is a report, not an error. Returns the
    /// compiled plugin beside the report, for the application to add its own verdict
    /// ([`Inspection::add_problems`]).
    ///
    /// # Errors
    /// [`ErrorKind::Read`], [`ErrorKind::NotWasm`], [`ErrorKind::IsPrecompiled`], or
    /// [`ErrorKind::Compile`] if wasmtime (or, for a component's WIT, `wit-component`) cannot
    /// read it.
    pub fn inspect(
        &self,
        path: impl AsRef<Path>,
        contract: Option<&Contract>,
    ) -> Result<(Inspection, Compiled), Error> {
        let manifest = Manifest::beside(path.as_ref())?;
        let (compiled, bytes) = self.load_file(path.as_ref(), manifest)?;
        let inspection = self.inspect_compiled(&compiled, &bytes, contract)?;
        Ok((inspection, compiled))
    }

    /// As [`PluginHost::inspect`], for bytes already in memory; `name` names the plugin in
    /// errors and diagnostics.
    ///
    /// # Errors
    /// As [`PluginHost::inspect`], but never [`ErrorKind::Read`].
    pub fn inspect_bytes(
        &self,
        name: &str,
        bytes: &[u8],
        contract: Option<&Contract>,
    ) -> Result<(Inspection, Compiled), Error> {
        let compiled = self.load_bytes(name, bytes)?;
        let inspection = self.inspect_compiled(&compiled, bytes, contract)?;
        Ok((inspection, compiled))
    }

    /// The report of [`PluginHost::inspect`] on `compiled`, whose bytes are `bytes`.
    fn inspect_compiled(
        &self,
        compiled: &Compiled,
        bytes: &[u8],
        contract: Option<&Contract>,
    ) -> Result<Inspection, Error> {
        let name = &compiled.name;
        Ok(match &compiled.code {
            Code::Component(component) => {
                inspect::inspect_component(bytes, component, &self.component_linker, contract)
                    .map(Inspection::Component)
                    .map_err(|reason| {
                        Error::wasmtime(ErrorKind::Compile, name, wasmtime::Error::msg(reason))
                    })?
            }
            Code::CoreModule(module) => {
                Inspection::CoreModule(inspect::inspect_core_module(module, &self.core_linker))
            }
        })
    }
}

impl<T: Transactional + Send + 'static> PluginHost<T, Blocking> {
    /// Links core modules in order into one plugin ([`crate::chain`]): each instance gets,
    /// for every import the next module makes that it exports (under whatever module name the
    /// import uses), its own export; the rest come from the host's linker. Calls go to the
    /// last module's exports, by name ([`crate::dynamic`]).
    ///
    /// # Errors
    /// [`ErrorKind::EmptyChain`] for no modules; [`ErrorKind::WrongKind`] if one is a
    /// component; [`ErrorKind::Unlinkable`] naming the module and the import that nothing
    /// provides, or that the previous module exports with another type.
    pub fn link_core_modules(&self, modules: &[Compiled]) -> Result<DynamicCoreModule<T>, Error> {
        let members = modules
            .iter()
            .map(|compiled| Ok((compiled.name.clone(), compiled.as_module()?.clone())))
            .collect::<Result<Vec<_>, Error>>()?;
        chain::link(members, &self.core_linker, self.policy.clone())
    }

    /// Composes components in order into one plugin, at load time ([`crate::chain`]): every
    /// function a component imports from an interface that the component before it exports
    /// calls that export; the rest of its imports come from the host's linker. Calls go to the
    /// last component's exports, by name ([`crate::dynamic`]).
    ///
    /// A forwarded call costs one host-function call more than a direct one (BENCHMARKS.md,
    /// "Composition: forwarding at load time"). Only functions (and the value types they take) are
    /// forwarded: an imported interface that declares a resource is refused.
    ///
    /// # Errors
    /// [`ErrorKind::EmptyChain`] for no components; [`ErrorKind::WrongKind`] if one is a core
    /// module; [`ErrorKind::Unlinkable`] naming the component whose import nothing provides,
    /// or, for an import the component before exports, the item and both types when they
    /// differ, or the resource it declares.
    pub fn compose_components(
        &self,
        components: &[Compiled],
    ) -> Result<DynamicComponent<T>, Error> {
        let members = components
            .iter()
            .map(|compiled| Ok((compiled.name.clone(), compiled.as_component()?.clone())))
            .collect::<Result<Vec<_>, Error>>()?;
        chain::compose(members, &self.component_linker, self.policy.clone())
    }
}

/// Reads a plugin file; its name is the path as given.
fn read(path: &Path) -> Result<(String, Vec<u8>), Error> {
    let bytes = fs::read(path).map_err(|source| Error::read(path, source))?;
    Ok((path.display().to_string(), bytes))
}

fn detect(name: &str, bytes: &[u8]) -> Result<PluginKind, Error> {
    match PluginKind::detect(bytes) {
        Some(kind) => Ok(kind),
        None if precompiled::is_artifact(bytes) => {
            Err(Error::new(ErrorKind::IsPrecompiled).with_plugin(name))
        }
        None => Err(Error::new(ErrorKind::NotWasm).with_plugin(name)),
    }
}
