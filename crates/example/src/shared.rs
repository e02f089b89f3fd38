//! The value the host shares with its plugins.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

/// The example host's shared `i32`, which plugins read with `get` and write with `set`.
///
/// Cloning gives another handle to the same value; handles are cheap, `Send` and `Sync`, so the
/// embedding application can read or write the value from any thread while plugins run.
/// [`SharedValue::default`] starts at [`SharedValue::INITIAL`].
#[derive(Debug, Clone)]
pub struct SharedValue(Arc<AtomicI32>);

impl SharedValue {
    /// The value a new host starts with: 42.
    pub const INITIAL: i32 = 42;

    /// Creates a value that starts at `value`.
    pub fn new(value: i32) -> Self {
        Self(Arc::new(AtomicI32::new(value)))
    }

    /// Returns the current value.
    pub fn get(&self) -> i32 {
        self.0.load(Ordering::SeqCst)
    }

    /// Replaces the value.
    pub fn set(&self, value: i32) {
        self.0.store(value, Ordering::SeqCst);
    }
}

impl Default for SharedValue {
    fn default() -> Self {
        Self::new(Self::INITIAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_value_across_threads() {
        let value = SharedValue::default();
        assert_eq!(value.get(), 42);
        let other = value.clone();
        std::thread::spawn(move || other.set(7))
            .join()
            .expect("thread panicked");
        assert_eq!(value.get(), 7);
    }
}
