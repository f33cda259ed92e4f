//! The synchronisation primitives of the managed token: loom's under `--cfg loom` (so that the
//! loom suite explores every interleaving of the real state machine), std's otherwise.
//!
//! [`Published`] is the one lock-free cell of the state machine: the token served without a lock.
//! Outside loom it is `arc_swap::ArcSwapOption`. arc-swap is not loom-aware (its loads and stores
//! are atomics and thread-local debt slots that loom cannot see), so under loom it is a
//! loom mutex around an `Option<Arc<T>>`. That stand-in is honest about what the state machine
//! relies on: each `load` and `store` of arc-swap is one linearizable step on one pointer
//! (a `SeqCst` swap for `store`, an acquire load behind the debt protocol for `load`), which is
//! exactly what a critical section of a mutex is to loom: a single atomic point that it
//! interleaves with every other thread's steps. What the stand-in leaves out is arc-swap's own
//! memory reclamation (a `load` guard keeping the old value alive across a `store`), which is
//! arc-swap's to prove (its own test suite, under miri among others), not this crate's.

#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(loom)]
pub(crate) use loom::thread_local;
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub(crate) use std::sync::{PoisonError, TryLockError};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

use std::sync::Arc;

/// A pointer to an immutable value, read without a lock and replaced whole.
pub(crate) struct Published<T> {
    #[cfg(not(loom))]
    cell: arc_swap::ArcSwapOption<T>,
    #[cfg(loom)]
    cell: loom::sync::Mutex<Option<Arc<T>>>,
}

impl<T> Published<T> {
    pub(crate) fn empty() -> Published<T> {
        #[cfg(not(loom))]
        let cell = arc_swap::ArcSwapOption::empty();
        #[cfg(loom)]
        let cell = loom::sync::Mutex::new(None);
        Published { cell }
    }

    /// `f` applied to the value published last (one linearizable load; `f` runs on a snapshot, so
    /// a concurrent `store` neither blocks nor is blocked by it).
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        #[cfg(not(loom))]
        {
            f(self.cell.load().as_deref())
        }
        #[cfg(loom)]
        {
            let snapshot = self.cell.lock().unwrap_or_else(PoisonError::into_inner).clone();
            f(snapshot.as_deref())
        }
    }

    /// Publish `value` (or nothing) in place of the previous one (one linearizable store).
    pub(crate) fn store(&self, value: Option<Arc<T>>) {
        #[cfg(not(loom))]
        self.cell.store(value);
        #[cfg(loom)]
        {
            *self.cell.lock().unwrap_or_else(PoisonError::into_inner) = value;
        }
    }
}
