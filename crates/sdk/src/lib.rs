//! Everything a Rust plugin for the plugin host needs: the contract's generated bindings, one
//! module per version of `example:plugin`, each with its `Guest` trait, its types, its `host`
//! functions and its `export!` macro.
//!
//! A plugin is a `cdylib` with this one dependency, built for `wasm32-wasip2`:
//!
//! ```ignore
//! use plugin_sdk::v0_1_1::{Guest, PluginInfo, Point, SumError, export, host};
//!
//! struct MyPlugin;
//!
//! impl Guest for MyPlugin {
//!     fn just_add(a: u64, b: u64) -> u64 { a.wrapping_add(b) }
//!     // … every call of the version
//! }
//!
//! export!(MyPlugin);
//! ```
//!
//! Pick the version the plugin is built against and stay on it: the host tells a plugin's
//! version from its imports, and serves every version in its table (the book, "The contract and
//! its versions"). A plugin on an older version keeps loading after the contract grows. The
//! dependency must keep the name `plugin_sdk`: `export!` refers to it by that name.

/// `example:plugin@0.1.0`: `just-add`, `point-add`, `trigger`; the host's `log`, `get`, `set`.
pub use plugin_sdk_v0_1_0 as v0_1_0;
/// `example:plugin@0.1.1`: 0.1.0 plus `describe`, `sum-points` and the host's `log-message`.
pub use plugin_sdk_v0_1_1 as v0_1_1;
/// `example:plugin@0.1.2`: 0.1.1 plus the interface `shapes` (an `accumulator` resource, a host
/// `path`, a `borrow`, a `stream`) and the host's `path` resource and async `sleep`.
pub use plugin_sdk_v0_1_2 as v0_1_2;
