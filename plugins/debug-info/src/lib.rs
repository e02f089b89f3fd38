//! A core module for `wasm32-unknown-unknown`, built by the test suite in cargo's `dev`
//! profile, so with DWARF debug info: `run` calls [`fail`], which panics at [`PANIC_LINE`] of
//! this file. A trap's backtrace then names this file and that line.

/// The line of this file where [`fail`] panics.
pub const PANIC_LINE: u32 = 17;

/// Panics (a panic is an `unreachable` trap on wasm), at [`PANIC_LINE`].
#[inline(never)]
pub fn fail(why: u32) -> u32 {
    if why == 0 {
        return 0;
    }
    // Keeps `fail` a frame of its own.
    std::hint::black_box(why);
    // The panic below is at `PANIC_LINE`.
    panic!("the plugin failed on purpose: {why}");
}

/// `run(why)`: 0 for `why` 0, a panic at [`PANIC_LINE`] otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn run(why: u32) -> u32 {
    fail(why)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_panic_is_at_panic_line() {
        let line = include_str!("lib.rs")
            .lines()
            .nth(super::PANIC_LINE as usize - 1);
        assert!(line.is_some_and(|line| line.trim_start().starts_with("panic!")));
    }
}
