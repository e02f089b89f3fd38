//! `example:plugin@0.1.1` (`wit/0.1.1`), the newest version: its exports, and the imports the
//! host links for every 0.1 plugin (see `host_impl.rs`).

use plugin_host::component::{Bindings, ComponentState};
use wasmtime::Store;
use wasmtime::component::InstancePre;

use crate::HostState;

/// The version this module binds.
pub const VERSION: &str = "0.1.1";

#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod generated {
    wasmtime::component::bindgen!({
        world: "example:plugin/plugin@0.1.1",
        path: "../wit/0.1.1",
        additional_derives: [PartialEq, Eq],
    });
}

pub use generated::example::plugin::{host, types};
pub use generated::{Plugin, PluginPre};

impl Bindings for Plugin {
    type Data = HostState;
    type Pre = PluginPre<ComponentState<HostState>>;
    const WORLD: &'static str = "example:plugin/plugin@0.1.1";

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
