//! The log callback: renewals, retries and cache events, reported to whoever listens. Messages
//! never contain a secret (they name endpoints, statuses, counts and waits, never token values).
//!
//! ```
//! use tpauth::log::{set_logger, Level};
//! set_logger(Some(Box::new(|level, message| {
//!     if level <= Level::Warn {
//!         eprintln!("tpauth {level:?}: {message}");
//!     }
//! })));
//! set_logger(None); // stop listening
//! ```

use std::sync::{Arc, RwLock};

/// How important a log message is. The numbers are the C ABI's `TP_LOG_*`; a more important
/// level compares lower.
///
/// ```
/// use tpauth::log::Level;
/// assert!(Level::Error < Level::Warn && Level::Info < Level::Debug);
/// assert_eq!(Level::Warn as i32, 2); // TP_LOG_WARN
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum Level {
    /// Something failed and the caller will see an error.
    Error = 1,
    /// Something failed and was worked around (a retry, a stale token served, a corrupt cache).
    Warn = 2,
    /// A token request, a renewal, a cache hit.
    Info = 3,
    /// Detail.
    Debug = 4,
}

/// A log callback: the level and a message without secrets. It may be called from any thread,
/// and may call back into the library.
///
/// ```
/// let logger: tpauth::log::Logger = Box::new(|level, message| eprintln!("{level:?} {message}"));
/// tpauth::log::set_logger(Some(logger));
/// # tpauth::log::set_logger(None);
/// ```
pub type Logger = Box<dyn Fn(Level, &str) + Send + Sync>;

type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Install (or with `None`, remove) the process-wide log callback. A callback that panics is
/// removed; the panic never reaches the library's callers.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let lines = Arc::new(Mutex::new(Vec::<String>::new()));
/// let sink = Arc::clone(&lines);
/// tpauth::log::set_logger(Some(Box::new(move |level, message| {
///     sink.lock().unwrap().push(format!("{level:?} {message}"));
/// })));
/// // ... use the library ...
/// tpauth::log::set_logger(None);
/// ```
pub fn set_logger(sink: Option<Logger>) {
    let mut guard = SINK.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    *guard = sink.map(Arc::from);
}

/// Whether anyone listens (so that callers can skip formatting).
pub(crate) fn enabled() -> bool {
    SINK.read().map(|g| g.is_some()).unwrap_or(false)
}

/// Report one event. A panicking callback is contained (and then removed) rather than unwinding
/// into the library's locks.
pub(crate) fn emit(level: Level, message: &str) {
    let sink = SINK.read().ok().and_then(|g| g.clone());
    if let Some(sink) = sink {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(level, message))).is_ok();
        if !ok {
            set_logger(None);
        }
    }
}

macro_rules! log_event {
    ($level:ident, $($arg:tt)*) => {
        if $crate::log::enabled() {
            $crate::log::emit($crate::log::Level::$level, &format!($($arg)*));
        }
    };
}
pub(crate) use log_event;
