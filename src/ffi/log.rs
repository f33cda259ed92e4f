//! The log callback: renewals, retries and token-cache events reported to the application.

use super::ffi_value;
use std::ffi::{c_char, c_int, c_void, CString};

/// Log levels passed to the tp_set_log_callback callback.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tp_log_level {
    /// Something failed and the caller will see an error.
    TP_LOG_ERROR = 1,
    /// Something failed and was worked around (a retry, a stale token served, a corrupt cache).
    TP_LOG_WARN = 2,
    /// A token request, a renewal, a cache event.
    TP_LOG_INFO = 3,
    /// Detail.
    TP_LOG_DEBUG = 4,
}

/// The log callback: level is a tp_log_level, msg a NUL-terminated message valid during the
/// call only, user_data the pointer given to tp_set_log_callback.
pub type tp_log_callback = Option<unsafe extern "C" fn(level: c_int, msg: *const c_char, user_data: *mut c_void)>;

/// The user's pointer, handed back to the callback from whichever thread logs.
struct UserData(*mut c_void);
// SAFETY: the pointer is only passed back to the caller's callback, which tp_set_log_callback
// documents may run on any thread.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

/// Install a process-wide log callback that reports renewals, retries and token-cache events
/// (never a secret); cb NULL removes it. The callback may be called from any thread, also
/// concurrently, and must not call back into tpauth; a call already in progress may still
/// complete with the previous callback.
#[no_mangle]
pub unsafe extern "C" fn tp_set_log_callback(cb: tp_log_callback, user_data: *mut c_void) {
    ffi_value!((), {
        match cb {
            None => crate::log::set_logger(None),
            Some(cb) => {
                let ud = UserData(user_data);
                crate::log::set_logger(Some(Box::new(move |level, msg: &str| {
                    let msg = CString::new(msg.replace('\0', " ")).unwrap_or_default();
                    let ud = &ud;
                    // SAFETY: the caller's callback, with a valid message and its own pointer.
                    unsafe { cb(level as c_int, msg.as_ptr(), ud.0) };
                })));
            }
        }
    })
}
