//! A WebAssembly plugin host built on wasmtime.
//!
//! Plugins are sandboxed WebAssembly programs that talk to the host through the WIT world
//! `example:plugin/plugin@0.1.0` (`wit/plugin.wit`): the host calls the plugin's exports
//! (`just-add`, `point-add`, `trigger`) and the plugin calls the host's `log`, `get` and `set`,
//! which act on one [`SharedValue`] that the embedding application can also read and write.
//!
//! Two kinds of plugin load:
//! - a **component** (the component model; see [`component`]), the main path;
//! - a **core module** with the seed's raw ABI (see [`core_module`]): `extern "C"` exports,
//!   imports linked with `Linker::func_wrap`, and structs passed through linear memory.
//!
//! ```no_run
//! use plugin_host::{Plugin, PluginHost, Point};
//!
//! # fn main() -> Result<(), plugin_host::Error> {
//! let host = PluginHost::new()?;
//! let Plugin::Component(plugin) = host.load("guest.wasm")? else { panic!("not a component") };
//! let mut instance = plugin.instantiate()?;
//! assert_eq!(instance.just_add(15, 27)?, 42);
//! let sum = instance.point_add(Point { x: 1, y: 2 }, Point { x: 3, y: 4 })?;
//! assert_eq!((sum.x, sum.y), (4, 6));
//! instance.trigger(7)?; // logs 14 and sets the shared value to 42 + 7 + 5
//! assert_eq!(host.shared_value().get(), 54);
//! # Ok(())
//! # }
//! ```
//!
//! One [`PluginHost`] owns one wasmtime `Engine` and the linkers; each loaded plugin is compiled
//! and pre-linked once, and each instance gets its own `Store`, so instances are isolated from
//! each other and can run on different threads.
//!
//! Plugins are untrusted. Every store runs under [`Limits`] (a per-call deadline, optional fuel,
//! memory, table and count limits, stack, data lifted per call, captured output), on by
//! default. A failed call is an [`Error`] whose [`Failure`] says why, commits nothing the
//! guest did to the host state, and the next call runs on a fresh instance.
// The one exception, deserializing a precompiled artifact, is in `precompiled.rs`.
#![deny(unsafe_code)]

pub mod component;
pub mod core_module;
pub mod demo;
pub mod dynamic;
mod engine;
mod error;
mod grants;
mod host;
pub mod inspect;
mod kind;
mod limits;
mod output;
pub mod precompiled;
mod run;
mod shared;
mod state;

pub use component::Point;
pub use engine::{Allocator, CompilationCache, HostConfig};
pub use error::{Error, Failure, WasmtimeError};
pub use grants::{DirGrant, Grants};
pub use host::{Plugin, PluginHost};
pub use kind::PluginKind;
pub use limits::{Limit, Limits};
pub use output::CapturedOutput;
pub use shared::SharedValue;
pub use state::LOG_CAPACITY;
pub use wasmtime::Trap;
