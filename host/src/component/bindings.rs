//! Rust bindings for the `example:plugin/plugin` world, generated from `wit/`.
//!
//! `Plugin` is the world's typed instance, `PluginPre` its pre-linked form, and
//! `example::plugin::host::Host` the trait the host implements (in `host_impl.rs`).

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
});
