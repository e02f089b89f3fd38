//! A plugin for the host's contract, version `example:plugin@0.1.2` (`wit/0.1.2`), written
//! with the plugin SDK: every call of the contract, its resources and its stream.
//!
//! Build it as a component with `cargo build --release --target wasm32-wasip2 -p guest`.
//!
//! The plugin's logic lives in plain functions that native unit tests call, against a
//! stand-in for the host ([`Host`]); the `Guest` impl at the bottom only connects them to the
//! world.

use std::cell::Cell;

use plugin_sdk::v0_1_2::{Level, PluginInfo, Point, SumError};

/// The version of the contract the plugin targets.
pub const CONTRACT_VERSION: &str = plugin_sdk::v0_1_2::VERSION;

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

/// The host functions the plugin uses, so that tests can stand in for the real host.
pub trait Host {
    /// The world's `host.log`.
    fn log(&mut self, value: i32);
    /// The world's `host.get`.
    fn get(&mut self) -> i32;
    /// The world's `host.set`.
    fn set(&mut self, value: i32);
    /// The world's `host.log-message`.
    fn log_message(&mut self, level: Level, message: &str);
}

/// Calls `log(input * 2)`, then `v = get()`, then `set(v + input + 5)`, all wrapping as `i32`.
pub fn trigger(host: &mut impl Host, input: i32) {
    host.log(input.wrapping_mul(2));
    let value = host.get();
    host.set(value.wrapping_add(input).wrapping_add(5));
}

/// The calls this plugin offers, in the world's order: its functions, then the functions of
/// the interface it exports, a resource's as WIT writes them (`shapes#accumulator.add`).
pub const CALLS: [&str; 11] = [
    "just-add",
    "point-add",
    "trigger",
    "describe",
    "sum-points",
    "shapes#accumulator.new",
    "shapes#accumulator.add",
    "shapes#accumulator.total",
    "shapes#closed-path",
    "shapes#path-length",
    "shapes#sum-stream",
];

/// The plugin's name, its own version, and [`CALLS`].
pub fn describe() -> PluginInfo {
    PluginInfo {
        name: env!("CARGO_PKG_NAME").to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        calls: CALLS.map(str::to_owned).to_vec(),
    }
}

/// The field-wise sum of `points` without wrapping: [`SumError::Empty`] for no points,
/// [`SumError::Overflow`] with the index of the point whose addition overflowed, each error
/// reported to the host at [`Level::Warn`] first.
pub fn sum_points(host: &mut impl Host, points: &[Point]) -> Result<Point, SumError> {
    let sum = match points.split_first() {
        None => Err(SumError::Empty),
        Some((first, rest)) => rest.iter().zip(1u32..).try_fold(*first, |sum, (p, index)| {
            match (sum.x.checked_add(p.x), sum.y.checked_add(p.y)) {
                (Some(x), Some(y)) => Ok(Point { x, y }),
                _ => Err(SumError::Overflow(index)),
            }
        }),
    };
    match &sum {
        Err(SumError::Empty) => host.log_message(Level::Warn, "sum-points: the list is empty"),
        Err(SumError::Overflow(index)) => {
            host.log_message(
                Level::Warn,
                &format!("sum-points: adding point {index} overflows"),
            );
        }
        Ok(_) => {}
    }
    sum
}

/// A running sum of points, each field wrapping as `i32`: the world's `accumulator`.
pub struct Accumulator {
    total: Cell<Point>,
}

impl Default for Accumulator {
    fn default() -> Self {
        Self {
            total: Cell::new(Point { x: 0, y: 0 }),
        }
    }
}

impl Accumulator {
    /// Adds `p` to the sum.
    pub fn add(&self, p: Point) {
        self.total.set(point_add(self.total.get(), p));
    }

    /// The sum so far.
    pub fn total(&self) -> Point {
        self.total.get()
    }
}

/// The component: its imports behind [`Host`] and its exports over the functions above. Only in
/// the wasm build: a native build (the unit tests') cannot carry the async ABI's export names
/// (`[async-lift]…`) in a shared library's symbol table.
#[cfg(target_family = "wasm")]
mod component {
    use plugin_sdk::v0_1_2::shapes::{self, GuestAccumulator};
    use plugin_sdk::v0_1_2::{Guest, Level, PluginInfo, Point, StreamReader, SumError, export};
    use plugin_sdk::v0_1_2::{host, timer};

    use super::{Accumulator, Host};

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
        fn log_message(&mut self, level: Level, message: &str) {
            host::log_message(level, message);
        }
    }

    /// The component's exports.
    struct Component;

    impl Guest for Component {
        fn just_add(a: u64, b: u64) -> u64 {
            super::just_add(a, b)
        }

        fn point_add(a: Point, b: Point) -> Point {
            super::point_add(a, b)
        }

        fn trigger(input: i32) {
            // Goes to the host through WASI stdout, which the host captures per plugin.
            println!("guest: trigger({input}) calls log, get and set on the host");
            super::trigger(&mut ImportedHost, input);
        }

        fn describe() -> PluginInfo {
            super::describe()
        }

        fn sum_points(points: Vec<Point>) -> Result<Point, SumError> {
            super::sum_points(&mut ImportedHost, &points)
        }
    }

    impl GuestAccumulator for Accumulator {
        fn new() -> Self {
            Self::default()
        }

        fn add(&self, p: Point) {
            Accumulator::add(self, p);
        }

        fn total(&self) -> Point {
            Accumulator::total(self)
        }
    }

    impl shapes::Guest for Component {
        type Accumulator = Accumulator;

        fn closed_path(points: Vec<Point>) -> host::Path {
            let path = host::Path::new();
            for p in points {
                path.push(p);
            }
            path
        }

        fn path_length(p: &host::Path) -> u32 {
            p.len()
        }

        async fn sum_stream(mut points: StreamReader<Point>, pause_ms: u32) -> Point {
            let sum = Accumulator::default();
            while let Some(p) = points.next().await {
                sum.add(p);
                timer::sleep(pause_ms).await;
            }
            sum.total()
        }
    }

    export!(Component);
}

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

    impl FakeHost {
        fn new(value: i32) -> Self {
            Self {
                value,
                calls: Vec::new(),
            }
        }
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
        fn log_message(&mut self, level: Level, message: &str) {
            self.calls
                .push(format!("log-message({level:?}, {message:?})"));
        }
    }

    #[test]
    fn trigger_logs_double_then_adds_input_and_five() {
        let mut host = FakeHost::new(42);
        trigger(&mut host, 7);
        assert_eq!(host.calls, ["log(14)", "get()", "set(54)"]);
        assert_eq!(host.value, 54);
    }

    #[test]
    fn trigger_wraps_at_the_edges() {
        let mut host = FakeHost::new(i32::MAX);
        trigger(&mut host, i32::MAX);
        // log(i32::MAX * 2) wraps to -2; MAX + MAX + 5 wraps to 3.
        assert_eq!(host.calls, ["log(-2)", "get()", "set(3)"]);
    }

    #[test]
    fn describe_lists_every_call() {
        let info = describe();
        assert_eq!(info.name, "guest");
        assert_eq!(info.calls, CALLS);
    }

    #[test]
    fn sum_points_adds_without_wrapping_and_reports_each_error() {
        let mut host = FakeHost::new(0);
        let points = [
            Point { x: 1, y: 2 },
            Point { x: 3, y: 4 },
            Point { x: -5, y: 0 },
        ];
        let sum = sum_points(&mut host, &points).unwrap();
        assert_eq!((sum.x, sum.y), (-1, 6));
        assert!(host.calls.is_empty(), "success reports nothing");

        assert!(matches!(sum_points(&mut host, &[]), Err(SumError::Empty)));
        let overflow = [
            Point { x: i32::MAX, y: 0 },
            Point { x: 0, y: 0 },
            Point { x: 1, y: 0 },
        ];
        assert!(matches!(
            sum_points(&mut host, &overflow),
            Err(SumError::Overflow(2))
        ));
        assert_eq!(
            host.calls,
            [
                r#"log-message(Level::Warn, "sum-points: the list is empty")"#,
                r#"log-message(Level::Warn, "sum-points: adding point 2 overflows")"#,
            ]
        );
    }
}
