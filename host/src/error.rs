//! The library's error type: what failed, on which plugin and export, and why.

use std::fmt;
use std::path::PathBuf;

use wasmtime::{PoolConcurrencyLimitError, Trap, WasmBacktrace};

use crate::{Limit, PluginKind};

/// Everything that can go wrong setting up a host, or loading, checking, instantiating or
/// calling a plugin.
///
/// An error carries its subject once, as fields: the plugin ([`Error::plugin`], its path or the
/// name it was loaded under) and, where there is one, the export ([`Error::export`]); what
/// went wrong is its [`ErrorKind`] ([`Error::kind`]), in the [`Phase`] it went wrong in
/// ([`Error::phase`]); the cause, when another error is behind it, is its
/// [`source`](std::error::Error::source).
///
/// What it prints:
/// - `{}` (`Display`): one sentence naming the plugin and the export, without the cause:
///   ``plugin g.wasm failed in `trigger`: it trapped: wasm `unreachable` instruction executed``;
/// - `{:#}` (alternate `Display`): the same sentence followed by each cause in the source
///   chain, `: `-separated, on one line (a wasm backtrace, which wasmtime attaches to a trap,
///   spans several lines);
/// - `{:?}`: the fields, for debugging.
///
/// ```
/// # use plugin_host::{Error, ErrorKind, Failure, Phase, Trap};
/// fn explain(error: &Error) -> String {
///     match error.kind() {
///         ErrorKind::Call(Failure::Timeout) => format!("{} is too slow", error.plugin().unwrap_or("?")),
///         ErrorKind::Call(Failure::Trap(Trap::UnreachableCodeReached)) => "it panicked".into(),
///         _ if error.phase() == Phase::Load => format!("not loaded: {error:#}"),
///         _ => error.to_string(),
///     }
/// }
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    plugin: Option<String>,
    export: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What went wrong: the part of an [`Error`] to match on. Every kind has one message, written
/// by the error's `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// wasmtime could not create the engine, or could not add functions to a linker (WASI, or
    /// the application's imports). The source is wasmtime's reason.
    Setup,
    /// A file could not be read: a plugin, a manifest, or a directory to watch. The source is
    /// the I/O error.
    Read {
        /// The path that was given.
        path: PathBuf,
    },
    /// The bytes do not start with a WebAssembly header.
    NotWasm,
    /// A component was given where a core module was expected, or the reverse.
    WrongKind {
        /// What the caller asked for.
        expected: PluginKind,
        /// What the bytes are.
        found: PluginKind,
    },
    /// wasmtime rejected the binary: invalid WebAssembly, or a feature the engine does not
    /// support. The source is wasmtime's reason.
    Compile,
    /// The file is a precompiled artifact, which only
    /// [`PluginHost::load_precompiled`](crate::PluginHost::load_precompiled) loads.
    IsPrecompiled,
    /// A file given as a precompiled artifact is not one this host may load: no header,
    /// made by an incompatible engine, or not deserializable.
    NotPrecompiled {
        /// What is wrong with it.
        reason: String,
    },
    /// A component does not fit the world it was checked against: it imports something the
    /// host does not provide, or lacks (or mistypes) an export the world requires. The source
    /// is wasmtime's reason, naming the item.
    WorldMismatch {
        /// The world, e.g. `my:app/app@1.0.0`.
        world: String,
    },
    /// A core module does not fit the application's ABI.
    AbiMismatch {
        /// The ABI, as [`CoreBindings::ABI`](crate::core_module::CoreBindings::ABI) names it.
        abi: String,
        /// One line per missing or mistyped import or export.
        problems: Vec<String>,
    },
    /// A component targets a version of the contract the host does not serve (see
    /// [`Contract::target`](crate::contract::Contract::target)).
    UnservedVersion {
        /// The contract's package, `namespace:name`.
        package: String,
        /// The version the component's interfaces carry.
        version: String,
        /// The versions the host serves, oldest first.
        served: Vec<String>,
    },
    /// A component imports (or exports) interfaces of more than one version of the contract;
    /// a plugin targets one.
    MixedVersions {
        /// The contract's package, `namespace:name`.
        package: String,
        /// The versions its interfaces carry.
        versions: Vec<String>,
        /// The versions the host serves, oldest first.
        served: Vec<String>,
    },
    /// The plugin's version of the contract has no such call ([`Error::export`]). Nothing
    /// was called.
    NotInVersion {
        /// The contract's package, `namespace:name`.
        package: String,
        /// The version the plugin targets.
        version: String,
        /// The version that added the call, if any served version has it.
        since: Option<String>,
    },
    /// A plugin's manifest ([`crate::manifest`]) is not valid, widens what the host allows,
    /// or does not match the plugin (its hash, its contract version). Nothing was loaded.
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The line of the key at fault, when there is one.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// The application's contract is not valid WIT, or not what it says it is.
    Contract {
        /// The package and version, `namespace:name@version`.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// A plugin loaded for calls by name, or joined to another ([`crate::chain`]), imports
    /// something the host does not provide, or that the plugin before it in the chain
    /// provides with another type. The source is the reason, naming the import.
    Unlinkable,
    /// A chain ([`crate::chain`]) was asked for with no plugins in it.
    EmptyChain,
    /// A call by name named a function the plugin does not export ([`Error::export`]), or
    /// more than one.
    NoSuchExport {
        /// The exports it could have meant, when it was ambiguous; empty when nothing matched.
        candidates: Vec<String>,
        /// Every function the plugin exports, with its signature.
        exports: Vec<String>,
    },
    /// The arguments of a call by name do not fit the function's signature: wrong count, not
    /// WAVE, or a value of the wrong type.
    BadArguments {
        /// The export's signature, e.g. `greet: func(name: string) -> string`.
        signature: String,
        /// What is wrong, naming the argument.
        reason: String,
    },
    /// Instantiating the plugin failed: its start function or initialisation trapped or ran
    /// into a limit, or a granted directory could not be opened. The source is wasmtime's
    /// reason, with the wasm backtrace when there is one.
    Instantiate(Failure),
    /// A call into the plugin ([`Error::export`]) failed: it timed out, ran out of fuel,
    /// overflowed its stack, ran into a resource limit, trapped, or a host function failed.
    /// The source is wasmtime's reason, with the wasm backtrace when there is one.
    ///
    /// The application's state is rolled back to before the call, and the next call runs on a
    /// fresh instance.
    Call(Failure),
    /// A handle to a resource of the plugin's ([`GuestResource`](crate::GuestResource)) was
    /// used with an instance that did not make it: the instance that did was renewed after a
    /// failed call (or dropped), or it is another instance. Nothing was called, and the
    /// instance is as it was.
    StaleResource,
    /// The host was asked to touch guest linear memory outside its bounds, for example
    /// through a bad pointer that the guest returned in [`Error::export`].
    GuestMemory {
        /// The guest address, as the unsigned value of the guest's `i32`.
        address: u32,
        /// How many bytes were to be read or written.
        len: usize,
    },
}

/// When an [`Error`] happened: the stage of a plugin's life it stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Making the host, or the application's contract: nothing of a plugin is involved.
    Setup,
    /// Reading and compiling a plugin, or reading its manifest.
    Load,
    /// Checking a compiled plugin against a world, an ABI, a contract version or the host's
    /// linker, or a call by name against the plugin's exports.
    Check,
    /// Instantiating the plugin.
    Instantiate,
    /// Calling into the plugin.
    Call,
}

impl ErrorKind {
    /// The phase errors of this kind happen in.
    pub fn phase(&self) -> Phase {
        match self {
            Self::Setup | Self::Contract { .. } => Phase::Setup,
            Self::Read { .. }
            | Self::NotWasm
            | Self::Compile
            | Self::IsPrecompiled
            | Self::NotPrecompiled { .. }
            | Self::Manifest { .. } => Phase::Load,
            Self::WrongKind { .. }
            | Self::WorldMismatch { .. }
            | Self::AbiMismatch { .. }
            | Self::UnservedVersion { .. }
            | Self::MixedVersions { .. }
            | Self::NotInVersion { .. }
            | Self::Unlinkable
            | Self::EmptyChain
            | Self::NoSuchExport { .. }
            | Self::BadArguments { .. } => Phase::Check,
            Self::Instantiate(_) => Phase::Instantiate,
            Self::Call(_) | Self::StaleResource | Self::GuestMemory { .. } => Phase::Call,
        }
    }
}

impl Error {
    /// An error of `kind`, about no plugin yet: add the subject and the cause with
    /// [`Error::with_plugin`], [`Error::with_export`] and [`Error::with_source`]. For an
    /// application's own failures of the library's kinds (a contract of its own, guest memory
    /// its ABI reads).
    pub fn new(kind: ErrorKind) -> Self {
        Self(Box::new(Inner {
            kind,
            plugin: None,
            export: None,
            source: None,
        }))
    }

    /// The error, about `plugin`.
    #[must_use]
    pub fn with_plugin(mut self, plugin: impl Into<String>) -> Self {
        self.0.plugin = Some(plugin.into());
        self
    }

    /// The error, about the export `export` of its plugin.
    #[must_use]
    pub fn with_export(mut self, export: impl Into<String>) -> Self {
        self.0.export = Some(export.into());
        self
    }

    /// The error, caused by `source`.
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// [`ErrorKind::Setup`] for wasmtime's `source`: for an application's own set-up, such
    /// as adding its imports to the host's linkers.
    pub fn setup(source: wasmtime::Error) -> Self {
        Self::new(ErrorKind::Setup).with_source(WasmtimeError(source))
    }

    /// [`ErrorKind::Call`] for a failure the application finds in host-side code around a
    /// call to `export` of `plugin`, such as a value the guest returned that the host cannot
    /// use: `source` says what. Its [`Failure`] is [`Failure::Host`] unless `source` is a
    /// trap.
    pub fn call_error(plugin: &str, export: &str, source: wasmtime::Error) -> Self {
        Self::call(plugin, export, source, None)
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// When it went wrong.
    pub fn phase(&self) -> Phase {
        self.0.kind.phase()
    }

    /// The plugin the error is about: its path as given, or the name it was loaded under (for
    /// a chain, its members' names joined by ` + `). `None` for errors about no plugin
    /// ([`Phase::Setup`], an empty chain).
    pub fn plugin(&self) -> Option<&str> {
        self.0.plugin.as_deref()
    }

    /// The export the error is about, where there is one: the call that failed
    /// ([`ErrorKind::Call`], [`ErrorKind::GuestMemory`]), was missing
    /// ([`ErrorKind::NoSuchExport`], [`ErrorKind::NotInVersion`]) or was given bad arguments
    /// ([`ErrorKind::BadArguments`]).
    pub fn export(&self) -> Option<&str> {
        self.0.export.as_deref()
    }

    /// What went wrong in guest code, for errors from instantiating or calling a plugin.
    pub fn failure(&self) -> Option<Failure> {
        match self.0.kind {
            ErrorKind::Call(failure) | ErrorKind::Instantiate(failure) => Some(failure),
            _ => None,
        }
    }

    /// The trap behind the error, when a trap is what happened (including the traps behind
    /// [`Failure::Timeout`], [`Failure::OutOfFuel`] and [`Failure::StackOverflow`]).
    ///
    /// wasmtime's `Trap` is `#[non_exhaustive]`: match it with a wildcard arm.
    pub fn trap(&self) -> Option<Trap> {
        self.wasmtime_source()?.downcast_ref::<Trap>().copied()
    }

    /// In a composed plugin ([`crate::chain`]), the provider whose forwarded function failed
    /// the call, when that is what happened.
    pub fn provider(&self) -> Option<&crate::chain::Provider> {
        self.wasmtime_source()?.downcast_ref()
    }

    /// The guest's call stack at the moment a call or instantiation failed, when wasmtime
    /// captured one. Frames are named from the module's `name` section when it has one; for a
    /// plugin built with DWARF debug info (Rust's `debug = "line-tables-only"` or more, C's
    /// `-g`), each frame's [`symbols`](wasmtime::FrameInfo::symbols) also give the source file
    /// and line, and the backtrace's `Display` shows them (`at src/lib.rs:17:5`).
    pub fn wasm_backtrace(&self) -> Option<&WasmBacktrace> {
        self.wasmtime_source()?.downcast_ref::<WasmBacktrace>()
    }

    /// Whether the error has a [backtrace](Error::wasm_backtrace) in which no frame has a
    /// source file: the plugin was built without debug info, so a rebuild with it would show
    /// file and line.
    pub fn lacks_source_lines(&self) -> bool {
        self.wasm_backtrace().is_some_and(|backtrace| {
            let frames = backtrace.frames();
            !frames.is_empty()
                && frames
                    .iter()
                    .all(|frame| frame.symbols().iter().all(|symbol| symbol.file().is_none()))
        })
    }

    /// The wasmtime error behind this one, whatever its kind.
    fn wasmtime_source(&self) -> Option<&wasmtime::Error> {
        let source = self.0.source.as_deref()?;
        source
            .downcast_ref::<WasmtimeError>()
            .map(WasmtimeError::inner)
    }

    /// [`ErrorKind::Call`] for wasmtime's `source` from calling `export` of `plugin`;
    /// `refused` is the limit the store refused during the call, if any.
    pub(crate) fn call(
        plugin: &str,
        export: &str,
        source: wasmtime::Error,
        refused: Option<Limit>,
    ) -> Self {
        let failure = Failure::classify(&source, refused);
        Self::new(ErrorKind::Call(failure))
            .with_plugin(plugin)
            .with_export(export)
            .with_source(WasmtimeError(source))
    }

    /// [`ErrorKind::Instantiate`] for wasmtime's `source`; `refused` as for [`Error::call`].
    pub(crate) fn instantiate(
        plugin: &str,
        source: wasmtime::Error,
        refused: Option<Limit>,
    ) -> Self {
        let failure = Failure::classify(&source, refused);
        Self::new(ErrorKind::Instantiate(failure))
            .with_plugin(plugin)
            .with_source(WasmtimeError(source))
    }

    /// An error of `kind` about `plugin`, caused by wasmtime's `source`.
    pub(crate) fn wasmtime(kind: ErrorKind, plugin: &str, source: wasmtime::Error) -> Self {
        Self::new(kind)
            .with_plugin(plugin)
            .with_source(WasmtimeError(source))
    }

    /// [`ErrorKind::Read`] of `path`, naming it as the plugin too.
    pub(crate) fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        let plugin = path.display().to_string();
        Self::new(ErrorKind::Read { path })
            .with_plugin(plugin)
            .with_source(source)
    }
}

impl fmt::Display for Error {
    /// The error's sentence; with `{:#}`, followed by its causes (see [`Error`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plugin = self.0.plugin.as_deref().unwrap_or("?");
        let export = self.0.export.as_deref().unwrap_or("?");
        match &self.0.kind {
            ErrorKind::Setup => write!(f, "failed to set up the plugin host"),
            ErrorKind::Read { path } => write!(f, "failed to read {}", path.display()),
            ErrorKind::NotWasm => write!(
                f,
                "plugin {plugin} is not WebAssembly: it does not start with the `\\0asm` header"
            ),
            ErrorKind::WrongKind { expected, found } => {
                write!(
                    f,
                    "plugin {plugin} is a {found}, but a {expected} was expected"
                )
            }
            ErrorKind::Compile => write!(f, "failed to compile plugin {plugin}"),
            ErrorKind::IsPrecompiled => write!(
                f,
                "plugin {plugin} is a precompiled artifact, which is machine code: load it as \
                 one only if you trust it"
            ),
            ErrorKind::NotPrecompiled { reason } => write!(
                f,
                "plugin {plugin} cannot be loaded as a precompiled artifact: {reason}"
            ),
            ErrorKind::WorldMismatch { world } => {
                write!(f, "plugin {plugin} does not fit the world {world}")
            }
            ErrorKind::AbiMismatch { abi, problems } => write!(
                f,
                "plugin {plugin} does not fit {abi}: {}",
                problems.join("; ")
            ),
            ErrorKind::UnservedVersion {
                package,
                version,
                served,
            } => write!(
                f,
                "plugin {plugin} targets {package}@{version}, which this host does not serve; \
                 it serves {}",
                served.join(", ")
            ),
            ErrorKind::MixedVersions {
                package,
                versions,
                served,
            } => write!(
                f,
                "plugin {plugin} mixes versions {} of {package}, but a plugin targets one; this \
                 host serves {}",
                versions.join(" and "),
                served.join(", ")
            ),
            ErrorKind::NotInVersion {
                package,
                version,
                since,
            } => {
                write!(
                    f,
                    "plugin {plugin} targets {package}@{version}, which has no `{export}`"
                )?;
                match since {
                    Some(since) => write!(f, ": it was added in {since}"),
                    None => Ok(()),
                }
            }
            ErrorKind::Manifest { path, line, reason } => {
                write!(f, "manifest {}", path.display())?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                }
                write!(f, ": {reason}")
            }
            ErrorKind::Contract { package, reason } => {
                write!(f, "the contract {package} is not valid: {reason}")
            }
            ErrorKind::Unlinkable => {
                write!(f, "plugin {plugin} imports what the host does not provide")
            }
            ErrorKind::EmptyChain => write!(f, "a chain needs at least one plugin"),
            ErrorKind::NoSuchExport {
                candidates,
                exports,
            } => write!(
                f,
                "plugin {plugin} has {} function export `{export}`; it exports:\n  {}",
                if candidates.is_empty() {
                    "no"
                } else {
                    "more than one"
                },
                exports.join("\n  ")
            ),
            ErrorKind::BadArguments { signature, reason } => write!(
                f,
                "wrong arguments for `{export}` of plugin {plugin}: {reason}; expected \
                 {signature}"
            ),
            ErrorKind::Instantiate(failure) => {
                write!(f, "failed to instantiate plugin {plugin}: {failure}")
            }
            ErrorKind::Call(failure) => {
                write!(f, "plugin {plugin} failed in `{export}`: {failure}")
            }
            ErrorKind::StaleResource => write!(
                f,
                "plugin {plugin}: the resource handle belongs to an instance that is gone (renewed \
                 after a failed call, or dropped) or to another instance; nothing was called"
            ),
            ErrorKind::GuestMemory { address, len } => write!(
                f,
                "plugin {plugin}: `{export}` needs guest memory at {address:#x}, {len} bytes, \
                 which is out of bounds"
            ),
        }?;
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(error) = cause {
                write!(f, ": {error}")?;
                cause = error.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &self.0.kind);
        if let Some(plugin) = &self.0.plugin {
            debug.field("plugin", plugin);
        }
        if let Some(export) = &self.0.export {
            debug.field("export", export);
        }
        if let Some(source) = &self.0.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Why guest code did not finish: the part of an [`ErrorKind::Call`] or
/// [`ErrorKind::Instantiate`] to match on.
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
        const MESSAGES: [(&str, Limit); 5] = [
            ("instance count too high", Limit::Instances),
            ("memory count too high", Limit::Memories),
            ("table count too high", Limit::Tables),
            (
                "fuel allocated for hostcalls has been exhausted",
                Limit::LiftedBytes,
            ),
            ("store handle limit exceeded", Limit::ComponentHandles),
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

impl Failure {
    /// A short snake-case name of the failure, for metric labels and span fields
    /// ([`crate::telemetry`]): `timeout`, `out_of_fuel`, `stack_overflow`, `trap`, `host`, or
    /// the limit's [`Limit::label`] for [`Failure::Limit`].
    pub fn label(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::OutOfFuel => "out_of_fuel",
            Self::StackOverflow => "stack_overflow",
            Self::Limit(limit) => limit.label(),
            Self::Trap(_) => "trap",
            Self::Host => "host",
        }
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

/// A [`wasmtime::Error`] made into a [`std::error::Error`], so it can be the
/// [`source`](std::error::Error::source) of an [`Error`]: wasmtime's error type is its own
/// (since wasmtime 42) and, like `anyhow::Error`, does not implement `std::error::Error`
/// itself.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_sentence_and_the_alternate_adds_every_cause() {
        let error = Error::call(
            "g.wasm",
            "trigger",
            wasmtime::format_err!("inner").context("outer"),
            None,
        );
        assert_eq!(
            error.to_string(),
            "plugin g.wasm failed in `trigger`: the host failed it"
        );
        assert_eq!(
            format!("{error:#}"),
            "plugin g.wasm failed in `trigger`: the host failed it: outer: inner"
        );
        assert_eq!(
            (error.plugin(), error.export()),
            (Some("g.wasm"), Some("trigger"))
        );
        assert_eq!(error.phase(), Phase::Call);
    }

    #[test]
    fn the_wasmtime_cause_is_found_whatever_the_kind() {
        let trapped = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let error = Error::wasmtime(ErrorKind::Compile, "p.wasm", trapped);
        assert_eq!(error.trap(), Some(Trap::UnreachableCodeReached));
        assert_eq!(
            error.failure(),
            None,
            "only calls and instantiations have failures"
        );
    }
}
