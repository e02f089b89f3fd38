//! Paths of the guests that this crate's build script compiled, for the integration tests (in
//! `all/`) and the host's CLI tests. Each constant is an absolute path to a `.wasm` file.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// What the hostile guest (`HOSTILE_GUEST`) does for each `trigger` input.
pub use hostile_guest::Behaviour;
