//! The host library's error type.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::PluginKind;

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

    /// A core module does not fit the raw ABI: each problem names a missing or mistyped import
    /// or export.
    #[error("plugin {plugin} does not fit the core-module ABI: {}", problems.join("; "))]
    AbiMismatch {
        /// The plugin's name.
        plugin: String,
        /// One line per missing or mistyped item.
        problems: Vec<String>,
    },

    /// Instantiation failed, for example because the plugin's start function trapped.
    #[error("failed to instantiate plugin {plugin}")]
    Instantiate {
        /// The plugin's name.
        plugin: String,
        /// wasmtime's reason.
        #[source]
        source: WasmtimeError,
    },

    /// A call into the plugin failed: a trap in the guest (see [`Error::trap`]) or a failing
    /// host function.
    #[error("plugin {plugin} failed in `{export}`")]
    Call {
        /// The plugin's name.
        plugin: String,
        /// The export that was called.
        export: String,
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
    /// The trap that ended a call or instantiation, when that is what happened.
    ///
    /// wasmtime's `Trap` is `#[non_exhaustive]`: match it with a wildcard arm.
    pub fn trap(&self) -> Option<wasmtime::Trap> {
        match self {
            Self::Call { source, .. } | Self::Instantiate { source, .. } => {
                source.0.downcast_ref::<wasmtime::Trap>().copied()
            }
            _ => None,
        }
    }

    /// Wraps a wasmtime error from calling `export` of `plugin`.
    pub(crate) fn call(plugin: &str, export: &str, source: wasmtime::Error) -> Self {
        Self::Call {
            plugin: plugin.to_owned(),
            export: export.to_owned(),
            source: WasmtimeError(source),
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
