//! Integration tests: real guests, compiled by this crate's build script, run in the host.

mod bad_input;
mod component;
mod core_module;
mod linking;

use plugin_host::PluginHost;

/// A fresh host, so that each test has its own shared value.
fn host() -> PluginHost {
    PluginHost::new().expect("the host sets up on this platform")
}

/// Compiles WebAssembly text to a binary.
fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("the test's WAT is valid")
}
