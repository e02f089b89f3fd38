//! Paths of the guests that this crate's build script compiled, for the integration tests (in
//! `all/`), the host's CLI tests and the benchmarks. Each constant is an absolute path to a
//! `.wasm` file. Beside them, the few file and process helpers those share.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// A core module in the WebAssembly text format whose `run(n)` calls `$idle` once, then `$busy`,
/// which counts down from `n`: a plugin that spends its time in one named function, for the
/// guest profiler's tests.
pub const WAT_BUSY: &str = r#"(module
  (func $idle (result i32) (i32.const 0))
  (func $busy (param $n i32) (result i32)
    (loop $again
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (i32.ne (local.get $n) (i32.const 0))))
    (local.get $n))
  (func (export "run") (param $n i32) (result i32)
    (drop (call $idle))
    (call $busy (local.get $n))))"#;

/// A toolbox of the world `example:calc/toolbox` (`plugins/compose/wit`) in the WebAssembly text
/// format: it imports `add` from `example:calc/math@0.1.0` and exports `foo(right)`, which
/// returns `add(1, right)`. The consumer in the tests of load-time composition; the C toolbox
/// (`plugins/compose/toolbox`) needs the polyglot toolchain.
pub const WAT_TOOLBOX: &str = r#"(component
  (import "example:calc/math@0.1.0" (instance $math
    (export "add" (func (param "a" s32) (param "b" s32) (result s32)))))
  (core func $add (canon lower (func $math "add")))
  (core module $m
    (import "calc" "add" (func $add (param i32 i32) (result i32)))
    (func (export "foo") (param i32) (result i32)
      i32.const 1 local.get 0 call $add))
  (core instance $i (instantiate $m (with "calc" (instance (export "add" (func $add))))))
  (func (export "foo") (param "right" s32) (result s32) (canon lift (core func $i "foo"))))"#;

/// The version of the contract the guest (`COMPONENT_GUEST`) targets: what the tests expect
/// of it, wherever the newest version is.
pub use guest::CONTRACT_VERSION as COMPONENT_GUEST_VERSION;

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
