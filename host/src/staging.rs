//! Host state that a failed call leaves as it was.
//!
//! A call into a plugin may change the application's state through the host functions it
//! calls, then fail (trap, time out, hit a limit) halfway. The library brackets every call and
//! every instantiation: when it succeeds it calls [`Transactional::commit`] on the store's
//! data, when it fails [`Transactional::rollback`], if anything borrowed the data mutably
//! since the last call ended (a host function through the getter, or
//! [`Instance::data_mut`](crate::Instance::data_mut)); a call that touched nothing skips both,
//! which saves work on the hot path (BENCHMARKS.md). State built from parts that implement the
//! trait (a [`Journal`], a pending write) delegates to each, the way Spin builds an instance's
//! state from its factors.

/// Per-instance host state whose changes take effect only when the call that made them
/// succeeds.
///
/// Both methods do nothing by default: state with nothing to stage needs only
/// `impl Transactional for MyState {}`.
///
/// Calls happen one at a time on an instance, and every call ends in exactly one of the two,
/// so changes since the last `commit` or `rollback` are the current call's.
pub trait Transactional {
    /// The call succeeded: make its changes visible (publish a pending write, keep its records).
    fn commit(&mut self) {}

    /// The call failed: forget its changes.
    fn rollback(&mut self) {}
}

impl Transactional for () {}

/// The application's state in a store, with a mark of whether anything borrowed it mutably
/// since the last call ended: a call that never touched the state (most calls that make no
/// host call) skips [`Transactional::commit`] and [`Transactional::rollback`], which are then
/// no-ops anyway. Changes made through `&T` (interior mutability) are not seen; keep staged
/// state behind `&mut`.
#[derive(Debug)]
pub(crate) struct Staged<T> {
    data: T,
    touched: bool,
}

impl<T> Staged<T> {
    pub(crate) fn new(data: T) -> Self {
        Self {
            data,
            touched: false,
        }
    }

    pub(crate) fn get(&self) -> &T {
        &self.data
    }

    /// The state, to change it: marks it touched.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.touched = true;
        &mut self.data
    }

    pub(crate) fn into_inner(self) -> T {
        self.data
    }
}

impl<T: Transactional> Staged<T> {
    /// Ends a call: commits the state if the call `succeeded`, rolls it back if not, when it
    /// was touched.
    pub(crate) fn settle(&mut self, succeeded: bool) {
        if std::mem::take(&mut self.touched) {
            if succeeded {
                self.data.commit();
            } else {
                self.data.rollback();
            }
        }
    }
}

/// Records a plugin makes during calls (logged values, messages), kept only for the calls that
/// succeed.
///
/// At most `capacity` records are kept until [`Journal::take`]; later ones are dropped and
/// counted. A rolled-back call leaves neither records nor drops behind.
#[derive(Debug, Clone)]
pub struct Journal<V> {
    entries: Vec<V>,
    capacity: usize,
    /// How many of `entries` belong to committed calls.
    committed: usize,
    /// Records dropped for want of capacity, the current call's included.
    dropped_so_far: u64,
    /// Records of committed calls dropped for want of capacity.
    dropped: u64,
}

impl<V> Journal<V> {
    /// An empty journal keeping at most `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Vec::new(),
            capacity,
            committed: 0,
            dropped_so_far: 0,
            dropped: 0,
        }
    }

    /// Records `entry` for the current call, or counts it as dropped if the journal is full.
    pub fn push(&mut self, entry: V) {
        if self.entries.len() < self.capacity {
            self.entries.push(entry);
        } else {
            self.dropped_so_far += 1;
        }
    }

    /// The records of committed calls, oldest first, and forgets them (and the drop count).
    pub fn take(&mut self) -> Vec<V> {
        let rest = self.entries.split_off(self.committed);
        self.committed = 0;
        self.dropped_so_far -= self.dropped;
        self.dropped = 0;
        std::mem::replace(&mut self.entries, rest)
    }

    /// How many records of committed calls were dropped for want of capacity since the last
    /// [`Journal::take`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl<V> Transactional for Journal<V> {
    fn commit(&mut self) {
        self.committed = self.entries.len();
        self.dropped = self.dropped_so_far;
    }

    fn rollback(&mut self) {
        self.entries.truncate(self.committed);
        self.dropped_so_far = self.dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the commits and rollbacks it gets.
    #[derive(Default)]
    struct Counted {
        commits: u32,
        rollbacks: u32,
    }

    impl Transactional for Counted {
        fn commit(&mut self) {
            self.commits += 1;
        }

        fn rollback(&mut self) {
            self.rollbacks += 1;
        }
    }

    #[test]
    fn only_a_call_that_touched_the_state_settles_it() {
        let mut staged = Staged::new(Counted::default());
        staged.settle(true);
        staged.settle(false);
        assert_eq!((staged.get().commits, staged.get().rollbacks), (0, 0));
        staged.get_mut();
        staged.settle(true);
        staged.settle(true);
        staged.get_mut();
        staged.settle(false);
        assert_eq!((staged.get().commits, staged.get().rollbacks), (1, 1));
    }

    #[test]
    fn committed_records_are_kept_and_rolled_back_ones_forgotten() {
        let mut journal = Journal::new(10);
        journal.push(1);
        journal.commit();
        journal.push(2);
        journal.rollback();
        journal.push(3);
        journal.commit();
        assert_eq!(journal.take(), [1, 3]);
        assert!(journal.take().is_empty(), "take drains");
    }

    #[test]
    fn records_past_the_capacity_are_dropped_and_counted_only_when_committed() {
        let mut journal = Journal::new(2);
        for value in 0..5 {
            journal.push(value);
        }
        journal.rollback();
        assert_eq!(journal.dropped(), 0, "a rolled-back call drops nothing");
        for value in 0..5 {
            journal.push(value);
        }
        journal.commit();
        assert_eq!(journal.dropped(), 3);
        assert_eq!(journal.take(), [0, 1]);
        assert_eq!(journal.dropped(), 0);
    }
}
