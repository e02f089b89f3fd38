//! The provider in the module-linking demonstration: a core module that exports
//! `add(i32, i32) -> i32`. Build: `cargo build --release --target wasm32-unknown-unknown -p core-calc`.

/// Returns `a + b`, wrapping on overflow.
pub fn add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

/// The module's export.
#[cfg(target_family = "wasm")]
mod abi {
    /// `add(i32, i32) -> i32`.
    #[unsafe(no_mangle)]
    pub extern "C" fn add(a: i32, b: i32) -> i32 {
        crate::add(a, b)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn add_wraps_on_overflow() {
        assert_eq!(super::add(1, 7), 8);
        assert_eq!(super::add(i32::MAX, 1), i32::MIN);
    }
}
