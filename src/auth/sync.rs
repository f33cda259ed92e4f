//! The synchronisation primitives of the managed token: loom's under `--cfg loom` (so that the
//! loom suite explores every interleaving of the real state machine), std's otherwise.

#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(loom)]
pub(crate) use loom::thread_local;
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
pub(crate) use std::sync::{PoisonError, TryLockError};
#[cfg(not(loom))]
pub(crate) use std::thread_local;
