//! A hostile plugin: it fits the world `example:plugin/plugin@0.1.0` and loads like any other,
//! but `trigger(input)` misbehaves in the way [`Behaviour`] numbers `input`. `just-add` and
//! `point-add` behave, so tests can show the same plugin still serves good calls afterwards.
//!
//! Any export can also be told to misbehave through the environment, when the host grants it:
//! `HOSTILE_GUEST_JUST_ADD=spin` makes `just-add` spin ([`Behaviour::variable`],
//! [`Behaviour::name`]). That is how a whole `plugin-host run` of it fails in several ways.
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
    /// Calls `set(666)`, then allocates until allocation fails.
    SetThenAllocate = 10,
}

impl Behaviour {
    /// Every behaviour, in numeric order.
    pub const ALL: [Self; 10] = [
        Self::SetThenPanic,
        Self::Unreachable,
        Self::Spin,
        Self::SpinCallingHost,
        Self::Recurse,
        Self::AllocateForever,
        Self::PrintForever,
        Self::WriteSharedValueBytes,
        Self::CallHostSharedValueTimes,
        Self::SetThenAllocate,
    ];

    /// The behaviour's name, as the environment gives it: `set-then-panic`, `spin`, ….
    pub fn name(self) -> &'static str {
        match self {
            Self::SetThenPanic => "set-then-panic",
            Self::Unreachable => "unreachable",
            Self::Spin => "spin",
            Self::SpinCallingHost => "spin-calling-host",
            Self::Recurse => "recurse",
            Self::AllocateForever => "allocate-forever",
            Self::PrintForever => "print-forever",
            Self::WriteSharedValueBytes => "write-shared-value-bytes",
            Self::CallHostSharedValueTimes => "call-host-shared-value-times",
            Self::SetThenAllocate => "set-then-allocate",
        }
    }

    /// The behaviour named `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The environment variable that tells `export` to misbehave: `HOSTILE_GUEST_JUST_ADD`
    /// for `just-add`.
    pub fn variable(export: &str) -> String {
        format!("HOSTILE_GUEST_{}", export.to_uppercase().replace('-', "_"))
    }

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
            assert_eq!(Behaviour::from_name(behaviour.name()), Some(behaviour));
        }
        assert_eq!(Behaviour::variable("point-add"), "HOSTILE_GUEST_POINT_ADD");
        assert_eq!(Behaviour::from_input(0), None);
    }
}
