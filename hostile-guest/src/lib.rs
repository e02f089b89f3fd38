//! A hostile plugin: it fits the host's `example:plugin/plugin` world and loads like any other,
//! but `trigger(input)` misbehaves in the way [`Behaviour`] numbers `input`. `just-add` and
//! `point-add` behave, so tests can show the same plugin still serves good calls afterwards.
//!
//! Built by the test suite for `wasm32-wasip2`. The [`Behaviour`] numbers are shared with the
//! tests through this crate's native build, which holds nothing else.

#[cfg(target_family = "wasm")]
mod plugin;

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
