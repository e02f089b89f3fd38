//! A WebAssembly plugin host built on wasmtime, generic over the WIT world.
//!
//! The library knows nothing of any particular contract: an application brings its own WIT
//! (through wasmtime's `bindgen!`) and its own per-instance host state, and gets the rest:
//!
//! - one tuned [`wasmtime::Engine`] with an epoch ticker, the pooling allocator and an optional
//!   compilation cache ([`HostConfig`]), loading from files, bytes or precompiled artifacts
//!   ([`PluginHost::load`], [`precompiled`]);
//! - [`Limits`] on every store (deadline, fuel, memory, tables, counts, stack, data lifted per
//!   call, captured output), on by default, and typed failures ([`Error`], [`Failure`]);
//! - the instance lifecycle, written once for every kind of plugin ([`Instance`]): each call
//!   runs under the limits, the application's state is committed only when the call succeeds
//!   ([`Transactional`], [`Journal`]), and a failed call poisons the instance so that the next
//!   call runs on a fresh one;
//! - calls that block ([`Blocking`]) or, for components, futures for async applications
//!   ([`Async`], [`Instance::call_async`]): the guest yields at every epoch tick, host
//!   functions may be async, and dropping a call cancels it;
//! - WASI that grants nothing unless the host says so ([`Grants`]), with stdout and stderr
//!   captured per instance ([`CapturedOutput`]);
//! - a [`contract::Contract`]: one WIT package served at several versions, the version a
//!   component targets told from what it imports, and the version that added each call;
//! - calls by export name with WAVE text ([`dynamic`]) and a report of what a plugin is and
//!   whether it fits ([`inspect`]);
//! - a manifest per plugin that narrows its limits and grants and pins its hash
//!   ([`manifest`]), and a directory of plugins kept loaded while its files change
//!   ([`watch`]).
//!
//! Components go through [`component`]; core modules (no component model: `extern "C"`
//! exports, imports from a `Linker`, data through linear memory) through [`core_module`].
//!
//! ```no_run
//! use plugin_host::component::{Bindings, ComponentState};
//! use plugin_host::{PluginHost, Transactional};
//! use plugin_host::wasmtime::component::{HasSelf, InstancePre};
//! use plugin_host::wasmtime::Store;
//!
//! // The application's world, as wasmtime generates it.
//! mod world {
//!     plugin_host::wasmtime::component::bindgen!({
//!         inline: "package my:app; world app { import log: func(text: string); export run: func() -> u32; }",
//!     });
//! }
//!
//! // The application's per-instance state; `log` is the world's import.
//! pub struct State { lines: Vec<String> }
//! impl Transactional for State {}
//! impl world::AppImports for State {
//!     fn log(&mut self, text: String) { self.lines.push(text) }
//! }
//!
//! // How the library makes and pre-links the world's bindings.
//! impl Bindings for world::App {
//!     type Data = State;
//!     type Pre = world::AppPre<ComponentState<State>>;
//!     const WORLD: &'static str = "my:app/app";
//!     fn pre(pre: InstancePre<ComponentState<State>>) -> plugin_host::wasmtime::Result<Self::Pre> {
//!         world::AppPre::new(pre)
//!     }
//!     fn instantiate(pre: &Self::Pre, store: &mut Store<ComponentState<State>>) -> plugin_host::wasmtime::Result<Self> {
//!         pre.instantiate(store)
//!     }
//! }
//!
//! # fn main() -> Result<(), plugin_host::Error> {
//! let mut host = PluginHost::<State>::new()?;
//! world::App::add_to_linker::<_, HasSelf<State>>(host.component_linker_mut(), ComponentState::data_mut)
//!     .map_err(plugin_host::Error::setup)?;
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

pub mod component;
pub mod contract;
pub mod core_module;
pub mod dynamic;
mod engine;
mod error;
mod grants;
mod host;
pub mod inspect;
mod instance;
mod kind;
mod limits;
pub mod manifest;
mod output;
pub mod precompiled;
mod staging;
pub mod watch;

pub use engine::{Allocator, CompilationCache, HostConfig};
pub use error::{Error, Failure, WasmtimeError};
pub use grants::{DirGrant, Grants};
pub use host::{Loaded, PluginHost};
pub use instance::{Async, Blocking, Instance, Mode, StoreData};
pub use kind::PluginKind;
pub use limits::{Limit, Limits};
pub use manifest::Manifest;
pub use output::CapturedOutput;
pub use staging::{Journal, Transactional};
/// The wasmtime this library is built on: use it for `bindgen!` and the types it names, so
/// that both sides agree on one version.
pub use wasmtime;
pub use wasmtime::Trap;
