//! A hostile plugin: it fits the host's `example:plugin/plugin` world and loads like any other,
//! but `trigger(input)` misbehaves in the way [`Behaviour`] numbers `input`. `just-add` and
//! `point-add` behave, so tests can show the same plugin still serves good calls afterwards.
//!
//! Built by the test suite for `wasm32-wasip2`. The [`Behaviour`] numbers are shared with the
//! tests through this crate's native build.

/// Rust bindings for the world, generated from the WIT; its items are documented there.
#[allow(missing_docs, reason = "generated code; the WIT documents it")]
mod bindings {
    wit_bindgen::generate!({
        world: "plugin",
        path: "../wit",
    });
}

use bindings::example::plugin::host;
use bindings::example::plugin::types::Point;

/// What `trigger(input)` does, by `input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Behaviour {
    /// Calls `set(666)`, then panics (a Rust panic is an `unreachable` trap).
    SetThenPanic = 1,
    /// Executes `unreachable` directly.
    Unreachable = 2,
    /// Spins forever without calling the host.
    Spin = 3,
    /// Spins forever, calling the host's `get` on every turn.
    SpinCallingHost = 4,
    /// Recurses without end.
    Recurse = 5,
    /// Allocates 1 MiB blocks and keeps them until allocation fails (Rust then aborts).
    AllocateForever = 6,
    /// Prints a line on stdout, forever.
    PrintForever = 7,
    /// Writes `get()` bytes to stdout in one `output-stream.write` call: the host lifts that
    /// many bytes from the guest at once.
    WriteSharedValueBytes = 8,
    /// Calls the host's `get` `get()` times, then returns.
    CallHostSharedValueTimes = 9,
}

impl Behaviour {
    /// Every behaviour, in numeric order.
    pub const ALL: [Self; 9] = [
        Self::SetThenPanic,
        Self::Unreachable,
        Self::Spin,
        Self::SpinCallingHost,
        Self::Recurse,
        Self::AllocateForever,
        Self::PrintForever,
        Self::WriteSharedValueBytes,
        Self::CallHostSharedValueTimes,
    ];

    /// The `trigger` input that selects this behaviour.
    pub fn input(self) -> i32 {
        self as i32
    }

    /// The behaviour `input` selects, if any.
    pub fn from_input(input: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.input() == input)
    }
}

/// Recurses for ever; `black_box` keeps the compiler from turning it into a loop.
#[expect(unconditional_recursion, reason = "unbounded recursion is the point")]
fn recurse(depth: u64) -> u64 {
    std::hint::black_box(recurse(std::hint::black_box(depth + 1))) + 1
}

fn misbehave(behaviour: Behaviour) {
    match behaviour {
        Behaviour::SetThenPanic => {
            host::set(666);
            panic!("hostile guest: panicking after set(666)");
        }
        Behaviour::Unreachable => unreachable_instruction(),
        Behaviour::Spin => loop {
            std::hint::spin_loop();
        },
        Behaviour::SpinCallingHost => loop {
            std::hint::black_box(host::get());
        },
        Behaviour::Recurse => {
            recurse(0);
        }
        Behaviour::AllocateForever => {
            let mut blocks = Vec::new();
            loop {
                blocks.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        Behaviour::PrintForever => {
            for line in 0u64.. {
                println!("hostile guest: line {line}");
            }
        }
        Behaviour::WriteSharedValueBytes => {
            let len = usize::try_from(host::get()).unwrap_or(0);
            let stdout = wasip2::cli::stdout::get_stdout();
            stdout
                .write(&vec![b'x'; len])
                .expect("the host accepts the write");
        }
        Behaviour::CallHostSharedValueTimes => {
            for _ in 0..host::get() {
                std::hint::black_box(host::get());
            }
        }
    }
}

#[cfg(target_family = "wasm")]
fn unreachable_instruction() {
    core::arch::wasm32::unreachable();
}

#[cfg(not(target_family = "wasm"))]
fn unreachable_instruction() {
    unreachable!("the `unreachable` instruction exists only on wasm");
}

struct Component;

impl bindings::Guest for Component {
    fn just_add(a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }

    fn point_add(a: Point, b: Point) -> Point {
        Point {
            x: a.x.wrapping_add(b.x),
            y: a.y.wrapping_add(b.y),
        }
    }

    fn trigger(input: i32) {
        match Behaviour::from_input(input) {
            Some(behaviour) => misbehave(behaviour),
            None => host::log(input),
        }
    }
}

bindings::export!(Component with_types_in bindings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_behaviour_round_trips_through_its_input() {
        for behaviour in Behaviour::ALL {
            assert_eq!(Behaviour::from_input(behaviour.input()), Some(behaviour));
        }
        assert_eq!(Behaviour::from_input(0), None);
    }
}
