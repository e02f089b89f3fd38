//! A plugin for the host's `example:plugin/plugin` world (`wit/plugin.wit`).
//!
//! Build it as a component with `cargo build --release --target wasm32-wasip2 -p guest`; the
//! result is `target/wasm32-wasip2/release/guest.wasm`.
//!
//! The plugin's logic lives in plain functions ([`just_add`], [`point_add`], [`trigger`]) that
//! native unit tests call; the `Guest` impl at the bottom only connects them to the world.

/// Rust bindings for the world, generated from the WIT; its items are documented there.
#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit",
    });
}

use bindings::example::plugin::host;
pub use bindings::example::plugin::types::Point;

/// Returns `a + b`, wrapping on overflow, as the world's `just-add` specifies.
pub fn just_add(a: u64, b: u64) -> u64 {
    a.wrapping_add(b)
}

/// Returns the field-wise sum of `a` and `b`, each field wrapping as `i32`.
pub fn point_add(a: Point, b: Point) -> Point {
    Point {
        x: a.x.wrapping_add(b.x),
        y: a.y.wrapping_add(b.y),
    }
}

/// The host functions `trigger` uses, so that tests can stand in for the real host.
pub trait Host {
    /// The world's `host.log`.
    fn log(&mut self, value: i32);
    /// The world's `host.get`.
    fn get(&mut self) -> i32;
    /// The world's `host.set`.
    fn set(&mut self, value: i32);
}

/// Calls `log(input * 2)`, then `v = get()`, then `set(v + input + 5)`, all wrapping as `i32`.
pub fn trigger(host: &mut impl Host, input: i32) {
    host.log(input.wrapping_mul(2));
    let value = host.get();
    host.set(value.wrapping_add(input).wrapping_add(5));
}

/// The host on the other side of the component's imports.
struct ImportedHost;

impl Host for ImportedHost {
    fn log(&mut self, value: i32) {
        host::log(value);
    }
    fn get(&mut self) -> i32 {
        host::get()
    }
    fn set(&mut self, value: i32) {
        host::set(value);
    }
}

/// The component's exports.
struct Component;

impl bindings::Guest for Component {
    fn just_add(a: u64, b: u64) -> u64 {
        just_add(a, b)
    }

    fn point_add(a: Point, b: Point) -> Point {
        point_add(a, b)
    }

    fn trigger(input: i32) {
        // Goes to the host through WASI stdout, which the host captures per plugin.
        println!("guest: trigger({input}) calls log, get and set on the host");
        trigger(&mut ImportedHost, input);
    }
}

bindings::export!(Component with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn just_add_wraps_on_overflow() {
        assert_eq!(just_add(15, 27), 42);
        assert_eq!(just_add(u64::MAX, 1), 0);
    }

    #[test]
    fn point_add_adds_fields_and_wraps() {
        let sum = point_add(Point { x: 100, y: 200 }, Point { x: 30, y: 70 });
        assert_eq!((sum.x, sum.y), (130, 270));
        let wrapped = point_add(
            Point {
                x: i32::MAX,
                y: i32::MIN,
            },
            Point { x: 1, y: -1 },
        );
        assert_eq!((wrapped.x, wrapped.y), (i32::MIN, i32::MAX));
    }

    /// Records every host call in order.
    struct FakeHost {
        value: i32,
        calls: Vec<String>,
    }

    impl Host for FakeHost {
        fn log(&mut self, value: i32) {
            self.calls.push(format!("log({value})"));
        }
        fn get(&mut self) -> i32 {
            self.calls.push("get()".into());
            self.value
        }
        fn set(&mut self, value: i32) {
            self.calls.push(format!("set({value})"));
            self.value = value;
        }
    }

    #[test]
    fn trigger_logs_double_then_adds_input_and_five() {
        let mut host = FakeHost {
            value: 42,
            calls: Vec::new(),
        };
        trigger(&mut host, 7);
        assert_eq!(host.calls, ["log(14)", "get()", "set(54)"]);
        assert_eq!(host.value, 54);
    }

    #[test]
    fn trigger_wraps_at_the_edges() {
        let mut host = FakeHost {
            value: i32::MAX,
            calls: Vec::new(),
        };
        trigger(&mut host, i32::MAX);
        // log(i32::MAX * 2) wraps to -2; MAX + MAX + 5 wraps to 3.
        assert_eq!(host.calls, ["log(-2)", "get()", "set(3)"]);
    }
}
