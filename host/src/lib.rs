//! A WebAssembly plugin host built on wasmtime, generic over the WIT world.
//!
//! The library knows nothing of any particular contract: an application brings its own WIT
//! (through [`bindgen!`]) and its own per-instance host state, and gets the rest. A plugin
//! goes through three stages, one type each:
//!
//! 1. [`PluginHost::load`] compiles a file into a [`Compiled`] plugin (a component or a core
//!    module, told apart by its header), under its [`manifest`] if one sits beside it;
//! 2. [`PluginHost::component`] (a world's typed bindings), [`PluginHost::core_module`] (an
//!    ABI's typed exports) or [`PluginHost::dynamic`] (calls by name, [`dynamic`]) check it
//!    and pre-link it into a [`Plugin`];
//! 3. [`Plugin::instantiate`] makes an [`Instance`] in a store of its own, whose
//!    [`Instance::call`] runs each call under the [`Limits`], commits the application's state
//!    only when the call succeeds ([`Transactional`], [`Journal`]), and after a failure renews
//!    the instance for the next call.
//!
//! The host is of one [`Mode`], chosen with its type: [`Blocking`] (the default) or [`Async`],
//! where instantiation and calls are futures, host functions may be async, a running guest
//! yields at every epoch tick, and dropping a call cancels it.
//!
//! Around that: one tuned engine with an epoch ticker, the pooling allocator and an optional
//! compilation cache ([`HostConfig`]); precompiled artifacts ([`precompiled`]); WASI that grants
//! nothing unless the host says so ([`Grants`]), with stdout and stderr captured per instance
//! ([`CapturedOutput`]); typed errors that name the plugin and the export ([`Error`],
//! [`Failure`]); a contract served at several versions at once ([`mod@contract`], [`contract!`]); a report of what
//! a plugin is and whether it fits ([`inspect`]); several plugins joined into one ([`chain`]);
//! and a directory of plugins kept loaded while its files change ([`watch`]).
//!
//! ```no_run
//! use plugin_host::wasmtime::component::HasSelf;
//! use plugin_host::{PluginHost, Transactional};
//!
//! mod world {
//!     plugin_host::bindgen!({
//!         inline: "package my:app; world app { import log: func(text: string); export run: func() -> u32; }",
//!     });
//! }
//!
//! // The application's per-instance state; `log` is the world's import.
//! struct State { lines: Vec<String> }
//! impl Transactional for State {}
//! impl world::AppImports for State {
//!     fn log(&mut self, text: String) { self.lines.push(text) }
//! }
//!
//! # fn main() -> Result<(), plugin_host::Error> {
//! let mut host = PluginHost::<State>::new()?;
//! host.link(world::App::add_to_linker::<_, HasSelf<State>>)?;
//! let plugin = host.component::<world::App>(&host.load("app.wasm")?)?;
//! let mut instance = plugin.instantiate(State { lines: Vec::new() })?;
//! let answer = instance.call("run", |app, store| app.call_run(store))?;
//! # let _ = answer;
//! # Ok(())
//! # }
//! ```
//!
//! The crate has no `unsafe` code but one: deserializing a precompiled artifact
//! ([`precompiled`]), which is machine code.
#![deny(unsafe_code)]

pub mod asynchronous;
mod cache;
pub mod chain;
pub mod component;
pub mod contract;
pub mod core_module;
#[doc(hidden)]
pub mod deadline;
pub mod dynamic;
mod engine;
mod error;
mod grants;
mod host;
pub mod inspect;
mod instance;
pub mod kind;
mod limits;
pub mod manifest;
mod mode;
mod output;
mod plugin;
pub mod precompiled;
pub mod profile;
mod staging;
mod state;
pub mod telemetry;
pub mod watch;
mod wit_name;

pub use asynchronous::Async;
pub use engine::{Allocator, CompilationCache, HostConfig};
pub use error::{Error, ErrorKind, Failure, Phase, WasmtimeError};
pub use grants::{DirGrant, Grants};
pub use host::{Compiled, Getter, PluginHost};
pub use instance::{AnyInstance, GuestResource, Instance};
pub use kind::PluginKind;
pub use limits::{Limit, Limits};
pub use manifest::Manifest;
pub use mode::{Blocking, Mode};
pub use output::CapturedOutput;
pub use plugin::{AnyPlugin, Plugin};
/// Generates a world's bindings with wasmtime's `bindgen!`, through this library's wasmtime
/// (so the application needs no `wasmtime` dependency of its own), and implements
/// [`component::Bindings`] for the generated world type. Takes wasmtime's `bindgen!` options,
/// braced: `plugin_host::bindgen!({ path: "wit", world: "app" })`.
pub use plugin_host_macros::bindgen;
/// A contract served at several versions ([`mod@contract`]), generated from the list of its
/// versions: per version a module of bindings (through [`bindgen!`]; the newest version of
/// each semver line has the full bindings, the older ones take their imports from it), the
/// version list with each version's WIT (`VERSIONS`, `contract()`), `VersionedPlugin` and
/// `VersionedInstance` (an enum over every version's plugins and instances, and the dispatch
/// from the version a component targets), and `versioned_call!`, which calls an export on
/// whichever version an instance is of and answers [`ErrorKind::NotInVersion`] on a version
/// without it.
///
/// ```ignore
/// plugin_host::contract!({
///     package: "my:app",
///     world: "app",
///     path: "wit",                         // one folder per version: wit/1.0.0, wit/1.1.0
///     versions: ["1.0.0", "1.1.0"],
///     additional_derives: [PartialEq],     // any other option goes to each `bindgen!`
/// });
/// ```
///
/// A version whose world uses the component model's async ABI (an `async func`, a `stream`,
/// a `future`) gets concurrent export bindings (`exports: { default: async | store }`), and
/// `versioned_call!` calls it with [`Instance::call_concurrent`]. The book's chapter
/// "Extending the WIT" grows a contract with it.
pub use plugin_host_macros::contract;
pub use staging::{Journal, Transactional};
pub use state::{StoreData, StoreState};
/// The wasmtime this library is built on: for the types `bindgen!` names and the linkers'
/// functions, so that both sides agree on one version.
pub use wasmtime;
pub use wasmtime::Trap;
