//! `example:plugin@0.1.0` (`wit/0.1.0`): the exports of a plugin that targets the first
//! version. Released and frozen; served for as long as the book's table of versions says
//! (`docs/src/contract.md`).
//!
//! Only the exports are bound here. The plugin's imports (`types@0.1.0`, `host@0.1.0`) are
//! served by the newest 0.1 definitions, which wasmtime's linker matches by semver, so this
//! module takes its types from [`latest`](super::latest) too: one `Point` for every version.

/// The version this module binds.
pub const VERSION: &str = "0.1.0";

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod generated {
    plugin_host::bindgen!({
        world: "example:plugin/plugin@0.1.0",
        path: "../../wit/0.1.0",
        with: {
            "example:plugin/types@0.1.0": crate::contract::latest::types,
            "example:plugin/host@0.1.0": crate::contract::latest::host,
        },
    });
}

pub use generated::{Plugin, PluginPre};
