//! Wall-clock deadlines of concurrent calls, noticed by the epoch ticker: a call that waits
//! (on the host, a stream, a future) runs no guest code, so the epoch deadline alone cannot
//! end it. The ticker thread that advances the engines' epochs also counts ticks here and
//! wakes every call whose deadline has passed; the call then fails as a timeout.
//!
//! Cheaper than a tokio timer per call: starting a call stores two atomics, and a call that
//! waits hands its waker over once (BENCHMARKS.md, "Component-model async").

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Waker};

use crate::Limits;

/// The ticks of a host's epoch ticker, and the deadlines it checks at each.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    ticks: AtomicU64,
    deadlines: Mutex<Vec<Weak<Slot>>>,
}

impl Clock {
    /// Counts a tick and wakes every call whose deadline it reaches. Called by the ticker
    /// thread, every [`Limits::EPOCH_TICK`].
    pub(crate) fn tick(&self) {
        let now = self.ticks.fetch_add(1, Ordering::Relaxed) + 1;
        let mut deadlines = self
            .deadlines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        deadlines.retain(|slot| {
            let Some(slot) = slot.upgrade() else {
                return false;
            };
            let due = slot.due.load(Ordering::Acquire);
            if due != 0 && now >= due && !slot.expired.swap(true, Ordering::AcqRel) {
                let waker = slot
                    .waker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            true
        });
    }

    /// A deadline of `limits.deadline` for the calls of one instance, one at a time.
    pub(crate) fn deadline(self: &Arc<Self>, limits: &Limits) -> Deadline {
        let slot = Arc::new(Slot::default());
        self.deadlines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&slot));
        Deadline {
            clock: self.clone(),
            slot,
            ticks: limits.deadline_ticks(),
        }
    }
}

/// Where a call's deadline is kept: the tick it is due at (0 while no call runs), whether it
/// has passed, and the waker of the call if it waits.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    due: AtomicU64,
    expired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// The wall-clock deadline of one instance's concurrent calls. Internal: what the library's
/// calls by name pass along.
#[derive(Debug)]
pub struct Deadline {
    clock: Arc<Clock>,
    slot: Arc<Slot>,
    ticks: u64,
}

impl Deadline {
    /// Starts the deadline of a call.
    pub(crate) fn start(&self) {
        self.slot.expired.store(false, Ordering::Release);
        let now = self.clock.ticks.load(Ordering::Relaxed);
        self.slot.due.store(now + self.ticks, Ordering::Release);
    }

    /// Whether the call's deadline has passed; if not, the call waits: `context`'s waker is
    /// woken when it does.
    pub(crate) fn passed(&self, context: &Context<'_>) -> bool {
        if self.slot.expired.load(Ordering::Acquire) {
            return true;
        }
        let mut waker = self
            .slot
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &*waker {
            Some(waker) if waker.will_wake(context.waker()) => {}
            _ => *waker = Some(context.waker().clone()),
        }
        drop(waker);
        // The tick may have come between the check and the waker's handing over.
        self.slot.expired.load(Ordering::Acquire)
    }

    /// Ends the call: no deadline until the next starts.
    pub(crate) fn stop(&self) {
        self.slot.due.store(0, Ordering::Release);
    }
}
