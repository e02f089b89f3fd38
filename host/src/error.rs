//! The host library's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use wasmtime::{PoolConcurrencyLimitError, Trap, WasmBacktrace};

use crate::{Limit, PluginKind};

/// Everything that can go wrong loading, instantiating or calling a plugin.
///
/// Every variant names the plugin (its path, or the name it was loaded under) and, for calls,
/// the export. Print with `{:#}` (or walk [`std::error::Error::source`]) to see the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// wasmtime could not create the engine or link the host's functions.
    #[error("failed to set up the plugin host")]
    Setup {
        /// wasmtime's reason.
        #[source]
        source: WasmtimeError,
    },

    /// The plugin file could not be read.
    #[error("failed to read plugin {}", path.display())]
    Read {
        /// The path that was given.
        path: PathBuf,
        /// Why reading failed.
        #[source]
        source: io::Error,
    },

    /// The bytes do not start with a WebAssembly header.
    #[error("plugin {plugin} is not WebAssembly: it does not start with the `\\0asm` header")]
    NotWasm {
        /// The plugin's name.
        plugin: String,
    },

    /// A component was given where a core module was expected, or the reverse.
    #[error("plugin {plugin} is a {found}, but a {expected} was expected")]
    WrongKind {
        /// The plugin's name.
        plugin: String,
        /// What the caller asked for.
        expected: PluginKind,
        /// What the bytes are.
        found: PluginKind,
    },

    /// wasmtime rejected the binary: invalid WebAssembly, or a feature the engine does not
    /// support.
    #[error("failed to compile plugin {plugin}")]
    Compile {
        /// The plugin's name.
        plugin: String,
        /// wasmtime's reason.
        #[source]
        source: WasmtimeError,
    },

    /// The file is a precompiled artifact, which only [`PluginHost::load_precompiled`] loads.
    ///
    /// [`PluginHost::load_precompiled`]: crate::PluginHost::load_precompiled
    #[error(
        "plugin {plugin} is a precompiled artifact: load it with `load_precompiled` \
         (`plugin-host run --allow-precompiled`) if you trust it"
    )]
    IsPrecompiled {
        /// The plugin's name.
        plugin: String,
    },

    /// A file given as a precompiled artifact is not one this host may load: no header,
    /// made by an incompatible engine, or not deserializable.
    #[error("plugin {plugin} cannot be loaded as a precompiled artifact: {reason}")]
    NotPrecompiled {
        /// The plugin's name.
        plugin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A component does not fit the host's world: it imports something the host does not
    /// provide, or lacks (or mistypes) an export the world requires. The cause names the item.
    #[error("plugin {plugin} does not fit the world {world}")]
    WorldMismatch {
        /// The plugin's name.
        plugin: String,
        /// The world the host expects, e.g. `example:plugin/plugin@0.1.0`.
        world: &'static str,
        /// wasmtime's reason, naming the import or export.
        #[source]
        source: WasmtimeError,
    },

    /// A core module does not fit the application's ABI: each problem names a missing or
    /// mistyped import or export.
    #[error("plugin {plugin} does not fit {abi}: {}", problems.join("; "))]
    AbiMismatch {
        /// The plugin's name.
        plugin: String,
        /// The ABI, as [`CoreBindings::ABI`](crate::core_module::CoreBindings::ABI) names it.
        abi: &'static str,
        /// One line per missing or mistyped item.
        problems: Vec<String>,
    },

    /// A component targets a version of the contract the host does not serve (see
    /// [`Contract::target`](crate::contract::Contract::target)).
    #[error(
        "plugin {plugin} targets {package}@{version}, which this host does not serve; it serves {}",
        served.join(", ")
    )]
    UnservedVersion {
        /// The plugin's name.
        plugin: String,
        /// The contract's package, `namespace:name`.
        package: String,
        /// The version the component's interfaces carry.
        version: String,
        /// The versions the host serves, oldest first.
        served: Vec<String>,
    },

    /// A component imports (or exports) interfaces of more than one version of the contract; a
    /// plugin targets one.
    #[error(
        "plugin {plugin} mixes versions {} of {package}, but a plugin targets one; this host \
         serves {}",
        versions.join(" and "),
        served.join(", ")
    )]
    MixedVersions {
        /// The plugin's name.
        plugin: String,
        /// The contract's package, `namespace:name`.
        package: String,
        /// The versions its interfaces carry.
        versions: Vec<String>,
        /// The versions the host serves, oldest first.
        served: Vec<String>,
    },

    /// A call the plugin's version of the contract does not have. Nothing was called.
    #[error(
        "plugin {plugin} targets {package}@{version}, which has no `{export}`{}",
        since.as_ref().map(|since| format!(": it was added in {since}")).unwrap_or_default()
    )]
    NotInVersion {
        /// The plugin's name.
        plugin: String,
        /// The call that was asked for.
        export: String,
        /// The contract's package, `namespace:name`.
        package: String,
        /// The version the plugin targets.
        version: String,
        /// The version that added the call, if any served version has it.
        since: Option<String>,
    },

    /// A plugin's manifest ([`crate::manifest`]) is not valid, widens what the host allows,
    /// or does not match the plugin (its hash, its contract version). Nothing was loaded.
    #[error(
        "manifest {}{}: {reason}",
        path.display(),
        line.map(|line| format!(":{line}")).unwrap_or_default()
    )]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The line of the key at fault, when there is one.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },

    /// The application's contract is not valid WIT, or not what it says it is.
    #[error("the contract {package} is not valid: {reason}")]
    Contract {
        /// The package and version, `namespace:name@version`.
        package: String,
        /// What is wrong.
        reason: String,
    },

    /// A plugin loaded for dynamic calls (or linked to another) imports something the host does
    /// not provide (WASI and the application's imports), or that the module linked before it
    /// exports with another type. The cause names the import.
    #[error("plugin {plugin} imports what the host does not provide")]
    Unlinkable {
        /// The plugin's name.
        plugin: String,
        /// wasmtime's reason, naming the import.
        #[source]
        source: WasmtimeError,
    },

    /// A dynamic call named a function the plugin does not export, or more than one.
    #[error(
        "plugin {plugin} has {} function export `{export}`; it exports:\n  {}",
        if candidates.is_empty() { "no" } else { "more than one" },
        exports.join("\n  ")
    )]
    NoSuchExport {
        /// The plugin's name.
        plugin: String,
        /// The name asked for.
        export: String,
        /// The exports it could have meant, when it was ambiguous; empty when nothing matched.
        candidates: Vec<String>,
        /// Every function the plugin exports, with its signature.
        exports: Vec<String>,
    },

    /// The arguments of a dynamic call do not fit the function's signature: wrong count, not
    /// WAVE, or a value of the wrong type.
    #[error("wrong arguments for `{export}` of plugin {plugin}: {reason}; expected {signature}")]
    BadArguments {
        /// The plugin's name.
        plugin: String,
        /// The export that was to be called.
        export: String,
        /// The export's signature, e.g. `greet: func(name: string) -> string`.
        signature: String,
        /// What is wrong, naming the argument.
        reason: String,
    },

    /// Instantiating the plugin failed: its start function or initialisation trapped or ran
    /// into a limit, or an import was not satisfied.
    #[error("failed to instantiate plugin {plugin}: {failure}")]
    Instantiate {
        /// The plugin's name.
        plugin: String,
        /// What went wrong, to match on.
        failure: Failure,
        /// wasmtime's reason, with the wasm backtrace when there is one.
        #[source]
        source: WasmtimeError,
    },

    /// A call into the plugin failed: it timed out, ran out of fuel, overflowed its stack, ran
    /// into a resource limit, trapped, or a host function failed. `failure` says which.
    ///
    /// The application's state is rolled back to before the call, and the next call runs on a
    /// fresh instance.
    #[error("plugin {plugin} failed in `{export}`: {failure}")]
    Call {
        /// The plugin's name.
        plugin: String,
        /// The export that was called.
        export: String,
        /// What went wrong, to match on.
        failure: Failure,
        /// wasmtime's reason, with the wasm backtrace when there is one.
        #[source]
        source: WasmtimeError,
    },

    /// The host was asked to touch guest linear memory outside its bounds, for example through
    /// a bad pointer that the guest returned.
    #[error(
        "plugin {plugin}: `{export}` needs guest memory at {address:#x}, {len} bytes, \
         which is out of bounds"
    )]
    GuestMemory {
        /// The plugin's name.
        plugin: String,
        /// The export whose data was being read or written.
        export: String,
        /// The guest address, as the unsigned value of the guest's `i32`.
        address: u32,
        /// How many bytes were to be read or written.
        len: usize,
    },
}

impl Error {
    /// [`Error::Setup`] for wasmtime's `source`: for an application's own set-up, such as
    /// adding its imports to the host's linkers.
    pub fn setup(source: wasmtime::Error) -> Self {
        Self::Setup {
            source: source.into(),
        }
    }

    /// [`Error::Call`] for a failure the application finds in host-side code around a call,
    /// such as a value the guest returned that the host cannot use: `source` says what. Its
    /// [`Failure`] is [`Failure::Host`] unless `source` is a trap.
    pub fn call_error(plugin: &str, export: &str, source: wasmtime::Error) -> Self {
        Self::call(plugin, export, source, None)
    }

    /// The message and every cause after it, `: `-separated, as one line:
    /// `plugin g.wasm failed in `trigger`: it trapped: unreachable: wasm backtrace: …`.
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    /// What went wrong in guest code, for errors from instantiating or calling a plugin.
    pub fn failure(&self) -> Option<Failure> {
        match self {
            Self::Call { failure, .. } | Self::Instantiate { failure, .. } => Some(*failure),
            _ => None,
        }
    }

    /// The trap that ended a call or instantiation, when that is what happened (including
    /// the traps behind [`Failure::Timeout`], [`Failure::OutOfFuel`] and
    /// [`Failure::StackOverflow`]).
    ///
    /// wasmtime's `Trap` is `#[non_exhaustive]`: match it with a wildcard arm.
    pub fn trap(&self) -> Option<Trap> {
        self.wasmtime_source()?.downcast_ref::<Trap>().copied()
    }

    /// In a composed plugin ([`PluginHost::compose_components`](crate::PluginHost::compose_components)),
    /// the provider whose forwarded function failed the call, when that is what happened.
    pub fn provider(&self) -> Option<&crate::dynamic::Provider> {
        self.wasmtime_source()?.downcast_ref()
    }

    /// The guest's call stack at the moment a call or instantiation failed, when wasmtime
    /// captured one. Frames are named from the module's `name` section when it has one.
    pub fn wasm_backtrace(&self) -> Option<&WasmBacktrace> {
        self.wasmtime_source()?.downcast_ref::<WasmBacktrace>()
    }

    fn wasmtime_source(&self) -> Option<&wasmtime::Error> {
        match self {
            Self::Call { source, .. } | Self::Instantiate { source, .. } => Some(&source.0),
            _ => None,
        }
    }

    /// Wraps a wasmtime error from calling `export` of `plugin`; `refused` is the limit the
    /// store refused during the call, if any.
    pub(crate) fn call(
        plugin: &str,
        export: &str,
        source: wasmtime::Error,
        refused: Option<Limit>,
    ) -> Self {
        Self::Call {
            plugin: plugin.to_owned(),
            export: export.to_owned(),
            failure: Failure::classify(&source, refused),
            source: WasmtimeError(source),
        }
    }

    /// Wraps a wasmtime error from instantiating `plugin`; `refused` as for [`Error::call`].
    pub(crate) fn instantiate(
        plugin: &str,
        source: wasmtime::Error,
        refused: Option<Limit>,
    ) -> Self {
        Self::Instantiate {
            plugin: plugin.to_owned(),
            failure: Failure::classify(&source, refused),
            source: WasmtimeError(source),
        }
    }
}

/// Why guest code did not finish: the part of an [`Error::Call`] or [`Error::Instantiate`] to
/// match on.
///
/// ```
/// # use plugin_host::{Error, Failure, Trap};
/// fn explain(error: &Error) -> &'static str {
///     match error.failure() {
///         Some(Failure::Timeout) => "too slow",
///         Some(Failure::OutOfFuel) => "too much work",
///         Some(Failure::Limit(_)) => "too big",
///         Some(Failure::Trap(Trap::UnreachableCodeReached)) => "panicked",
///         Some(_) => "failed",
///         None => "did not load",
///     }
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The call ran past [`Limits::deadline`](crate::Limits::deadline).
    Timeout,
    /// The call burnt all its [`Limits::fuel`](crate::Limits::fuel).
    OutOfFuel,
    /// The call needed more than [`Limits::max_wasm_stack`](crate::Limits::max_wasm_stack)
    /// bytes of stack, for example through unbounded recursion.
    StackOverflow,
    /// The plugin ran into a resource limit of [`Limits`](crate::Limits). For memory and
    /// tables: the store refused to grow (the guest saw `memory.grow` fail) and the call then
    /// failed.
    Limit(Limit),
    /// The guest trapped; the code says how (a Rust panic is
    /// [`Trap::UnreachableCodeReached`]).
    Trap(Trap),
    /// A host function failed, or wasmtime failed for a reason that is not a trap.
    Host,
}

impl Failure {
    /// Works out what `error` means. Timeouts, fuel and stack overflow are wasmtime trap codes;
    /// a refused growth is remembered by the store's limiter. wasmtime reports the count limits
    /// and exhausted hostcall fuel only as messages (their types are private), so those are
    /// recognised by their text; a test pins each one.
    fn classify(error: &wasmtime::Error, refused: Option<Limit>) -> Self {
        let trap = error.downcast_ref::<Trap>().copied();
        match (trap, refused) {
            (Some(Trap::Interrupt), _) => return Self::Timeout,
            (Some(Trap::OutOfFuel), _) => return Self::OutOfFuel,
            (Some(Trap::StackOverflow), _) => return Self::StackOverflow,
            (_, Some(limit)) => return Self::Limit(limit),
            (Some(trap), None) => return Self::Trap(trap),
            (None, None) => {}
        }
        let pool_full = |cause: &(dyn std::error::Error + 'static)| {
            cause.downcast_ref::<PoolConcurrencyLimitError>().is_some()
        };
        if error.chain().any(pool_full) {
            return Self::Limit(Limit::Pool);
        }
        const MESSAGES: [(&str, Limit); 4] = [
            ("instance count too high", Limit::Instances),
            ("memory count too high", Limit::Memories),
            ("table count too high", Limit::Tables),
            (
                "fuel allocated for hostcalls has been exhausted",
                Limit::LiftedBytes,
            ),
        ];
        error
            .chain()
            .find_map(|cause| {
                let text = cause.to_string();
                MESSAGES
                    .iter()
                    .find(|(message, _)| text.contains(message))
                    .map(|&(_, limit)| Self::Limit(limit))
            })
            .unwrap_or(Self::Host)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("it ran past its deadline"),
            Self::OutOfFuel => f.write_str("it ran out of fuel"),
            Self::StackOverflow => f.write_str("it overflowed its stack"),
            Self::Limit(limit) => write!(f, "it ran into {limit}"),
            Self::Trap(trap) => write!(f, "it trapped: {trap}"),
            Self::Host => f.write_str("the host failed it"),
        }
    }
}

/// A [`wasmtime::Error`] made into a [`std::error::Error`], so it can be the `source` of an
/// [`Error`]. Since wasmtime 42 its error type is its own and, like `anyhow::Error`, does not
/// implement `std::error::Error` itself.
pub struct WasmtimeError(pub wasmtime::Error);

impl WasmtimeError {
    /// The wasmtime error inside, for `downcast_ref` and friends.
    pub fn inner(&self) -> &wasmtime::Error {
        &self.0
    }
}

impl From<wasmtime::Error> for WasmtimeError {
    fn from(error: wasmtime::Error) -> Self {
        Self(error)
    }
}

impl fmt::Display for WasmtimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for WasmtimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for WasmtimeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}
