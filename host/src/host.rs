//! The plugin host: one engine, one linker per plugin kind, and loading.

use std::fs;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use tracing::level_filters::LevelFilter;
use wasmtime::component::{Component, Linker as ComponentLinker};
use wasmtime::{Engine, Linker, Module};

use crate::cache::{Cache, Key};
use crate::chain;
use crate::component::{self, Bindings, ComponentPlugin};
use crate::contract::Contract;
use crate::core_module::{self, CoreBindings, CorePlugin};
use crate::deadline::Clock;
use crate::dynamic::{Dynamic, DynamicComponent, DynamicCoreModule, DynamicPlugin, StreamFeed};
use crate::engine::{new_engine, start_epoch_ticker};
use crate::grants::Policy;
use crate::inspect::{self, Inspection};
use crate::manifest::Manifest;
use crate::mode::{Blocking, Mode};
use crate::precompiled::{self, Artifact, Artifacts};
use crate::profile::Code;
use crate::state::{ComponentState, CoreState};
use crate::{Allocator, Error, ErrorKind, Grants, HostConfig, Limits, PluginKind, Transactional};
use wasmtime::component::{ComponentType, Lift, Lower, Val};

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
    /// Every core module, and every component that does not use the component model's async
    /// ABI.
    main: Lane<T>,
    /// Components that use the component model's async ABI, when
    /// [`HostConfig::component_model_async`] is on.
    concurrent: Option<Lane<T>>,
    core_linker: Linker<CoreState<T>>,
    policy: Arc<Policy>,
    allocator: Allocator,
    /// What feeds a `stream<T>` argument of a call by name ([`PluginHost::feed_streams`]).
    feeds: Arc<[StreamFeed<T>]>,
    mode: PhantomData<fn() -> M>,
}

/// An engine, the component linker of its plugins, and its compilation cache: a host has one
/// for most plugins and, with [`HostConfig::component_model_async`], a second for plugins that
/// use the component model's async ABI (whose engine makes every call dearer).
struct Lane<T: 'static> {
    /// Whether the engine has the component model's async ABI, so that its plugins need async
    /// entry points.
    concurrent: bool,
    /// The precompiled artifacts the engine writes and accepts, and the engine.
    artifacts: Artifacts,
    component_linker: ComponentLinker<ComponentState<T>>,
    cache: Option<Cache>,
}

impl<T: Send + 'static> Lane<T> {
    /// An engine of `config` with WASI linked: preview 2 in `M`'s form; or, if `concurrent`,
    /// with the component model's async ABI, WASI 0.2 in its async form (its plugins' calls
    /// run on an async executor, even in a blocking host) and WASI 0.3.
    fn new<M: Mode>(config: &HostConfig, concurrent: bool) -> wasmtime::Result<(Self, Allocator)> {
        let (engine, allocator) = new_engine(config, concurrent)?;
        let artifacts = Artifacts::new(&engine);
        let cache = config
            .cache
            .root()
            .map(|root| Cache::new(&root, &artifacts));
        let mut component_linker = ComponentLinker::new(&engine);
        if concurrent {
            wasmtime_wasi::p2::add_to_linker_async(&mut component_linker)?;
            wasmtime_wasi::p3::add_to_linker(&mut component_linker)?;
        } else {
            M::add_wasi_p2(&mut component_linker)?;
        }
        let lane = Self {
            concurrent,
            artifacts,
            component_linker,
            cache,
        };
        Ok((lane, allocator))
    }

    /// The lane's engine.
    fn engine(&self) -> &Engine {
        self.artifacts.engine()
    }

    /// `kind` compiled from `bytes` by this lane's engine, and stored in its cache under `key`.
    fn compile(
        &self,
        name: &str,
        bytes: &[u8],
        kind: PluginKind,
        key: Option<&Key>,
    ) -> Result<Artifact, Error> {
        let compiled = match kind {
            PluginKind::Component => {
                Component::from_binary(self.engine(), bytes).map(Artifact::Component)
            }
            PluginKind::CoreModule => {
                Module::from_binary(self.engine(), bytes).map(Artifact::Module)
            }
        }
        .map_err(|source| {
            // wasmtime's reason names a feature; say which setting has it.
            let source = match !self.concurrent && uses_async_abi(&source) {
                true => source.context(
                    "it uses the component model's async ABI (WASI 0.3), which this host does \
                     not serve: turn on HostConfig::component_model_async",
                ),
                false => source,
            };
            Error::wasmtime(ErrorKind::Compile, name, source)
        })?;
        if let (Some(cache), Some(key)) = (&self.cache, key) {
            cache.put(key, &compiled);
        }
        Ok(compiled)
    }
}

/// The getter a world's `add_to_linker` takes: from the store's state to the application's.
pub type Getter<T> = fn(&mut ComponentState<T>) -> &mut T;

/// The getter of [`PluginHost::link_state`]: the store's state itself.
pub type StateGetter<T> = fn(&mut ComponentState<T>) -> &mut ComponentState<T>;

fn identity<T>(state: &mut ComponentState<T>) -> &mut ComponentState<T> {
    state
}

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
        let (main, allocator) = Lane::new::<M>(&config, false).map_err(Error::setup)?;
        let concurrent = match config.component_model_async {
            true => Some(Lane::new::<M>(&config, true).map_err(Error::setup)?.0),
            false => None,
        };
        let engines: Vec<&Engine> = [Some(&main), concurrent.as_ref()]
            .into_iter()
            .flatten()
            .map(|lane| lane.engine())
            .collect();
        if allocator == Allocator::Pooling {
            crate::engine::warn_if_mappings_short(config.pool_instances, engines.len());
        }
        let clock = Arc::new(Clock::default());
        start_epoch_ticker(&engines, clock.clone()).map_err(Error::setup)?;
        let mut core_linker = Linker::new(main.engine());
        M::add_wasi_p1(&mut core_linker).map_err(Error::setup)?;
        Ok(Self {
            main,
            concurrent,
            core_linker,
            policy: Arc::new(Policy {
                limits: config.limits,
                grants: config.grants,
                metrics: config.metrics,
                log: None,
                clock,
            }),
            allocator,
            feeds: StreamFeed::primitives().into(),
            mode: PhantomData,
        })
    }

    /// Lets calls by name on a session ([`WaveSession`](crate::dynamic::WaveSession)) pass a
    /// WAVE list as a `stream<E>` argument: `convert` makes an `E` of each value, `None` if
    /// it is not one. `E` is a type of the application's bindings (`bindgen!` makes its
    /// records and variants `ComponentType`); wasmtime feeds a host stream only of a Rust
    /// type. Numbers, `bool`, `char` and `string` are fed already. When several feeds
    /// convert a list, the one registered last serves it, the library's own last of all.
    ///
    /// ```ignore
    /// host.feed_streams::<Point>(|value| match value {
    ///     Val::Record(fields) => match fields.as_slice() {
    ///         [(_, Val::S32(x)), (_, Val::S32(y))] => Some(Point { x: *x, y: *y }),
    ///         _ => None,
    ///     },
    ///     _ => None,
    /// });
    /// ```
    pub fn feed_streams<E>(&mut self, convert: fn(&Val) -> Option<E>)
    where
        E: ComponentType + Lower + Lift + Send + Sync + Unpin + 'static,
    {
        let mut feeds = self.feeds.to_vec();
        feeds.insert(0, StreamFeed::new(convert));
        self.feeds = feeds.into();
    }

    /// Every lane: the first, and the one for the component model's async ABI if there is
    /// one.
    fn lanes_mut(&mut self) -> impl Iterator<Item = &mut Lane<T>> {
        std::iter::once(&mut self.main).chain(self.concurrent.as_mut())
    }

    /// The lane whose engine compiled `component`.
    fn lane_of(&self, component: &Component) -> &Lane<T> {
        match &self.concurrent {
            Some(lane) if Engine::same(component.engine(), lane.engine()) => lane,
            _ => &self.main,
        }
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
    /// With [`HostConfig::component_model_async`], the imports go to both engines' linkers, so
    /// they must be plain (not `async func`) functions: link async ones with
    /// [`PluginHost::link_concurrent`].
    ///
    /// # Errors
    /// [`ErrorKind::Setup`] with wasmtime's reason, such as an import defined twice.
    pub fn link(
        &mut self,
        add_to_linker: impl Fn(
            &mut ComponentLinker<ComponentState<T>>,
            Getter<T>,
        ) -> wasmtime::Result<()>,
    ) -> Result<(), Error> {
        self.lanes_mut().try_for_each(|lane| {
            add_to_linker(&mut lane.component_linker, ComponentState::data_mut)
                .map_err(Error::setup)
        })
    }

    /// As [`PluginHost::link`], for host functions implemented on the store's whole state,
    /// [`ComponentState<T>`], rather than on the application's `T`: `add_to_linker` gets the
    /// identity getter. What host resources need: such a host function reaches the
    /// application's state with [`ComponentState::data_mut`] and the instance's table of host
    /// resources with [`ComponentState::resources`].
    ///
    /// ```no_run
    /// # mod world { plugin_host::bindgen!({
    /// #     inline: "package my:app; interface notes { resource note { constructor(text: string); text: func() -> string; } } world app { import notes; }",
    /// #     imports: { default: trappable },
    /// #     with: { "my:app/notes.note": super::Note },
    /// # }); }
    /// use plugin_host::component::ComponentState;
    /// use plugin_host::wasmtime::component::{HasSelf, Resource};
    /// use world::my::app::notes::{Host, HostNote};
    ///
    /// /// What a `note` handle stands for, in the instance's table.
    /// pub struct Note(String);
    ///
    /// # struct State;
    /// # impl plugin_host::Transactional for State {}
    /// impl Host for ComponentState<State> {}
    /// impl HostNote for ComponentState<State> {
    ///     fn new(&mut self, text: String) -> plugin_host::wasmtime::Result<Resource<Note>> {
    ///         Ok(self.resources().push(Note(text))?)
    ///     }
    ///     fn text(&mut self, note: Resource<Note>) -> plugin_host::wasmtime::Result<String> {
    ///         Ok(self.resources().get(&note)?.0.clone())
    ///     }
    ///     fn drop(&mut self, note: Resource<Note>) -> plugin_host::wasmtime::Result<()> {
    ///         self.resources().delete(note)?;
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # fn main() -> Result<(), plugin_host::Error> {
    /// let mut host = plugin_host::PluginHost::<State>::new()?;
    /// host.link_state(world::App::add_to_linker::<_, HasSelf<ComponentState<State>>>)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`PluginHost::link`].
    pub fn link_state(
        &mut self,
        add_to_linker: impl Fn(
            &mut ComponentLinker<ComponentState<T>>,
            StateGetter<T>,
        ) -> wasmtime::Result<()>,
    ) -> Result<(), Error> {
        self.lanes_mut().try_for_each(|lane| {
            add_to_linker(&mut lane.component_linker, identity).map_err(Error::setup)
        })
    }

    /// Adds imports that only plugins using the component model's async ABI can have (an
    /// `async func`, a WASI 0.3 interface of the application's) to the linker of the engine
    /// that serves them ([`HostConfig::component_model_async`]), with the identity getter as
    /// [`PluginHost::link_state`] gives it: an async host function reaches the store's state
    /// through its `Accessor` (`accessor.with(|mut access| access.get().data_mut())`).
    ///
    /// # Errors
    /// [`ErrorKind::Setup`] if the host has no engine for the component model's async ABI, or
    /// with wasmtime's reason.
    pub fn link_concurrent(
        &mut self,
        add_to_linker: impl FnOnce(
            &mut ComponentLinker<ComponentState<T>>,
            StateGetter<T>,
        ) -> wasmtime::Result<()>,
    ) -> Result<(), Error> {
        let Some(lane) = &mut self.concurrent else {
            return Err(Error::setup(wasmtime::format_err!(
                "the host has no engine for the component model's async ABI; turn on \
                 HostConfig::component_model_async"
            )));
        };
        add_to_linker(&mut lane.component_linker, identity).map_err(Error::setup)
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
    /// preview 2 is in it. With [`HostConfig::component_model_async`], this is the linker of
    /// the plugins that do not use the async ABI ([`PluginHost::concurrent_linker_mut`] has
    /// the other).
    pub fn component_linker_mut(&mut self) -> &mut ComponentLinker<ComponentState<T>> {
        &mut self.main.component_linker
    }

    /// The component linker of the plugins that use the component model's async ABI, if the
    /// host serves them ([`HostConfig::component_model_async`]). WASI 0.2 and 0.3 are in it.
    pub fn concurrent_linker_mut(&mut self) -> Option<&mut ComponentLinker<ComponentState<T>>> {
        self.concurrent
            .as_mut()
            .map(|lane| &mut lane.component_linker)
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

    /// The engine plugins are compiled with: every core module, and every component unless
    /// it uses the component model's async ABI.
    pub fn engine(&self) -> &Engine {
        self.main.engine()
    }

    /// The engine of the components that use the component model's async ABI, if the host
    /// serves them ([`HostConfig::component_model_async`]).
    pub fn concurrent_engine(&self) -> Option<&Engine> {
        self.concurrent.as_ref().map(|lane| lane.engine())
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
        // Hashed once; an entry in either engine's cache is taken before anything compiles (the
        // first engine would refuse, after validating it, what the second one compiled).
        let key = self.main.cache.as_ref().map(|_| Key::of(bytes));
        let cached = key.as_ref().and_then(|key| {
            [Some(&self.main), self.concurrent.as_ref()]
                .into_iter()
                .flatten()
                .find_map(|lane| lane.cache.as_ref()?.get(name, key, kind))
        });
        let code = match cached {
            Some(artifact) => artifact,
            None => match (
                self.main.compile(name, bytes, kind, key.as_ref()),
                &self.concurrent,
            ) {
                (Ok(artifact), _) => artifact,
                // The first engine refuses what uses the component model's async ABI; the
                // engine that has it decides. Anything else the first engine refused stays
                // refused.
                (Err(error), Some(lane)) if refused_for_async_abi(&error) => {
                    lane.compile(name, bytes, kind, key.as_ref())?
                }
                (Err(error), _) => return Err(error),
            },
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
    /// The file is mapped, not read: its trailer and checksum are checked on the mapped bytes,
    /// then wasmtime maps it again and runs its machine code, and makes the copy-on-write
    /// images of its linear memories, from the page cache.
    ///
    /// An artifact is machine code: load only artifacts you made or trust as you would an
    /// executable, and do not change the file in place while it is loaded (write a new one and
    /// rename it over). The checks reject stale and foreign files, not forged ones.
    ///
    /// # Errors
    /// [`ErrorKind::Read`]; [`ErrorKind::NotPrecompiled`] if the file has no artifact trailer,
    /// was made by an incompatible engine, or cannot be deserialized; [`ErrorKind::Manifest`]
    /// as for [`PluginHost::load`] (a manifest beside an artifact hashes the artifact's bytes).
    pub fn load_precompiled(&self, path: impl AsRef<Path>) -> Result<Compiled, Error> {
        let path = path.as_ref();
        let manifest = Manifest::beside(path)?;
        let (file, artifact) =
            precompiled::map(path).map_err(|source| Error::read(path, source))?;
        let policy = self.policy_under(manifest.as_ref(), &artifact)?;
        let name = path.display().to_string();
        let artifacts = &self.artifact_lane(&artifact).artifacts;
        let code = artifacts
            .check(&artifact)
            .and_then(|checked| artifacts.deserialize_file(path, file, checked))
            .map_err(|reason| Error::new(ErrorKind::NotPrecompiled { reason }).with_plugin(&name))?
            .into();
        Ok(Compiled {
            name: name.into(),
            code,
            policy,
            manifest: manifest.map(Arc::new),
        })
    }

    /// As [`PluginHost::load_precompiled`], for an artifact already in memory; `name` names
    /// the plugin in errors. wasmtime copies the artifact's payload.
    ///
    /// # Errors
    /// [`ErrorKind::NotPrecompiled`] as for [`PluginHost::load_precompiled`].
    pub fn load_precompiled_bytes(&self, name: &str, artifact: &[u8]) -> Result<Compiled, Error> {
        let code = self
            .artifact_lane(artifact)
            .artifacts
            .deserialize(artifact)
            .map_err(|reason| Error::new(ErrorKind::NotPrecompiled { reason }).with_plugin(name))?
            .into();
        Ok(Compiled {
            name: name.into(),
            code,
            policy: self.policy.clone(),
            manifest: None,
        })
    }

    /// The lane whose engine's fingerprint `artifact`'s trailer carries, if it is one of the
    /// host's; the first lane otherwise, whose check then says what is wrong.
    fn artifact_lane(&self, artifact: &[u8]) -> &Lane<T> {
        match &self.concurrent {
            Some(lane) if lane.artifacts.made_by(artifact) => lane,
            _ => &self.main,
        }
    }

    /// A precompiled artifact (see [`precompiled`]) of `compiled` that
    /// [`PluginHost::load_precompiled`] loads without compiling, on a host with a compatible
    /// engine. Check the plugin against its world or ABI first: the artifact is not checked.
    ///
    /// # Errors
    /// [`ErrorKind::Compile`] if wasmtime cannot serialize it.
    pub fn precompile(&self, compiled: &Compiled) -> Result<Vec<u8>, Error> {
        let (payload, lane) = match &compiled.code {
            Code::Component(component) => (component.serialize(), self.lane_of(component)),
            Code::CoreModule(module) => (module.serialize(), &self.main),
        };
        let payload = payload
            .map_err(|source| Error::wasmtime(ErrorKind::Compile, &compiled.name, source))?;
        Ok(lane.artifacts.wrap(payload))
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
        let lane = self.lane_of(code);
        component::plugin(name, code, &lane.component_linker, policy, lane.concurrent)
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
        match &compiled.code {
            Code::Component(code) => {
                let lane = self.lane_of(code);
                let (linker, engine) = (&lane.component_linker, lane.engine().clone());
                let feeds = self.feeds.clone();
                DynamicPlugin::new(name, code, linker, policy, engine, lane.concurrent, feeds)
                    .map(Dynamic::Component)
            }
            Code::CoreModule(code) => {
                let (linker, engine) = (&self.core_linker, self.main.engine().clone());
                let feeds = self.feeds.clone();
                DynamicPlugin::new(name, code, linker, policy, engine, false, feeds)
                    .map(Dynamic::CoreModule)
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
                let linker = &self.lane_of(component).component_linker;
                inspect::inspect_component(bytes, component, linker, contract)
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
        if let Some((name, _)) = members
            .iter()
            .find(|(_, member)| !Engine::same(member.engine(), self.main.engine()))
        {
            let reason = "load-time composition joins components without the component model's \
                          async ABI; compose this one at build time";
            return Err(Error::wasmtime(
                ErrorKind::Unlinkable,
                name,
                wasmtime::Error::msg(reason),
            ));
        }
        let linker = &self.main.component_linker;
        chain::compose(members, linker, self.policy.clone(), self.feeds.clone())
    }
}

/// What wasmtime's validator says of a component that uses the component model's async ABI
/// on an engine without it ("… require the component model async feature").
const ASYNC_ABI: &str = "component model async feature";

/// Whether wasmtime's `source` refuses a component for the component model's async ABI.
fn uses_async_abi(source: &wasmtime::Error) -> bool {
    format!("{source:#}").contains(ASYNC_ABI)
}

/// Whether `error` is a lane's refusal of a component for the component model's async ABI
/// alone, which the engine with that ABI may accept.
fn refused_for_async_abi(error: &Error) -> bool {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<crate::WasmtimeError>())
        .is_some_and(|source| uses_async_abi(source.inner()))
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
