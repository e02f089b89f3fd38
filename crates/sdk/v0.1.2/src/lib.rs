//! The Rust bindings of `example:plugin@0.1.2` (`wit/0.1.2`). Plugins reach them as
//! `plugin_sdk::v0_1_2`; this crate exists on its own because `wit-bindgen`'s exported
//! macros are named after the world, which every version shares.
#![allow(missing_docs, reason = "generated code; the WIT documents it")]

/// The generated bindings. In a module of their own: `wit-bindgen` exports its macros at the crate
/// root and re-exports them where it is invoked, which must be somewhere else.
mod bindings {
    wit_bindgen::generate!({
        world: "example:plugin/plugin@0.1.2",
        path: "../../../wit/0.1.2",
        pub_export_macro: true,
        default_bindings_module: "plugin_sdk::v0_1_2",
    });
}

pub use bindings::example::plugin::types::Level;
pub use bindings::example::plugin::{host, timer};
pub use bindings::exports::example::plugin::shapes;
pub use bindings::*;
/// The ends of `stream<T>` and `future<T>` values, and running an async import to completion
/// from a plain export (`block_on(host::sleep(10))`).
pub use wit_bindgen::{FutureReader, StreamReader, block_on};

/// The version of `example:plugin` these bindings are of.
pub const VERSION: &str = "0.1.2";
