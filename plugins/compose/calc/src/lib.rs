//! The provider in the composition demonstration, in Rust: a component of the world
//! `example:calc/calc` (`plugins/compose/wit`) that exports `add` in the interface `math`. The
//! consumer, `plugins/compose/toolbox`, is in C.
//!
//! Build it with `cargo build --release --target wasm32-wasip2 -p compose-calc`.

/// Rust bindings for the world, generated from the WIT; its items are documented there.
#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod bindings {
    wit_bindgen::generate!({
        world: "calc",
        path: "../wit",
    });
}

use bindings::exports::example::calc::math;

struct Calc;

impl math::Guest for Calc {
    fn add(a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }
}

bindings::export!(Calc with_types_in bindings);
