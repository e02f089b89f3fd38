//! The consumer in the module-linking demonstration: a core module that imports `env.add` and
//! exports `foo(x) = add(1, x)`. The host satisfies the import with the `calc` module's export.
//! Build: `cargo build --release --target wasm32-unknown-unknown -p core-toolbox`.

/// Returns `add(1, x)`, with `add` passed in so that tests can stand in for the import.
pub fn foo(add: impl FnOnce(i32, i32) -> i32, x: i32) -> i32 {
    add(1, x)
}

/// The module's import and export.
#[cfg(target_family = "wasm")]
mod abi {
    // SAFETY: the host links `env.add` with exactly this signature; it takes and returns plain
    // integers, so it is declared `safe`.
    #[link(wasm_import_module = "env")]
    unsafe extern "C" {
        safe fn add(a: i32, b: i32) -> i32;
    }

    /// `foo(i32) -> i32`.
    #[unsafe(no_mangle)]
    pub extern "C" fn foo(x: i32) -> i32 {
        crate::foo(|a, b| add(a, b), x)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn foo_adds_one_through_the_import() {
        assert_eq!(super::foo(|a, b| a + b, 7), 8);
    }
}
