//! `example:plugin@0.1.1` (`wit/0.1.1`), the newest version: its exports, and the imports the
//! host links for every 0.1 plugin (see `host_impl.rs`).

/// The version this module binds.
pub const VERSION: &str = "0.1.1";

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod generated {
    plugin_host::bindgen!({
        world: "example:plugin/plugin@0.1.1",
        path: "../../wit/0.1.1",
        additional_derives: [PartialEq, Eq],
    });
}

pub use generated::example::plugin::{host, types};
pub use generated::{Plugin, PluginPre};
