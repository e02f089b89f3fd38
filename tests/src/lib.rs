//! Paths of the guests that this crate's build script compiled, for the integration tests (in
//! `all/`), the host's CLI tests and the benchmarks. Each constant is an absolute path to a
//! `.wasm` file. Beside them, the few file and process helpers those share.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// What the hostile guest (`HOSTILE_GUEST`) does for each `trigger` input.
pub use hostile_guest::Behaviour;

use std::io;
use std::path::Path;

/// Puts a copy of `source` at `target` the way a deployment replaces a plugin: copied beside
/// it first (as `NAME.part`, which a watcher of `.wasm` files ignores), then renamed over it.
/// The rename is atomic, so a watcher never reads a half-written file.
///
/// # Errors
/// As `std::fs::copy` and `std::fs::rename`.
pub fn replace(target: &Path, source: impl AsRef<Path>) -> io::Result<()> {
    let staging = target.with_extension("part");
    std::fs::copy(source, &staging)?;
    std::fs::rename(&staging, target)
}

/// This process's resident memory in bytes, from `VmRSS` in `/proc/self/status` (Linux; the
/// kernel gives it in KiB).
///
/// # Errors
/// If the file cannot be read or has no `VmRSS` line.
pub fn resident_bytes() -> io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib << 10)
        .ok_or_else(|| io::Error::other("no VmRSS in /proc/self/status"))
}
