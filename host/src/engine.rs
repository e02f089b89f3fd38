//! The wasmtime `Engine` configuration the host uses.

use wasmtime::{Config, Engine};

/// Builds the engine every plugin of a [`crate::PluginHost`] is compiled and run with.
///
/// wasmtime's defaults, with the component model on (it is needed for component plugins).
pub(crate) fn new_engine() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    Engine::new(&config)
}
