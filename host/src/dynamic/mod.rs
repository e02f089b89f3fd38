//! Plugins of any world or ABI, called by export name with dynamically typed values: for an
//! application that knows the functions it calls only at run time.
//!
//! One plugin type serves both kinds ([`DynamicPlugin<K, T>`]): a component's functions take
//! and return `component::Val`s, a core module's take and return numbers; the two differ only
//! in how they list, parse and call functions ([`ByName`]). Arguments can be written as WAVE
//! text (the WebAssembly Value Encoding of the `wasm-wave` crate, e.g. `{x: 1, y: 2}` for a
//! record, `"hi"` for a string, `some(3)`), parsed against the function's own parameter types
//! before the call, so a wrong argument is an error that shows the signature, never a trap.
//!
//! ```no_run
//! use plugin_host::PluginHost;
//! use plugin_host::dynamic::Dynamic;
//!
//! # fn main() -> Result<(), plugin_host::Error> {
//! let host = PluginHost::<()>::new()?;
//! let Dynamic::Component(plugin) = host.dynamic(&host.load("greeter.wasm")?)? else {
//!     panic!("not a component")
//! };
//! let greet = plugin.function("greet")?;
//! let args = plugin.parse_args(&greet, &["\"world\""])?;
//! let results = plugin.instantiate(())?.call_function(&greet, &args)?;
//! assert_eq!(plugin_host::dynamic::to_wave(&results), "\"Hello, world!\"");
//! # Ok(())
//! # }
//! ```

pub(crate) mod component;
mod core;
mod session;
mod wave;

pub use component::ComponentFunction;
pub use core::CoreFunction;
pub use session::{StreamFeed, WaveSession};
pub use wave::{WaveValue, to_wave};

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::ResourceType;
use wasmtime::component::wasm_wave::{self, wasm::WasmValue};

use crate::asynchronous::{BoxFuture, InstantiateAsync};
use crate::deadline::Deadline;
use crate::grants::Policy;
use crate::kind::{self, Kind};
use crate::mode::{Blocking, Mode};
use crate::plugin::Instantiate;
use crate::profile::Profiler;
use crate::state::StoreState;
use crate::{Async, CapturedOutput, Error, ErrorKind, Instance, Plugin, PluginKind, Transactional};

/// What calls by name need of a [`Kind`]: how its functions are listed, named, parsed and
/// called. Implemented by [`kind::Component`] and [`kind::CoreModule`].
pub trait ByName: Kind {
    /// One exported function, with its type; `Display` writes its signature.
    type Function: Clone + fmt::Display + fmt::Debug + Send + Sync + 'static;
    /// A value a function takes or returns.
    type Val: WaveValue + Clone + Send + Sync + 'static;

    /// Every function `code` exports, in its order.
    #[doc(hidden)]
    fn functions(code: &Self::Code) -> Vec<Self::Function>;

    /// The names a function answers to: its full export name first.
    #[doc(hidden)]
    fn names(function: &Self::Function) -> [&str; 3];

    /// The resources `code` imports and exports, by type, with their names (none for a core
    /// module).
    #[doc(hidden)]
    fn resources(code: &Self::Code) -> Vec<(ResourceType, String)>;

    /// [`DynamicPlugin::call_wave`] for this kind.
    #[doc(hidden)]
    fn call_wave<T: Transactional + Send + 'static>(
        plugin: &DynamicPlugin<Self, T>,
        function: &str,
        args: &[&str],
        data: T,
    ) -> Result<WaveCall, Error>;

    /// The function's parameters: a name (empty for a core module's) and a type each.
    #[doc(hidden)]
    fn params(function: &Self::Function) -> Vec<(String, <Self::Val as WasmValue>::Type)>;

    /// Calls `function` of `instance` with `args`; with the component model's concurrent ABI
    /// (`call_concurrent`, driven to completion on the calling thread, within this wall-clock
    /// deadline) if `concurrent` is given (an instance that needs async entry points).
    #[doc(hidden)]
    fn call<S: Send + 'static>(
        instance: Self::Instance,
        store: &mut Store<S>,
        function: &Self::Function,
        args: &[Self::Val],
        concurrent: Option<&Deadline>,
    ) -> wasmtime::Result<Vec<Self::Val>>;

    /// As [`ByName::call`], in a store whose calls are async.
    #[doc(hidden)]
    fn call_async<S: Send + 'static>(
        instance: Self::Instance,
        store: &mut Store<S>,
        function: &Self::Function,
        args: &[Self::Val],
        concurrent: Option<&Deadline>,
    ) -> impl Future<Output = wasmtime::Result<Vec<Self::Val>>> + Send;
}

/// A plugin of any world (a component) or any ABI (a core module, or a chain of plugins of the
/// kind `K`), pre-linked against the host's linker, whose function exports are called by name.
/// `T` is the application's per-instance state; `M` the host's mode.
pub struct DynamicPlugin<K: ByName, T: 'static, M: Mode = Blocking> {
    plugin: Plugin<StoreState<T, K>, K::Instance, M>,
    functions: Arc<[K::Function]>,
    /// The names of the resources the plugin imports and exports, by type.
    resources: Arc<[(ResourceType, String)]>,
    /// What feeds a `stream<T>` argument written as a WAVE list ([`WaveSession`]).
    feeds: Arc<[StreamFeed<T>]>,
}

/// A component of any world, for calls by name.
pub type DynamicComponent<T, M = Blocking> = DynamicPlugin<kind::Component, T, M>;

/// A core module of any ABI (or a chain of linked ones), for calls by name.
pub type DynamicCoreModule<T, M = Blocking> = DynamicPlugin<kind::CoreModule, T, M>;

/// An instance of a [`DynamicPlugin`]; call its functions with
/// [`Instance::call_function`].
pub type DynamicInstance<K, T, M = Blocking> = Instance<StoreState<T, K>, <K as Kind>::Instance, M>;

/// Any plugin for calls by name: a component or a core module, told apart when it was loaded
/// ([`PluginHost::dynamic`](crate::PluginHost::dynamic)).
#[derive(Debug)]
pub enum Dynamic<T: 'static, M: Mode = Blocking> {
    /// A component of any world whose imports the host provides.
    Component(DynamicComponent<T, M>),
    /// A core module (or a chain of linked ones) whose imports the host provides.
    CoreModule(DynamicCoreModule<T, M>),
}

/// The code of a plugin pre-linked for calls by name.
struct Linked<K: Kind, T: 'static> {
    pre: K::Pre<StoreState<T, K>>,
    /// Whether wasmtime requires async entry points for it ([`Plugin::new`]'s `async_entry`).
    async_entry: bool,
    state: PhantomData<fn() -> T>,
}

impl<K: Kind, T: Send + 'static> Instantiate<StoreState<T, K>, K::Instance> for Linked<K, T> {
    fn instantiate(&self, store: &mut Store<StoreState<T, K>>) -> wasmtime::Result<K::Instance> {
        if self.async_entry {
            return crate::component::block_on(K::instantiate_async(&self.pre, store));
        }
        K::instantiate(&self.pre, store)
    }
}

impl<K: Kind, T: Send + 'static> InstantiateAsync<StoreState<T, K>, K::Instance> for Linked<K, T> {
    fn instantiate_async<'a>(
        &'a self,
        store: &'a mut Store<StoreState<T, K>>,
    ) -> BoxFuture<'a, wasmtime::Result<K::Instance>> {
        Box::pin(K::instantiate_async(&self.pre, store))
    }
}

impl<K: ByName, T: Transactional + Send + 'static, M: Mode> DynamicPlugin<K, T, M> {
    /// Pre-links `code` against `linker` and lists its function exports.
    pub(crate) fn new(
        name: Arc<str>,
        code: &K::Code,
        linker: &K::Linker<StoreState<T, K>>,
        policy: Arc<Policy>,
        engine: wasmtime::Engine,
        async_entry: bool,
        feeds: Arc<[StreamFeed<T>]>,
    ) -> Result<Self, Error> {
        let pre = K::pre(linker, code)
            .map_err(|source| Error::wasmtime(ErrorKind::Unlinkable, &name, source))?;
        let linked = Linked::<K, T> {
            pre,
            async_entry,
            state: PhantomData,
        };
        let plugin = Plugin::new(
            name,
            "",
            vec![K::code(code)],
            engine,
            policy,
            M::instantiator(linked),
            async_entry,
        );
        Ok(Self::with_plugin(plugin, code, feeds))
    }

    /// The plugin `plugin`, whose functions are those `code` exports.
    pub(crate) fn with_plugin(
        plugin: Plugin<StoreState<T, K>, K::Instance, M>,
        code: &K::Code,
        feeds: Arc<[StreamFeed<T>]>,
    ) -> Self {
        Self {
            plugin,
            functions: K::functions(code).into(),
            resources: K::resources(code).into(),
            feeds,
        }
    }

    /// The names of the resources the plugin imports and exports, by type.
    pub(crate) fn resources(&self) -> Arc<[(ResourceType, String)]> {
        self.resources.clone()
    }

    /// What feeds a `stream<T>` argument written as a WAVE list.
    pub(crate) fn feeds(&self) -> &[StreamFeed<T>] {
        &self.feeds
    }

    /// The name the plugin was loaded under (`a.wasm + b.wasm` for a chain).
    pub fn name(&self) -> &str {
        self.plugin.name()
    }

    /// The plugin, for its limits and grants.
    pub fn plugin(&self) -> &Plugin<StoreState<T, K>, K::Instance, M> {
        &self.plugin
    }

    /// Every function the plugin exports (for a chain, its last member), in its order.
    pub fn functions(&self) -> &[K::Function] {
        &self.functions
    }

    /// The function `name` names: for a core module its export name; for a component its full
    /// export name (`example:greeter/text@0.1.0#shout`), the short form with the instance's
    /// interface name only (`text#shout`), or the bare function name if only one instance
    /// exports it (`shout`).
    ///
    /// # Errors
    /// [`ErrorKind::NoSuchExport`] if nothing or more than one function matches; it lists every
    /// function with its signature.
    pub fn function(&self, name: &str) -> Result<K::Function, Error> {
        // A component's resource functions answer to WIT's names and the component's.
        let name = match K::KIND {
            PluginKind::Component => component::normalize(name),
            PluginKind::CoreModule => name.to_owned(),
        };
        let matches: Vec<&K::Function> = self
            .functions
            .iter()
            .filter(|f| K::names(f).contains(&name.as_str()))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(Error::new(ErrorKind::NoSuchExport {
                candidates: matches.iter().map(|f| K::names(f)[0].to_owned()).collect(),
                exports: self.functions.iter().map(ToString::to_string).collect(),
            })
            .with_plugin(self.name())
            .with_export(name)),
        }
    }

    /// Parses each of `args` as WAVE against the type of `function`'s parameter at its
    /// position (numbers for a core module: `7`, `-1`, `1.5`, `nan`).
    ///
    /// # Errors
    /// [`ErrorKind::BadArguments`] for a wrong count or an argument that is not a WAVE value of
    /// its parameter's type, naming the argument.
    pub fn parse_args(
        &self,
        function: &K::Function,
        args: &[impl AsRef<str>],
    ) -> Result<Vec<K::Val>, Error> {
        let bad = |reason| {
            Error::new(ErrorKind::BadArguments {
                signature: function.to_string(),
                reason,
            })
            .with_plugin(self.name())
            .with_export(K::names(function)[0])
        };
        let types = K::params(function);
        if args.len() != types.len() {
            return Err(bad(format!(
                "{} argument{} given, {} expected",
                args.len(),
                if args.len() == 1 { "" } else { "s" },
                types.len()
            )));
        }
        args.iter()
            .zip(&types)
            .enumerate()
            .map(|(position, (arg, (name, ty)))| {
                let arg = arg.as_ref();
                let label = if name.is_empty() {
                    String::new()
                } else {
                    format!(" ({name})")
                };
                wasm_wave::from_str::<K::Val>(ty, arg).map_err(|error| {
                    bad(format!("argument {}{label} `{arg}`: {error}", position + 1))
                })
            })
            .collect()
    }
}

impl<K: ByName, T: Transactional + Send + 'static> DynamicPlugin<K, T, Blocking> {
    /// Creates a fresh instance in a store of its own holding `data`, as
    /// [`Plugin::instantiate`] does.
    ///
    /// # Errors
    /// As [`Plugin::instantiate`].
    pub fn instantiate(&self, data: T) -> Result<DynamicInstance<K, T>, Error> {
        self.plugin.instantiate(data)
    }

    /// Text in, text out: finds `function`, parses `args` as WAVE against its parameters,
    /// calls it on a fresh instance holding `data` and writes the results as WAVE. A
    /// component's call is a [`WaveSession`]'s: a returned handle is written `<resource #1>`,
    /// and a `stream<T>` argument is a WAVE list.
    ///
    /// # Errors
    /// Before calling: [`ErrorKind::NoSuchExport`], [`ErrorKind::BadArguments`], or
    /// [`ErrorKind::Instantiate`]. A failed call is `Ok`, with the error in
    /// [`WaveCall::results`] beside the output the plugin wrote before it failed.
    pub fn call_wave(
        &self,
        function: &str,
        args: &[impl AsRef<str>],
        data: T,
    ) -> Result<WaveCall, Error> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        K::call_wave(self, function, &args, data)
    }

    /// [`DynamicPlugin::call_wave`] on a fresh instance, each argument parsed as WAVE.
    pub(crate) fn call_wave_plainly(
        &self,
        function: &str,
        args: &[&str],
        data: T,
    ) -> Result<WaveCall, Error> {
        let function = self.function(function)?;
        let args = self.parse_args(&function, args)?;
        let mut instance = self.instantiate(data)?;
        let results = instance.call_function(&function, &args);
        Ok(WaveCall {
            signature: function.to_string(),
            results: results.map(|results| to_wave(&results)),
            output: instance.output().clone(),
        })
    }
}

impl<K: ByName, T: Transactional + Send + 'static> DynamicPlugin<K, T, Async> {
    /// As the blocking [`DynamicPlugin::instantiate`], as a future.
    ///
    /// # Errors
    /// As [`Plugin::instantiate`].
    pub async fn instantiate(&self, data: T) -> Result<DynamicInstance<K, T, Async>, Error> {
        self.plugin.instantiate(data).await
    }
}

impl<K: ByName, T: Transactional + Send + 'static> DynamicInstance<K, T> {
    /// Calls `function` with `args` under the plugin's limits and returns its results.
    ///
    /// # Errors
    /// [`ErrorKind::Call`] if the arguments do not fit the signature or the call fails;
    /// [`ErrorKind::Instantiate`] if a fresh instance was due and could not be made.
    pub fn call_function(
        &mut self,
        function: &K::Function,
        args: &[K::Val],
    ) -> Result<Vec<K::Val>, Error> {
        let concurrent = self.maker.async_entry.then(|| self.deadline());
        self.call(K::names(function)[0], |instance, store| {
            K::call(*instance, store, function, args, concurrent.as_deref())
        })
    }
}

impl<K: ByName, T: Transactional + Send + 'static> DynamicInstance<K, T, Async> {
    /// As the blocking [`Instance::call_function`], as a future.
    ///
    /// # Errors
    /// As the blocking [`Instance::call_function`].
    pub async fn call_function(
        &mut self,
        function: &K::Function,
        args: &[K::Val],
    ) -> Result<Vec<K::Val>, Error> {
        let concurrent = self.maker.async_entry.then(|| self.deadline());
        self.call(K::names(function)[0], async |instance, store| {
            K::call_async(*instance, store, function, args, concurrent.as_deref()).await
        })
        .await
    }
}

impl<K: ByName, T: 'static, M: Mode> Clone for DynamicPlugin<K, T, M> {
    fn clone(&self) -> Self {
        Self {
            plugin: self.plugin.clone(),
            functions: self.functions.clone(),
            resources: self.resources.clone(),
            feeds: self.feeds.clone(),
        }
    }
}

impl<K: ByName, T: 'static, M: Mode> fmt::Debug for DynamicPlugin<K, T, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicPlugin")
            .field("name", &self.plugin.name())
            .field("kind", &K::KIND)
            .finish_non_exhaustive()
    }
}

impl<T: Transactional + Send + 'static, M: Mode> Dynamic<T, M> {
    /// Which kind of plugin this is.
    pub fn kind(&self) -> PluginKind {
        match self {
            Self::Component(_) => PluginKind::Component,
            Self::CoreModule(_) => PluginKind::CoreModule,
        }
    }

    /// The name the plugin was loaded under.
    pub fn name(&self) -> &str {
        match self {
            Self::Component(plugin) => plugin.name(),
            Self::CoreModule(plugin) => plugin.name(),
        }
    }

    /// A new profile of the plugin's code ([`Plugin::profiler`]).
    ///
    /// # Errors
    /// As [`Plugin::profiler`].
    pub fn profiler(&self) -> Result<Profiler, Error> {
        match self {
            Self::Component(plugin) => plugin.plugin().profiler(),
            Self::CoreModule(plugin) => plugin.plugin().profiler(),
        }
    }

    /// Samples every instance the plugin makes from now on into `profiler`
    /// ([`Plugin::profile`]).
    pub fn profile(&self, profiler: Option<&Profiler>) {
        match self {
            Self::Component(plugin) => plugin.plugin().profile(profiler),
            Self::CoreModule(plugin) => plugin.plugin().profile(profiler),
        }
    }

    /// The most verbose of the plugin's log messages to keep ([`Plugin::log_level`]).
    pub fn log_level(&self) -> tracing::level_filters::LevelFilter {
        match self {
            Self::Component(plugin) => plugin.plugin().log_level(),
            Self::CoreModule(plugin) => plugin.plugin().log_level(),
        }
    }

    /// Every function the plugin exports, each with its signature.
    pub fn signatures(&self) -> Vec<String> {
        fn signatures<F: ToString>(functions: &[F]) -> Vec<String> {
            functions.iter().map(ToString::to_string).collect()
        }
        match self {
            Self::Component(plugin) => signatures(plugin.functions()),
            Self::CoreModule(plugin) => signatures(plugin.functions()),
        }
    }
}

impl<T: Transactional + Send + 'static> Dynamic<T> {
    /// [`DynamicPlugin::call_wave`], whatever the kind.
    ///
    /// # Errors
    /// As [`DynamicPlugin::call_wave`].
    pub fn call_wave(
        &self,
        function: &str,
        args: &[impl AsRef<str>],
        data: T,
    ) -> Result<WaveCall, Error> {
        match self {
            Self::Component(plugin) => plugin.call_wave(function, args, data),
            Self::CoreModule(plugin) => plugin.call_wave(function, args, data),
        }
    }
}

/// One call made with [`DynamicPlugin::call_wave`].
#[derive(Debug)]
pub struct WaveCall {
    /// The function that was called, with its signature.
    pub signature: String,
    /// The results as WAVE text ([`to_wave`]), or why the call failed.
    pub results: Result<String, Error>,
    /// What the plugin wrote to stdout and stderr.
    pub output: CapturedOutput,
}
