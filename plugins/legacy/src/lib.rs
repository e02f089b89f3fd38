//! A plugin written against the first version of the contract, `example:plugin@0.1.0`, and
//! never rebuilt for a newer one: the host keeps serving it for as long as it serves 0.1.0
//! (the book, "The contract and its versions"). It knows nothing of `describe`, `sum-points` or
//! `log-message`.

use plugin_sdk::v0_1_0::{Guest, Point, export, host};

struct Legacy;

impl Guest for Legacy {
    fn just_add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    fn point_add(a: Point, b: Point) -> Point {
        let (x, y) = (a.x.wrapping_add(b.x), a.y.wrapping_add(b.y));
        Point { x, y }
    }

    fn trigger(input: i32) {
        println!("legacy guest (0.1.0): trigger({input})");
        host::log(input.wrapping_mul(2));
        host::set(host::get().wrapping_add(input).wrapping_add(5));
    }
}

export!(Legacy);
