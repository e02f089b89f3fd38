//! A plugin written against the second version of the contract, `example:plugin@0.1.1`, and
//! never rebuilt for a newer one: the host keeps serving it for as long as it serves 0.1.1
//! (the book, "The contract and its versions"). It knows nothing of `shapes` or the host's
//! `path` and `timer`, and runs on the host's engine without the component model's async ABI.

use plugin_sdk::v0_1_1::{Guest, Level, PluginInfo, Point, SumError, export, host};

/// The calls this plugin offers, in the world's order.
const CALLS: [&str; 5] = ["just-add", "point-add", "trigger", "describe", "sum-points"];

struct Plugin;

impl Guest for Plugin {
    fn just_add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    fn point_add(a: Point, b: Point) -> Point {
        let (x, y) = (a.x.wrapping_add(b.x), a.y.wrapping_add(b.y));
        Point { x, y }
    }

    fn trigger(input: i32) {
        println!("guest 0.1.1: trigger({input})");
        host::log(input.wrapping_mul(2));
        host::set(host::get().wrapping_add(input).wrapping_add(5));
    }

    fn describe() -> PluginInfo {
        PluginInfo {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            calls: CALLS.map(str::to_owned).to_vec(),
        }
    }

    fn sum_points(points: Vec<Point>) -> Result<Point, SumError> {
        let Some((first, rest)) = points.split_first() else {
            host::log_message(Level::Warn, "sum-points: the list is empty");
            return Err(SumError::Empty);
        };
        rest.iter().zip(1u32..).try_fold(*first, |sum, (p, index)| {
            match (sum.x.checked_add(p.x), sum.y.checked_add(p.y)) {
                (Some(x), Some(y)) => Ok(Point { x, y }),
                _ => {
                    let message = format!("sum-points: adding point {index} overflows");
                    host::log_message(Level::Warn, &message);
                    Err(SumError::Overflow(index))
                }
            }
        })
    }
}

export!(Plugin);
