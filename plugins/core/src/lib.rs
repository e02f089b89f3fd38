//! A core module (no component model) that speaks the example's raw ABI, built for wasm32-wasip1 so
//! that `println!` works: `cargo build --release --target wasm32-wasip1 -p core-plugin`.
//!
//! Imports (module `env`): `host_log_value(i32)`, `host_get_shared_value() -> i32`,
//! `host_set_shared_value(i32)`. Exports: `memory`, `just_add`, `trigger_host_calls`,
//! `point_add`, `get_plugin_shared_value_ptr`, `simple_add` and the allocator `cabi_realloc`.
//! The `extern "C"` surface, and every `unsafe` block, lives in the `abi` module; this file holds
//! the logic as plain functions that native unit tests call.

use std::sync::atomic::{AtomicI32, Ordering};

#[cfg(target_family = "wasm")]
mod abi;

/// A point as it sits in linear memory: 8 bytes, `x` at offset 0 and `y` at offset 4, each a
/// little-endian `i32` (wasm is little-endian; `#[repr(C)]` fixes the field order).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Horizontal coordinate.
    pub x: i32,
    /// Vertical coordinate.
    pub y: i32,
}

/// The plugin's own value, which the host reads and writes in place through
/// `get_plugin_shared_value_ptr`. Starts at 100.
pub static GUEST_VALUE: AtomicI32 = AtomicI32::new(100);

/// Returns `a + b`, wrapping on overflow.
pub fn just_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// Returns the field-wise sum of `a` and `b`, each field wrapping.
pub fn point_add(a: Point, b: Point) -> Point {
    Point {
        x: a.x.wrapping_add(b.x),
        y: a.y.wrapping_add(b.y),
    }
}

/// Calls `log(input * 2)`, then `v = get()`, then `set(v + input + 5)`, all wrapping; the three
/// host functions are passed in so that tests can stand in for the host.
pub fn trigger_host_calls(
    input: i32,
    log: impl FnOnce(i32),
    get: impl FnOnce() -> i32,
    set: impl FnOnce(i32),
) {
    log(input.wrapping_mul(2));
    let value = get();
    set(value.wrapping_add(input).wrapping_add(5));
}

/// Prints the plugin's own value (so the host can see what the guest sees), then returns
/// `a + b`, wrapping. The printed line ends with the value in decimal.
pub fn simple_add(a: i64, b: i64) -> i64 {
    println!(
        "core guest: my value is {}",
        GUEST_VALUE.load(Ordering::Relaxed)
    );
    a.wrapping_add(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn just_add_wraps_on_overflow() {
        assert_eq!(just_add(15, 27), 42);
        assert_eq!(just_add(i64::MAX, 1), i64::MIN);
    }

    #[test]
    fn point_add_adds_fields_and_wraps() {
        let a = Point {
            x: 100,
            y: i32::MAX,
        };
        assert_eq!(
            point_add(a, Point { x: 30, y: 1 }),
            Point {
                x: 130,
                y: i32::MIN
            }
        );
    }

    #[test]
    fn point_has_the_documented_layout() {
        assert_eq!(size_of::<Point>(), 8);
        assert_eq!(std::mem::offset_of!(Point, x), 0);
        assert_eq!(std::mem::offset_of!(Point, y), 4);
    }

    #[test]
    fn trigger_host_calls_logs_then_gets_then_sets() {
        let calls = RefCell::new(Vec::new());
        trigger_host_calls(
            7,
            |v| calls.borrow_mut().push(format!("log({v})")),
            || {
                calls.borrow_mut().push("get()".to_string());
                42
            },
            |v| calls.borrow_mut().push(format!("set({v})")),
        );
        assert_eq!(calls.into_inner(), ["log(14)", "get()", "set(54)"]);
    }
}
