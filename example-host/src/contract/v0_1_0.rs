//! `example:plugin@0.1.0` (`wit/0.1.0`): the exports of a plugin that targets the first
//! version. Released and frozen; served for as long as the README's table of versions says.
//!
//! Only the exports are bound here. The plugin's imports (`types@0.1.0`, `host@0.1.0`) are
//! served by the newest 0.1 definitions, which wasmtime's linker matches by semver, so this
//! module takes its types from [`latest`](super::latest) too: one `Point` for every version.

use plugin_host::component::{Bindings, ComponentState};
use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::HostState;

/// The version this module binds.
pub const VERSION: &str = "0.1.0";

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod generated {
    wasmtime::component::bindgen!({
        world: "example:plugin/plugin@0.1.0",
        path: "../wit/0.1.0",
        with: {
            "example:plugin/types@0.1.0": crate::contract::latest::types,
            "example:plugin/host@0.1.0": crate::contract::latest::host,
        },
    });
}

pub use generated::{Plugin, PluginPre};

impl Bindings for Plugin {
    type Data = HostState;
    type Pre = PluginPre<ComponentState<HostState>>;
    const WORLD: &'static str = "example:plugin/plugin@0.1.0";

    fn pre(pre: InstancePre<ComponentState<HostState>>) -> wasmtime::Result<Self::Pre> {
        PluginPre::new(pre)
    }

    fn instantiate(
        pre: &Self::Pre,
        store: &mut Store<ComponentState<HostState>>,
    ) -> wasmtime::Result<Self> {
        pre.instantiate(store)
    }
}
